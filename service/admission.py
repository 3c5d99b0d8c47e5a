"""Admission control: admit work only while what is already admitted can be done within the timeout.

Both queues of the service use it, the statements waiting for inference and the article
characters waiting for extraction. Each has a fixed bound and a rate measured from the work it
finishes; a request is refused at once when the work ahead of it plus its own would not be done
within ``DEADLINE_SHARE`` of the timeout at that rate: 429 (retry shortly) when other work is ahead
of it, 413 when even alone it could not finish within the whole timeout. So a request that is
admitted can be answered, and a flood is turned away at the door instead of queueing past its
deadline.
"""

from __future__ import annotations

import threading

from prometheus_client import Gauge

from service.errors import ServiceError

SMOOTHING = 0.3
"""Weight of the newest measurement in the rate (an exponential moving average)."""
DEADLINE_SHARE = 0.5
"""Work is queued behind other work only while all of it would be done within this share of the timeout. The
rate is learnt per item, but under a flood the event loop and other processes take CPU between items, and a
request has more to do after its queue (an article's statements are scored after extraction). Filling the
queue to the whole timeout, two thirds of the articles admitted during a 10 s flood of ``/v1/analyze`` at 4x
capacity timed out with 503 (``stance bench --soak``, 2 busy cores); with half, at most a tenth did, and more
were answered. A shorter queue drains at the same rate, so a flood gets no fewer answers."""


class Admission:
    """Pending work in ``unit``s, bounded by ``limit`` and by what ``rate`` gets through in ``timeout_s``."""

    def __init__(self, unit: str, limit: int, timeout_s: float, gauge: Gauge):
        self.unit, self.limit, self.timeout_s, self.gauge = unit, limit, timeout_s, gauge
        self.rate: float | None = None
        self.pending = 0
        self._lock = threading.Lock()

    def admit(self, n: int) -> None:
        with self._lock:
            rate = self.rate
            if rate and n / rate > self.timeout_s:
                raise ServiceError(413, "too_large", f"{n} {self.unit} take about {n / rate:.1f} s here "
                                                     f"({rate:,.0f} {self.unit}/s), over the {self.timeout_s:g} s "
                                                     f"timeout: send at most {int(rate * self.timeout_s)}")
            if self._no_room(n, rate):
                raise ServiceError(429, "overloaded", f"service is full ({self.pending} {self.unit} pending, "
                                                      f"limit {self.limit}); retry shortly")
            self.pending += n
            self.gauge.set(self.pending)

    def full(self) -> bool:
        """Whether not even one more unit would be admitted now (read without the lock: a hint for shedding a
        request before its body is parsed; ``admit`` still decides for every request that gets past it)."""
        return self._no_room(1, self.rate)

    def _no_room(self, n: int, rate: float | None) -> bool:
        """Whether ``n`` more units would pass the bound, or, queued behind pending work, would not all be done at
        ``rate`` within the queue's share of the timeout."""
        units = self.pending + n
        return units > self.limit or bool(self.pending and rate and units / rate > DEADLINE_SHARE * self.timeout_s)

    def release(self, n: int) -> None:
        with self._lock:
            self.pending -= n
            self.gauge.set(self.pending)

    def observe(self, n: int, seconds: float) -> None:
        """Work of ``n`` units just took ``seconds``: update the rate."""
        if seconds <= 0:
            return
        with self._lock:
            rate = n / seconds
            self.rate = rate if self.rate is None else (1 - SMOOTHING) * self.rate + SMOOTHING * rate
