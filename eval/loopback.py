"""A minimal HTTP/1.1 keep-alive client for load on loopback (bench, soak and the overload tests).

httpx costs more CPU per request than the servers under test and shares their two cores, so
with it the client, not the server, sets the ceiling at high concurrency; this one barely registers.
"""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlsplit


class Connection:
    """One keep-alive connection to one server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader, self.writer, self.host = reader, writer, host

    @classmethod
    async def open(cls, base_url: str) -> "Connection":
        url = urlsplit(base_url)
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        return cls(reader, writer, url.hostname)

    async def request(self, method: str, path: str, body: dict | bytes | None = None) -> tuple[int, dict[str, str]]:
        """Send one request and read the whole response; its status code and (lower-case) headers. A body given
        as bytes is sent as JSON as it is (a flood encodes its body once, not once per request)."""
        status, headers, _ = await self._exchange(method, path, body)
        return status, headers

    async def _exchange(self, method: str, path: str, body: dict | bytes | None) -> tuple[int, dict[str, str], bytes]:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else b""
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(payload)}\r\n"
        if body is not None:
            head += "Content-Type: application/json\r\n"
        self.writer.write(head.encode() + b"\r\n" + payload)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("server closed the connection")
        headers = {}
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        content = await self.reader.readexactly(int(headers.get("content-length", 0)))
        return int(status_line.split()[1]), headers, content

    async def text(self, path: str) -> str:
        """The body of a GET, as text (e.g. ``/metrics``)."""
        status, _, body = await self._exchange("GET", path, None)
        return body.decode()

    async def post(self, path: str, body: dict | bytes) -> int:
        return (await self.request("POST", path, body))[0]

    def close(self) -> None:
        self.writer.close()
