"""Plain ASGI middleware (no per-request task or body copy): request ids, request metrics, the body guard,
shedding while full."""

from __future__ import annotations

import asyncio
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import ServiceError
from service.fast_lane import REFUSED, FastLane
from service.logs import HEADER, REQUEST_ID, request_id
from service.metrics import ServiceMetrics


class RequestId:
    """Give every request an id (the client's ``X-Request-ID`` or a new one), for its log lines and response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(dict(scope["headers"]).get(HEADER.encode()))
        REQUEST_ID.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER.encode()]
                message = {**message, "headers": [*headers, (HEADER.encode(), rid.encode())]}
            await send(message)

        # Not reset afterwards: each request runs in its own task, and the 500 handler (outside this
        # middleware) still reads the id to put it on its response.
        await self.app(scope, receive, send_with_id)


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
        self.metrics.in_flight.inc()

        async def send_observed(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_observed)
        finally:
            self.metrics.in_flight.dec()
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
            self.metrics.requests.labels(route, scope["method"], str(status)).inc()


class BodyLimit:
    """413 for a body over ``max_bytes``: at once if Content-Length says so, else as soon as it streams past;
    408 when the next piece of the body is not received within ``timeout_s``."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout_s: float):
        self.app = app
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s

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
            try:
                message = await asyncio.wait_for(receive(), self.timeout_s)
            except TimeoutError:
                raise ServiceError(408, "timeout", f"request body not received within {self.timeout_s:g} s") from None
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise self._refusal()
            return message

        await self.app(scope, receive_limited, send)


class ShedWhenFull:
    """429 before the body is read when a route's queue has no room for even one more unit, and every 429 marked
    in the scope (``REFUSED``).

    A refusal that first reads and validates a body of statements costs several times one that does not; the
    answer is the same 429 either way. Under ``stance serve`` the protocol answers these first (``FastLane``);
    this is the same refusal under any other ASGI server. The mark tells ``stance serve``'s protocol to pause the
    connection after any refusal, also one the app gave after reading the body (an article larger than the room
    left in the queue).
    """

    def __init__(self, app: ASGIApp, lane: FastLane):
        self.app = app
        self.lane = lane

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.lane.refusal(scope["method"], scope["path"])
        if refusal is None:
            async def send_marked(message: Message) -> None:
                if message["type"] == "http.response.start" and message["status"] == 429:
                    scope[REFUSED] = True
                await send(message)

            await self.app(scope, receive, send_marked)
            return
        scope[REFUSED] = True
        # The request metrics count it under its route, as if the route had refused it.
        scope["route"] = next((r for r in scope["app"].router.routes if getattr(r, "path", None) == scope["path"]),
                              None)
        await refusal(scope, receive, send)
