"""The model in service, swapped for a newly promoted version without a restart or a failed request.

A watcher thread reads the registry's ``current`` symlink every few seconds (one ``lstat`` and
``readlink``). When the link is new (another version, or the same one promoted again, e.g. after
a refused version was repaired), the version is verified and loaded *beside* the one serving, warmed
up with a real prediction, and only then swapped in by one attribute assignment. Batches already
running keep the predictor object they started with. A version that fails verification or loading
is refused: the old one keeps serving and the refusal is logged and shown at ``/v1/model``.
"""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

from model.predictor import Backend, Predictor
from model.registry import CARD, Registry
from model.timestamps import now
from service.errors import ServiceError
from service.heap import freeze_heap
from service.limits import Limits
from service.metrics import ServiceMetrics

log = logging.getLogger("stance.service")

WARMUP = {"text": "China is ready to work with the EU.", "speaker_party": "China", "target_party": "European Union"}


_ABSOLUTE_DIRS = re.compile(r"(?<![^\s'\"(])/(?:[^\s:'\"/]+/)+")


def public_reason(reason: str) -> str:
    """A refusal as clients may see it: absolute paths cut to their last part (no server layout leaks)."""
    return _ABSOLUTE_DIRS.sub("", reason)


class ModelHolder:
    """Owns the serving ``Predictor`` and the thread that follows the registry's ``current`` alias."""

    def __init__(self, models_root: str | Path | None, backend: Backend, limits: Limits, metrics: ServiceMetrics):
        self.registry = Registry(models_root)
        self.backend = backend
        self.interval_s = limits.reload_interval_s
        self.threads = limits.threads
        self.metrics = metrics
        self.predictor: Predictor | None = None
        self.loaded_at: str | None = None
        self.refused: dict | None = None
        self._target: str | None = None
        self._marker: tuple | None = None
        self._refused_marker: tuple | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="stance-model-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.check()
            self._stop.wait(self.interval_s)

    def check(self) -> None:
        """Load the version ``current`` points at if the link is new; refuse it, keeping the old one, if broken."""
        marker = self.registry.current_marker()
        if marker is None or marker in (self._marker, self._refused_marker):
            return
        name = marker[0]
        try:
            predictor = Predictor(self.registry.get(name), self.backend, self.threads)
            predictor.predict([WARMUP])
        except Exception as e:  # a watcher that dies would silently stop all future reloads
            self._refused_marker = marker
            self.refused = {"version": name, "reason": public_reason(str(e)), "at": now()}
            self.metrics.reloads.labels("refused").inc()
            serving = self._target or "nothing"
            log.error("model version %s refused, still serving %s: %s", name, serving, e)
            return
        previous, self.predictor, self._target, self._marker = self._target, predictor, name, marker
        self.loaded_at, self.refused, self._refused_marker = now(), None, None
        self.metrics.reloads.labels("loaded").inc()
        freeze_heap()
        self.metrics.serving(predictor.version_name, self.backend)
        log.info("serving model version %s (was %s, backend %s)", name, previous, self.backend)

    def require(self) -> Predictor:
        """The predictor now in service, or 503 while none has loaded yet."""
        predictor = self.predictor
        if predictor is None:
            reason = f": {self.refused['reason']}" if self.refused else ""
            raise ServiceError(503, "not_ready", f"no model loaded yet{reason}")
        return predictor

    def describe(self) -> dict:
        """What ``GET /v1/model`` shows: the serving version's manifest summary, card and any refusal."""
        predictor = self.require()
        version = predictor.version
        card = version.path / CARD
        return {
            "version": version.name,
            "backend": self.backend,
            "inference_threads": self.threads,
            "onnx_file": predictor.onnx_file() if self.backend == "onnx" else None,
            "labels": list(version.labels),
            "temperature": version.temperature,
            "max_length": predictor.max_length,
            "created": version.manifest.get("created"),
            "metrics": version.metrics,
            "data_fingerprint": version.manifest.get("data_fingerprint", {}),
            "model_card": card.read_text(encoding="utf-8") if card.is_file() else "",
            "loaded_at": self.loaded_at,
            "refused": self.refused,
        }
