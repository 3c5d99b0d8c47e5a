"""One JSON error shape for every refusal, so clients branch on ``error.kind`` instead of parsing text.

Body: ``{"error": {"kind": ..., "message": ..., "detail": [...]}}``. Kinds: ``validation`` (422),
``too_large`` (413), ``overloaded`` (429), ``timeout`` and ``not_ready`` (503), ``inference`` and
``internal`` (500), ``http`` (404, 405 and other routing answers).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from service.logs import HEADER, REQUEST_ID
from service.metrics import ServiceMetrics

log = logging.getLogger("stance.service")

RETRY_AFTER_S = 1


class ServiceError(HTTPException):
    """A refusal with an HTTP status and a machine-readable kind.

    It is an ``HTTPException`` so FastAPI passes it through untouched even when it is raised
    while the request body is being read (the body-size guard does that).
    """

    def __init__(self, status: int, kind: str, message: str):
        super().__init__(status_code=status, detail=message)
        self.kind = kind


def error_response(status: int, kind: str, message: str, detail: list | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The error body; 429 and 503 say when to retry, other headers (e.g. 405's ``Allow``) pass through."""
    body: dict = {"kind": kind, "message": message}
    if detail is not None:
        body["detail"] = detail
    headers = dict(headers or {})
    if status in (429, 503):
        headers["Retry-After"] = str(RETRY_AFTER_S)
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _validation_detail(exc: RequestValidationError) -> list[dict]:
    """Location, message and type of each problem; raw inputs are left out (they may be huge or binary)."""
    return [{"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()]


def install_error_handlers(app: FastAPI, metrics: ServiceMetrics) -> None:
    """Route validation errors, service refusals and unexpected failures into the one error shape."""

    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = _validation_detail(exc)
        first = detail[0] if detail else {"loc": [], "msg": "invalid request"}
        where = ".".join(first["loc"]) or "request"
        metrics.errors.labels("validation").inc()
        return error_response(422, "validation", f"{where}: {first['msg']}", detail)

    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and not isinstance(exc, ServiceError):
            # FastAPI's answer to a body it cannot decode (e.g. not UTF-8): the same 422 as broken JSON
            metrics.errors.labels("validation").inc()
            return error_response(422, "validation", "body: not valid JSON text (UTF-8 expected)")
        kind = getattr(exc, "kind", "http")
        metrics.errors.labels(kind).inc()
        return error_response(exc.status_code, kind, str(exc.detail), headers=exc.headers)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        metrics.errors.labels("internal").inc()
        # Answered outside the middleware stack, so the request id header is added here.
        return error_response(500, "internal", f"internal error; it has been logged with request id "
                                               f"{REQUEST_ID.get()}", headers={HEADER: REQUEST_ID.get()})

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
