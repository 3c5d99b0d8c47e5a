"""Micro-batching: concurrent requests share one inference call, in one worker thread.

The event loop only admits requests and awaits futures; the single worker thread owns the
predictor (tokenizer and runtime are not shared across threads). The first request of a batch
waits at most ``batch_wait_ms`` for company, so a lone request is barely delayed while under load
batches fill up to ``batch_size`` statements and throughput grows. ``Predictor.predict`` sorts a
batch's statements by length and runs them in chunks of ``batch_size`` (one large request is one
batch), so padding stays small. Admission is bounded by ``max_pending`` statements and by what
the measured inference rate gets through within the timeout (``Admission``): past it a request is
refused (429) at once instead of queueing past its deadline. A request that timed out is dropped
from its batch unscored.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from dataclasses import dataclass

from model.encoding import party_header
from model.predictor import Prediction, Predictor
from service.admission import Admission
from service.errors import ServiceError
from service.limits import Limits
from service.metrics import ServiceMetrics
from service.model_holder import ModelHolder

log = logging.getLogger("stance.service")


@dataclass(eq=False)
class _Job:
    items: list[dict]
    future: asyncio.Future
    loop: asyncio.AbstractEventLoop
    released: bool = False


@dataclass
class Scored:
    """One request's predictions and the version that made all of them."""

    version: str
    predictions: list[Prediction]


def _settle(future: asyncio.Future, result: Scored | BaseException) -> None:
    """Runs on the event loop; a future already cancelled by a timeout is left alone."""
    if future.done():
        return
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)


def party_header_problem(predictor: Predictor, items: list[dict]) -> str | None:
    """Why these statements' party names cannot fit the model input, or None.

    The encoding truncates only the statement, so party names longer (in tokens) than the model
    input would make the tokenizer fail for the whole batch; such a request is refused alone.
    """
    budget = predictor.max_length // 2
    headers = sorted({party_header(it.get("speaker_party"), it.get("target_party")) for it in items})
    lengths = predictor.tokenizer(headers, add_special_tokens=False)["input_ids"]
    for header, ids in zip(headers, lengths):
        if len(ids) > budget:
            return (f"party names {header!r} take {len(ids)} tokens, more than the {budget} the model "
                    "leaves for them; use the canonical party names")
    return None


class MicroBatcher:
    """Gathers admitted requests into batches and scores them with the holder's current predictor."""

    def __init__(self, holder: ModelHolder, limits: Limits, metrics: ServiceMetrics):
        self.holder = holder
        self.limits = limits
        self.metrics = metrics
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.admission = Admission("statements", limits.max_pending, limits.timeout_s, metrics.pending)
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._work, name="stance-inference", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    async def score(self, items: list[dict]) -> Scored:
        """Predictions for one request's statements, in order; 429 when the service is full."""
        self.holder.require()
        self.admission.admit(len(items))
        loop = asyncio.get_running_loop()
        job = _Job(items, loop.create_future(), loop)
        # A request that times out gives its room back at once; the worker will skip its statements.
        job.future.add_done_callback(lambda f: self._release(job) if f.cancelled() else None)
        self._queue.put(job)
        return await job.future

    def _release(self, job: _Job) -> None:
        with self._lock:
            if job.released:
                return
            job.released = True
        self.admission.release(len(job.items))

    def _work(self) -> None:
        while (first := self._queue.get()) is not None:
            batch = self._gather(first)
            try:
                self._run([job for job in batch if not job.future.done()])
            finally:
                for job in batch:
                    self._release(job)
        log.info("inference worker stopped")

    def _gather(self, first: _Job) -> list[_Job]:
        """The first job plus whatever arrives within the wait, up to the batch size."""
        batch, n = [first], len(first.items)
        deadline = time.monotonic() + self.limits.batch_wait_ms / 1000
        while n < self.limits.batch_size:
            try:
                job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if job is None:  # stop: finish this batch, then let the loop see the sentinel
                self._queue.put(None)
                break
            batch.append(job)
            n += len(job.items)
        return batch

    def _run(self, jobs: list[_Job]) -> None:
        if not jobs:
            return
        predictor = self.holder.predictor  # one version for the whole batch, even if a swap happens now
        runnable = []
        for job in jobs:
            problem = party_header_problem(predictor, job.items)
            if problem:
                self._deliver(job, ServiceError(422, "validation", problem))
            else:
                runnable.append(job)
        items = [it for job in runnable for it in job.items]
        if not items:
            return
        started = time.perf_counter()
        try:
            predictions = predictor.predict(items, batch_size=self.limits.batch_size)
        except Exception:  # the worker must survive whatever one batch does
            log.exception("inference failed for a batch of %d statements", len(items))
            for job in runnable:
                self._deliver(job, ServiceError(500, "inference", "inference failed; it has been logged"))
            return
        elapsed = time.perf_counter() - started
        self.admission.observe(len(items), elapsed)
        self.metrics.batch_seconds.observe(elapsed)
        self.metrics.batch_size.observe(len(items))
        self.metrics.batch_requests.observe(len(runnable))
        at = 0
        for job in runnable:
            self._deliver(job, Scored(predictor.version_name, predictions[at:at + len(job.items)]))
            at += len(job.items)

    @staticmethod
    def _deliver(job: _Job, result: Scored | BaseException) -> None:
        job.loop.call_soon_threadsafe(_settle, job.future, result)
