"""Plain ASGI middleware (no per-request task or body copy): request metrics and the body-size guard."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import ServiceError
from service.metrics import ServiceMetrics


class RequestMetrics:
    """Counts every HTTP request and times it, labelled by route template (not raw path: bounded labels)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()


class BodyLimit:
    """413 for a body over ``max_bytes``: at once if Content-Length says so, else as soon as it streams past."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    def _refusal(self) -> ServiceError:
        return ServiceError(413, "too_large", f"request body is over {self.max_bytes} bytes")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        too_big = declared.isdigit() and int(declared) > self.max_bytes
        seen = 0

        async def receive_limited() -> Message:
            nonlocal seen
            if too_big:
                raise self._refusal()
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._refusal()
            return message

        await self.app(scope, receive_limited, send)
