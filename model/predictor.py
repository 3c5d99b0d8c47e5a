"""Load a verified model version and label statements, with torch or ONNX Runtime.

``Predictor.from_registry(backend=...)`` is the one way the CLI, batch scoring and the
service get a model, so they all apply the same encoding, truncation and calibration.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Sequence

import numpy as np

from model.encoding import sorted_batches
from model.errors import InputError
from model.quiet import quiet_libraries
from model.registry import ModelVersion, Registry, RegistryError, verify_version

Backend = Literal["onnx", "torch"]
ONNX_FP32 = "onnx/model.onnx"
ONNX_INT8 = "onnx/model.int8.onnx"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


@dataclass
class Prediction:
    label: str
    probs: dict[str, float]


class Predictor:
    """Calibrated stance predictions from one model version on one backend."""

    def __init__(self, version: ModelVersion, backend: Backend = "onnx", threads: int | None = None):
        from transformers import AutoTokenizer

        self.version = version
        self.labels = version.labels
        self.temperature = version.temperature
        self.max_length = int(version.manifest.get("training", {}).get("max_length", 128))
        self.tokenizer = AutoTokenizer.from_pretrained(str(version.path))
        self.backend = backend
        if backend == "onnx":
            self._run = self._onnx_runner(version.path, threads)
        elif backend == "torch":
            self._run = self._torch_runner(version.path, threads)
        else:
            raise InputError(f"unknown backend {backend!r}: use 'onnx' or 'torch'")

    @classmethod
    def from_registry(cls, name: str | None = None, backend: Backend = "onnx", models: str | Path | None = None,
                      threads: int | None = None) -> "Predictor":
        return cls(Registry(models).get(name), backend, threads)

    @classmethod
    def from_path(cls, path: str | Path, backend: Backend = "onnx", threads: int | None = None) -> "Predictor":
        return cls(verify_version(Path(path)), backend, threads)

    @property
    def version_name(self) -> str:
        return self.version.name

    def onnx_file(self) -> str:
        return self.version.manifest.get("onnx_default", ONNX_INT8)

    def _onnx_runner(self, path: Path, threads: int | None):
        import onnxruntime as ort

        model_file = path / self.onnx_file()
        if not model_file.is_file():
            raise RegistryError(f"{path}: no ONNX model at {self.onnx_file()} (the version is incomplete: retrain it with `stance train`)")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or min(2, os.cpu_count() or 1)
        opts.inter_op_num_threads = 1
        session = ort.InferenceSession(str(model_file), opts, providers=["CPUExecutionProvider"])
        wanted = {i.name for i in session.get_inputs()}

        def run(enc) -> np.ndarray:
            feeds = {k: np.asarray(v, dtype=np.int64) for k, v in enc.items() if k in wanted}
            return session.run(None, feeds)[0]

        return run

    def _torch_runner(self, path: Path, threads: int | None):
        import torch
        from transformers import AutoModelForSequenceClassification

        if threads:
            torch.set_num_threads(threads)
        with quiet_libraries():  # no weight-loading bar on every load
            model = AutoModelForSequenceClassification.from_pretrained(str(path))
        model.eval()

        def run(enc) -> np.ndarray:
            with torch.inference_mode():
                out = model(**{k: torch.as_tensor(np.asarray(v)) for k, v in enc.items()})
            return out.logits.float().numpy()

        return run

    def logits(self, items: Sequence[dict], batch_size: int = 32) -> np.ndarray:
        """Raw logits in input order; batches are formed from length-sorted items to cut padding."""
        if not items:
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        out = np.zeros((len(items), len(self.labels)), dtype=np.float32)
        for idx, enc in sorted_batches(self.tokenizer, list(items), self.max_length, batch_size):
            out[idx] = self._run(enc)
        return out

    def predict_proba(self, items: Sequence[dict], batch_size: int = 32) -> np.ndarray:
        return softmax(self.logits(items, batch_size), self.temperature)

    def predict(self, items: Sequence[dict], batch_size: int = 32) -> list[Prediction]:
        """Label and calibrated probabilities for statements given as dicts with ``text`` and optional parties."""
        probs = self.predict_proba(items, batch_size)
        return [
            Prediction(self.labels[int(p.argmax())], {lab: round(float(v), 6) for lab, v in zip(self.labels, p)})
            for p in probs
        ]
