"""Admission control's rule, on a real ``Admission`` with a known rate (the service tests flood it end to end)."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, Gauge

from service.admission import DEADLINE_SHARE, Admission
from service.errors import ServiceError


@pytest.fixture
def queue() -> Admission:
    """1,000 units at most, 10 s timeout, learnt rate 100 units/s: the queue's share is 500 units."""
    q = Admission("units", 1_000, 10.0, Gauge("pending_units", "", registry=CollectorRegistry()))
    q.observe(100, 1.0)
    return q


def refused(q: Admission, n: int) -> int | None:
    try:
        q.admit(n)
    except ServiceError as e:
        return e.status_code
    return None


def test_work_queues_only_within_its_share_of_the_timeout(queue):
    share = int(100 * 10 * DEADLINE_SHARE)
    assert refused(queue, share - 100) is None and refused(queue, 100) is None   # done within the share
    assert queue.full() and refused(queue, 1) == 429                             # one more would not be
    queue.release(share)
    assert not queue.full() and queue.pending == 0


def test_work_alone_may_use_the_whole_timeout(queue):
    assert refused(queue, 800) is None          # 8 s alone: past the share, inside the timeout
    assert refused(queue, 1) == 429              # but nothing queues behind it
    queue.release(800)
    assert refused(queue, 1_001) == 413          # over the bound and over the timeout even alone
    assert refused(queue, 999) is None and queue.pending == 999


def test_the_fixed_bound_holds_before_any_rate_is_learnt():
    q = Admission("units", 10, 10.0, Gauge("pending_units", "", registry=CollectorRegistry()))
    assert refused(q, 10) is None and q.full() and refused(q, 1) == 429
