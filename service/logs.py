"""Request ids in every log line: a context variable set per request, read by a logging filter.

The id comes from the client's ``X-Request-ID`` (when it is a short plain token) or is generated,
is echoed in the response, and follows the request into the extraction thread, so one grep finds
everything a request caused.
"""

from __future__ import annotations

import itertools
import logging
import re
import uuid
from contextvars import ContextVar

REQUEST_ID: ContextVar[str] = ContextVar("request_id", default="-")
HEADER = "x-request-id"
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


_PROCESS = uuid.uuid4().hex[:16]
_SERIAL = itertools.count(1)


def request_id(given: bytes | None) -> str:
    """The client's id if it is safe to log as is, else a new one (no log injection, bounded length).

    A new id is this process's random prefix and a serial number: unique across processes and restarts
    without a system call per request (a uuid4 each was a tenth of the loop's time refusing a flood)."""
    if given:
        text = given.decode("latin-1")
        if _SAFE_ID.fullmatch(text):
            return text
    return f"{_PROCESS}-{next(_SERIAL):x}"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request, e.g. the inference thread)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


def log_config(level: str = "info") -> dict:
    """uvicorn's ``log_config``: its own and our loggers through one handler that stamps request ids."""
    handler = {"class": "logging.StreamHandler", "formatter": "default", "filters": ["request_id"],
               "stream": "ext://sys.stderr"}
    return {
        "version": 1, "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"default": {"format": FORMAT}, "access": {"format": FORMAT}},
        "handlers": {"default": handler},
        "loggers": {name: {"handlers": ["default"], "level": level.upper(), "propagate": False}
                    for name in ("uvicorn", "uvicorn.access", "stance")},
    }
