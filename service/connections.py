"""The HTTP protocol ``stance serve`` runs: uvicorn's httptools protocol with a header read timeout, and
health and load-shedding answers written without an ASGI task (``service.fast_lane``).

uvicorn closes idle keep-alive connections, but a connection that opens and sends nothing, or
sends its headers a byte at a time, is kept forever, and a few hundred of them hold the
server's sockets and memory. Here every request's headers must arrive within
``STANCE_HEADER_TIMEOUT_S`` of the connection opening or of the request's first byte.
"""

from __future__ import annotations

import asyncio
from functools import partial

from starlette.responses import Response
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from service.fast_lane import REFUSED, FastLane
from service.limits import Limits
from service.logs import HEADER, REQUEST_ID, request_id


REFUSED_READ_PAUSE_S = 0.25
"""After a 429 (the fast lane's or the app's, marked ``REFUSED`` in the scope) the connection is not read for
this long. ``Retry-After`` asks for a second; a client that retries at once waits here instead, so a flood of
eager clients cannot keep the event loop busy refusing."""


def fast_lane_of(app: object) -> FastLane | None:
    """The app's ``state.fast_lane``, looking through the middleware uvicorn wraps it in (proxy headers)."""
    while app is not None:
        lane = getattr(getattr(app, "state", None), "fast_lane", None)
        if lane is not None:
            return lane
        app = getattr(app, "app", None)
    return None


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Close the connection when a request's headers are not complete in time; answer the fast lane's
    requests in place."""

    header_timeout_s = Limits.from_env().header_timeout_s

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        self._lane = fast_lane_of(self.app)
        super().connection_made(transport)
        self._arm()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app) -> None:  # type: ignore[no-untyped-def]
        """Where uvicorn starts the app for a request whose headers are parsed: the fast lane's answers are
        written here instead. A client that is not reading its answers gets the ordinary path (which waits for
        the socket to drain)."""
        scope = cycle.scope
        cycle.on_response = partial(self._response_complete, cycle)
        response = None if self._lane is None or self.flow.write_paused else self._lane.answer(scope["method"],
                                                                                              scope["path"])
        if response is None:
            super()._start_asgi_task(cycle, app)
        else:
            scope[REFUSED] = response.status_code == 429
            self._answer_in_place(cycle, response)

    def _response_complete(self, cycle: RequestResponseCycle) -> None:
        """uvicorn's end of a response (which resumes reading and starts a pipelined request), then a read pause
        if it was a refusal."""
        self.on_response_complete()
        if cycle.scope.get(REFUSED) and not self.transport.is_closing():
            self.flow.pause_reading()
            self.loop.call_later(REFUSED_READ_PAUSE_S, self._resume_after_refusal)

    def _answer_in_place(self, cycle: RequestResponseCycle, response: Response) -> None:
        """Write the whole response at once, access-logged under its request id as uvicorn logs it. A client
        that asked ``Expect: 100-continue`` has its connection closed afterwards: its body may never come."""
        scope = cycle.scope
        cycle.keep_alive = cycle.keep_alive and not cycle.waiting_for_100_continue
        rid = request_id(dict(scope["headers"]).get(HEADER.encode()))
        head = [STATUS_LINE[response.status_code]]
        for name, value in [*cycle.default_headers, *response.raw_headers, (HEADER.encode(), rid.encode())]:
            head += [name, b": ", value, b"\r\n"]
        if not cycle.keep_alive:
            head.append(b"connection: close\r\n")
        self.transport.write(b"".join([*head, b"\r\n", response.body]))
        cycle.response_started = cycle.response_complete = True
        if cycle.access_log:
            token = REQUEST_ID.set(rid)
            try:
                cycle.access_logger.info('%s - "%s %s HTTP/%s" %d', get_client_addr(scope), scope["method"],
                                         get_path_with_query_string(scope), scope["http_version"],
                                         response.status_code)
            finally:
                REQUEST_ID.reset(token)
        if not cycle.keep_alive:
            self.transport.close()
        cycle.on_response()

    def _resume_after_refusal(self) -> None:
        """Read again, unless uvicorn has since paused reading for its own reasons (a request in progress or
        pipelined): it resumes when that response is complete."""
        if not self.pipeline and (self.cycle is None or self.cycle.response_complete):
            self.flow.resume_reading()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()
