"""Prometheus metrics of one service instance: requests, latency, batch sizes, errors, model reloads.

Each app gets its own ``CollectorRegistry`` so several apps (tests, benchmarks) can live in one
process. With ``--workers N`` every worker process exposes its own numbers at ``/metrics``.
"""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512)


class ServiceMetrics:
    """The collectors the app, the micro-batcher and the model holder report into."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter("stance_requests", "HTTP requests by route, method and status code.",
                                ["route", "method", "status"], registry=r)
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
        self.pending = Gauge("stance_pending_statements", "Statements admitted and not yet answered.", registry=r)
        self.reloads = Counter("stance_model_reloads", "Model versions loaded or refused by the watcher.",
                               ["outcome"], registry=r)
        self.model = Gauge("stance_model_info", "The model version being served (value 1).",
                           ["version", "backend"], registry=r)

    def serving(self, version: str, backend: str) -> None:
        """Make ``stance_model_info`` name only the version now in service."""
        self.model.clear()
        self.model.labels(version, backend).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
