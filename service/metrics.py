"""Prometheus metrics of the service: requests, latency, batch sizes, errors, extraction, model reloads.

Each app gets its own ``CollectorRegistry`` so several apps (tests, benchmarks) can live in one
process. With ``--workers N``, ``stance serve`` sets ``PROMETHEUS_MULTIPROC_DIR``: every worker
then writes its samples there and ``/metrics``, whichever worker answers, sums them over all
workers (prometheus_client's multiprocess mode), so a scrape sees the whole service.
"""

from __future__ import annotations

import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


class ServiceMetrics:
    """The collectors the app, the micro-batcher, the extractor and the model holder report into."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("stance_requests", "HTTP requests by route, method and status code.",
                                ["route", "method", "status"], registry=r)
        self.in_flight = Gauge("stance_requests_in_flight", "HTTP requests received and not yet answered.",
                               registry=r, multiprocess_mode="livesum")
        self.latency = Histogram("stance_request_seconds", "Time from request received to response sent.",
                                 ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.errors = Counter("stance_errors", "Refused or failed requests by error kind.", ["kind"], registry=r)
        self.batch_size = Histogram("stance_batch_statements",
                                    "Statements per gathered batch (run in chunks of the batch size).",
                                    buckets=BATCH_BUCKETS, registry=r)
        self.batch_requests = Histogram("stance_batch_requests", "Requests gathered into one inference batch.",
                                        buckets=BATCH_BUCKETS, registry=r)
        self.batch_seconds = Histogram("stance_batch_seconds", "Inference time per batch.",
                                       buckets=LATENCY_BUCKETS, registry=r)
        self.pending = Gauge("stance_pending_statements", "Statements admitted and not yet answered.", registry=r,
                             multiprocess_mode="livesum")
        self.pending_chars = Gauge("stance_extraction_pending_characters",
                                   "Article characters admitted for extraction and not yet extracted.", registry=r,
                                   multiprocess_mode="livesum")
        self.extract_seconds = Histogram("stance_extraction_seconds", "Extraction time per article.",
                                         buckets=LATENCY_BUCKETS, registry=r)
        self.reloads = Counter("stance_model_reloads", "Model versions loaded or refused by the watcher.",
                               ["outcome"], registry=r)
        self.model = Gauge("stance_model_info", "The model version being served (value 1).",
                           ["version", "backend"], registry=r, multiprocess_mode="max")

    def serving(self, version: str, backend: str) -> None:
        """Make ``stance_model_info`` name only the version now in service (0 for those it served before)."""
        for labels in list(self.model._metrics):
            self.model.labels(*labels).set(0)
        if not multiprocess_mode():
            self.model.clear()
        self.model.labels(version, backend).set(1)

    def render(self) -> bytes:
        if multiprocess_mode():
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)

    @staticmethod
    def process_exited() -> None:
        """Drop this worker's live gauges from the shared samples (multiprocess mode only)."""
        if multiprocess_mode():
            multiprocess.mark_process_dead(os.getpid())
