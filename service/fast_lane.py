"""Answers that need neither the request's body nor a route: ``/healthz``, and 429 for a POST to a full queue.

Under a flood of clients that retry at once, the event loop runs one task per request through the whole
middleware stack, and ``/healthz`` waits behind every refusal queued ahead of it (p99 about 250 ms at 4x
capacity on 2 cores). Neither answer depends on anything but a queue's fill, so ``stance serve``'s protocol
(``service.connections``) writes them itself as soon as the headers are parsed, with no task: a refusal
costs a fraction of what it did and health is answered in the loop turn its bytes arrive.
``ShedWhenFull`` gives the same refusals under any other ASGI server. Both are counted as the middleware
counts requests, under their route, with the client's request id echoed.
"""

from __future__ import annotations

import time

from fastapi.responses import JSONResponse

from service.admission import Admission
from service.errors import error_response
from service.metrics import ServiceMetrics

HEALTH_PATH = "/healthz"
HEALTHY = {"status": "ok"}
REFUSED = "stance.refused"
"""Scope key set on a request answered 429, by the fast lane or the app: the protocol then pauses reading its
connection (``service.connections``)."""


class FastLane:
    """The queues that shed load before a body is read, and the metrics their refusals are counted in."""

    def __init__(self, queues: dict[str, Admission], metrics: ServiceMetrics):
        self.queues, self.metrics = queues, metrics

    def refusal(self, method: str, path: str) -> JSONResponse | None:
        """429 when ``path``'s queue has no room for even one more unit (counted as an ``overloaded`` error)."""
        admission = self.queues.get(path) if method == "POST" else None
        if admission is None or not admission.full():
            return None
        self.metrics.errors.labels("overloaded").inc()
        return error_response(429, "overloaded", f"service is full ({admission.pending} {admission.unit} "
                                                 f"pending, limit {admission.limit}); retry shortly")

    def answer(self, method: str, path: str) -> JSONResponse | None:
        """What the protocol writes without the app: health, or a refusal; None for everything else."""
        started = time.perf_counter()
        response = JSONResponse(HEALTHY) if (method, path) == ("GET", HEALTH_PATH) else self.refusal(method, path)
        if response is not None:
            self.metrics.requests.labels(path, method, str(response.status_code)).inc()
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)
        return response
