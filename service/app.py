"""The scoring service: FastAPI routes over a hot-reloading model and a micro-batcher.

``create_app`` builds one self-contained app (its own metrics, model holder and worker thread);
``app_from_env`` is the factory ``stance serve`` hands to uvicorn, configured by ``STANCE_*``
variables so every worker process builds the same app.
"""

from __future__ import annotations

import asyncio
import logging
import os
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator, Awaitable, TypeVar

from fastapi import Body, FastAPI
from fastapi.responses import Response

from model.predictor import Backend
from model.registry import models_root
from service import analysis
from service.batching import MicroBatcher
from service.errors import ServiceError, install_error_handlers
from service.extraction import Article, Extractor
from service.fast_lane import HEALTH_PATH, HEALTHY, FastLane
from service.limits import Limits
from service.logs import FORMAT, RequestIdFilter
from service.metrics import ServiceMetrics
from service.middleware import BodyLimit, RequestId, RequestMetrics, ShedWhenFull
from service.model_holder import ModelHolder
from service.schemas import (ANALYZE_EXAMPLES, SCORE_EXAMPLES, AnalyzeRequest, AnalyzeResponse, Health, ModelInfo,
                             Ready, ScoreRequest, ScoreResponse, error_responses)
from workbench.web import install_workbench

BACKEND_ENV = "STANCE_BACKEND"
T = TypeVar("T")

DESCRIPTION = """\
Stance of international-relations statements: **cooperative**, **confrontational** or **conditional**,
with calibrated probabilities, from the model version currently promoted in the registry.

* Errors always have the body `{"error": {"kind", "message", "detail"?}}`.
* Unknown fields are refused (422) everywhere, as are wrong types (no coercion: `"2023"` is not a year).
* Empty lists or blank text, or text with an unpaired surrogate: 422. Too many statements, too long a statement,
  article or body: 413 (also an article whose extraction could not finish within the timeout here).
* Overload: 429 with `Retry-After` (pending statements and article characters awaiting extraction are bounded).
  A request not answered within the configured timeout: 503, and its work not yet started is dropped. No model
  loaded yet: 503. A body that stalls: 408.
* Every response carries `X-Request-ID` (yours if you sent a plain token, else a new one); log lines carry it too.
* A newly promoted model version is picked up without restart; a broken one is refused and shown at `/v1/model`.
"""


