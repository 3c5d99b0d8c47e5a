"""Article extraction for ``/v1/analyze`` on its own bounded executor, with admission control.

Extraction is seconds of CPU per large article and cannot be interrupted once started, so it
must never pile up: one worker thread (spaCy pipelines are not documented as thread-safe, and
extraction holds the GIL) behind an ``Admission`` of article characters with the measured
extraction rate, so an article that would not be extracted within the timeout is refused at once.
Work whose request has already timed out is cancelled before it starts, and no request ever waits
on a thread that health checks or scoring need.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from model.extraction.weights import ExtractorWeights
from model.schema import Statement
from service.admission import Admission
from service.errors import ServiceError
from service.heap import freeze_heap
from service.limits import Limits
from service.metrics import ServiceMetrics

log = logging.getLogger("stance.service")

WARMUP_ARTICLE = "\u201cWe are ready to cooperate with the European Union,\u201d the Chinese premier said."
RATE_MIN_CHARS = 2_000
"""Only articles this long update the measured rate (short ones are dominated by fixed costs)."""


@dataclass(frozen=True)
class Article:
    """An article to extract and how to read it (``/v1/analyze``'s fields; the workbench sets text and year)."""

    text: str
    year: int | None = None
    speaker_party: str | None = None
    addressee: str | None = None


def extract(article: Article, weights: ExtractorWeights | None = None) -> list[Statement]:
    """The article's attributed statements (CPU work: run it on the extraction thread); ``weights`` are the
    serving version's fitted files (``ModelVersion.extractor_weights``)."""
    from model.extraction import extract_statements

    try:
        return extract_statements(article.text, year=article.year, speaker_party=article.speaker_party,
                                  weights=weights, addressee=article.addressee)
    except ValueError as e:  # the extractor's own input checks, e.g. NUL bytes
        raise ServiceError(422, "validation", f"text: {e}") from None


class Extractor:
    """One extraction thread behind a character budget whose rate is learnt from finished articles."""

    def __init__(self, limits: Limits, metrics: ServiceMetrics):
        self.metrics = metrics
        self.admission = Admission("characters", limits.max_pending_chars, limits.timeout_s, metrics.pending_chars)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stance-extract")

    def warm_up(self) -> Future:
        """Load the language model and measure the extraction rate now, so the first ``/v1/analyze`` is not
        seconds slower and the first flood is admitted by what this machine can extract in time."""
        return self._pool.submit(self._warm_up)

    def _warm_up(self) -> None:
        try:
            extract(Article(WARMUP_ARTICLE, 2023))
            self._timed(Article("\n\n".join([WARMUP_ARTICLE] * (RATE_MIN_CHARS // len(WARMUP_ARTICLE) + 1)), 2023))
            log.info("article extraction runs at about %.0f characters/s", self.admission.rate or 0)
            freeze_heap()
        except Exception:  # the first real request will report the problem to its client
            log.exception("article extractor failed to warm up")

    def stop(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _timed(self, article: Article, weights: ExtractorWeights | None = None) -> list[Statement]:
        started = time.perf_counter()
        statements = extract(article, weights)
        elapsed = time.perf_counter() - started
        if len(article.text) >= RATE_MIN_CHARS:
            self.admission.observe(len(article.text), elapsed)
        self.metrics.extract_seconds.observe(elapsed)
        return statements

    def _submit(self, article: Article, weights: ExtractorWeights | None) -> Future:
        """Admit the article (429/413 at once) and queue it on the extraction thread."""
        n = len(article.text)
        self.admission.admit(n)
        context = contextvars.copy_context()  # the request id follows into the extraction thread's log lines
        try:
            future = self._pool.submit(context.run, self._timed, article, weights)
        except BaseException:
            self.admission.release(n)
            raise
        future.add_done_callback(lambda _: self.admission.release(n))
        return future

    async def extract(self, article: Article, weights: ExtractorWeights | None = None) -> list[Statement]:
        """The statements, or 429/413 at once; cancelling the await (a timeout) drops work not yet started."""
        return await asyncio.wrap_future(self._submit(article, weights))

    def extract_waiting(self, article: Article, weights: ExtractorWeights | None = None) -> list[Statement]:
        """The same for a caller on a worker thread (the workbench's uploads): admitted alike, then waited for
        at most the timeout, after which work not yet started is dropped and the caller gets 503."""
        future = self._submit(article, weights)
        try:
            return future.result(timeout=self.admission.timeout_s)
        except FutureTimeout:
            future.cancel()
            raise ServiceError(503, "timeout", f"article not extracted within {self.admission.timeout_s:g} s; "
                                               "retry later") from None
