"""The HTTP protocol ``stance serve`` runs: uvicorn's httptools protocol with a header read timeout.

uvicorn closes idle keep-alive connections, but a connection that opens and sends nothing, or
sends its headers a byte at a time, is kept forever, and a few hundred of them hold the
server's sockets and memory. Here every request's headers must arrive within
``STANCE_HEADER_TIMEOUT_S`` of the connection opening or of the request's first byte.
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from service.limits import Limits


class HeaderTimeoutProtocol(HttpToolsProtocol):
    """Close the connection when a request's headers are not complete in time."""

    header_timeout_s = Limits.from_env().header_timeout_s

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

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