def create_app(models: str | Path | None = None, backend: Backend = "onnx", limits: Limits | None = None) -> FastAPI:
    """A service over the registry at ``models`` (default: ``$STANCE_MODELS`` or ``models/``)."""
    limits = limits or Limits()
    metrics = ServiceMetrics()
    holder = ModelHolder(models, backend, limits, metrics)
    batcher = MicroBatcher(holder, limits, metrics)
    extractor = Extractor(limits, metrics)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        holder.start()
        batcher.start()
        extractor.warm_up()
        yield
        # uvicorn has stopped accepting and answered every request in flight: drain and exit.
        extractor.stop()
        batcher.stop()
        holder.stop()
        metrics.process_exited()

    app = FastAPI(title="summit-stance", version="1", description=DESCRIPTION, lifespan=lifespan)
    app.state.fast_lane = FastLane({"/v1/score": batcher.admission, "/v1/analyze": extractor.admission}, metrics)
    app.add_middleware(ShedWhenFull, lane=app.state.fast_lane)
    app.add_middleware(BodyLimit, max_bytes=limits.max_body_bytes, timeout_s=limits.body_timeout_s)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.add_middleware(RequestId)
    install_error_handlers(app, metrics)
    install_workbench(app, holder, extractor, limits.max_article_chars)

    async def within_deadline(work: Awaitable[T]) -> T:
        try:
            return await asyncio.wait_for(work, limits.timeout_s)
        except TimeoutError:
            raise ServiceError(503, "timeout", f"not answered within {limits.timeout_s:g} s; retry later "
                                               "or send fewer statements") from None

    @app.post("/v1/score", response_model=ScoreResponse, responses=error_responses(413, 422, 429, 500, 503))
    async def score(request: ScoreRequest = Body(openapi_examples=SCORE_EXAMPLES)) -> dict:
        """Label and probabilities for each statement, from one model version."""
        statements = request.statements
        if len(statements) > limits.max_statements:
            raise ServiceError(413, "too_large", f"{len(statements)} statements; at most {limits.max_statements} "
                                                 "per request")
        for i, s in enumerate(statements):
            if len(s.text) > limits.max_statement_chars:
                raise ServiceError(413, "too_large", f"statements.{i}.text has {len(s.text)} characters; at most "
                                                     f"{limits.max_statement_chars}")
        items = [s.model_dump(include={"text", "speaker_party", "target_party", "context"}) for s in statements]
        scored = await within_deadline(batcher.score(items))
        return {"model_version": scored.version, "results": [
            {"id": s.id, "label": p.label, "probs": p.probs, "model_version": scored.version}
            for s, p in zip(statements, scored.predictions)]}

    @app.post("/v1/analyze", response_model=AnalyzeResponse, responses=error_responses(413, 422, 429, 500, 503))
    async def analyze(request: AnalyzeRequest = Body(openapi_examples=ANALYZE_EXAMPLES)) -> dict:
        """The article's attributed statements, each scored, and a per-party-pair summary."""
        if len(request.text) > limits.max_article_chars:
            raise ServiceError(413, "too_large", f"article has {len(request.text)} characters; at most "
                                                 f"{limits.max_article_chars}")

        async def work() -> dict:
            # With the serving version's fitted files: what /v1/analyze extracts changes only with the version.
            weights = holder.require().version.extractor_weights
            article = Article(request.text, request.year, request.speaker_party, request.addressee)
            statements = await extractor.extract(article, weights)
            if len(statements) > limits.max_pending:
                raise ServiceError(413, "too_large", f"article yields {len(statements)} statements; at most "
                                                     f"{limits.max_pending} are scored at once: split it")
            if not statements:
                return {"model_version": holder.require().version_name, "statements": [], "summary": []}
            scored = await batcher.score(analysis.scoring_items(statements))
            rows = analysis.analyzed(statements, scored.predictions)
            return {"model_version": scored.version, "statements": rows, "summary": analysis.party_summary(rows)}

        return await within_deadline(work())

    # Health, model and metrics routes are async on purpose: they never wait for a worker thread, so they
    # answer while extraction or inference threads are saturated.
    @app.get("/v1/model", response_model=ModelInfo, responses=error_responses(503))
    async def model_info() -> dict:
        """The serving version: labels, metrics, training data fingerprint, model card, and any refused version."""
        return holder.describe()

    @app.get(HEALTH_PATH, response_model=Health)
    async def healthz() -> dict:
        """The process is alive (says nothing about the model). Under ``stance serve`` the protocol answers
        it before any task is started (``service.fast_lane``)."""
        return HEALTHY

    @app.get("/readyz", response_model=Ready, responses=error_responses(503))
    async def readyz() -> dict:
        """A model is loaded (each version answers a real prediction before it is swapped in) and the
        inference worker is running; ``refused`` says why a newer version is not served."""
        predictor = holder.require()
        if not batcher.alive:
            raise ServiceError(503, "not_ready", "inference worker has stopped")
        refused = holder.refused
        return {"status": "ready", "model_version": predictor.version_name,
                "refused": f"version {refused['version']} refused: {refused['reason']}" if refused else None}

    @app.get("/metrics", response_class=Response,
             responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                              "description": "Prometheus text format"}})
    async def prometheus_metrics() -> Response:
        """Requests, latency histograms, batch sizes, extraction, errors by kind, model reloads (summed over
        worker processes with ``--workers N``)."""
        return Response(metrics.render(), media_type=metrics.content_type)

    return app


def app_from_env() -> FastAPI:
    """The uvicorn factory: registry from ``STANCE_MODELS``, backend from ``STANCE_BACKEND``, limits from env."""
    logging.basicConfig(level=logging.INFO, format=FORMAT)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdFilter())
    backend = os.environ.get(BACKEND_ENV, "onnx")
    if backend not in ("onnx", "torch"):
        raise ValueError(f"{BACKEND_ENV}={backend!r}: use onnx or torch")
    return create_app(models_root(), backend, Limits.from_env())  # type: ignore[arg-type]
