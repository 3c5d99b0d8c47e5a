"""Overload on loopback: many closed-loop clients on one route for a bounded time, health probed throughout.

Used by the overload tests (seconds, small limits) and ``stance bench --soak`` (minutes, default
limits). What it reports is what an operator asks of a service under abuse: only 200, 429 or
503 answers, health answering quickly throughout, the first request after the flood served, and
memory back where it started.

The health probe runs in a process of its own, as a load balancer's or kubelet's would: probing from the
clients' event loop timed the load generator's own queue of hundreds of connections as well as the server.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections import Counter

import numpy as np

from eval.loopback import Connection

HEALTH_EVERY_S = 0.1
HEALTH_TIMEOUT_S = 5.0
DRAIN_LIMIT_S = 60.0
PENDING_GAUGES = ("stance_pending_statements", "stance_extraction_pending_characters")


async def _clients(base_url: str, route: str, body: dict, clients: int, deadline: float) -> Counter:
    statuses: Counter = Counter()
    payload = json.dumps(body).encode()

    async def one() -> None:
        conn = await Connection.open(base_url)
        try:
            while time.monotonic() < deadline:
                try:
                    statuses[str(await conn.post(route, payload))] += 1
                except (OSError, asyncio.IncompleteReadError) as e:
                    statuses[type(e).__name__] += 1
                    conn.close()
                    conn = await Connection.open(base_url)
        finally:
            conn.close()

    await asyncio.gather(*(one() for _ in range(clients)))
    return statuses


async def _health(base_url: str, deadline: float) -> tuple[list[float], Counter]:
    """``/healthz`` latencies (ms) every ``HEALTH_EVERY_S`` on a connection of its own, and their outcomes."""
    latencies, outcomes = [], Counter()
    conn = await Connection.open(base_url)
    try:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                status, _ = await asyncio.wait_for(conn.request("GET", "/healthz"), HEALTH_TIMEOUT_S)
                outcomes[str(status)] += 1
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as e:
                outcomes[type(e).__name__] += 1
                conn.close()
                conn = await Connection.open(base_url)
            latencies.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(HEALTH_EVERY_S)
    finally:
        conn.close()
    return latencies, outcomes


async def _drained(conn: Connection) -> float:
    """Milliseconds until the work the service admitted during the flood is done (its pending gauges read 0):
    a request whose client gave up (503) may still hold an extraction that cannot be interrupted."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_LIMIT_S:
        text = await conn.text("/metrics")
        values = [float(line.split()[-1]) for line in text.splitlines() if line.startswith(PENDING_GAUGES)]
        if not any(values):
            break
        await asyncio.sleep(0.05)
    return round((time.perf_counter() - started) * 1000, 1)


async def _overload(base_url: str, route: str, body: dict, clients: int, seconds: float) -> dict:
    # A process of its own (python -m eval.flood URL): it says "ready", reads the flood's deadline on CLOCK_MONOTONIC,
    # which both processes share, and prints its latencies and outcomes as JSON when the deadline has passed.
    probe = subprocess.Popen([sys.executable, "-m", "eval.flood", base_url], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        if await asyncio.to_thread(probe.stdout.readline) != "ready\n":
            raise RuntimeError(f"the health probe process did not start (exit code {probe.poll()})")
        deadline = time.monotonic() + seconds
        probe.stdin.write(f"{deadline!r}\n")
        probe.stdin.flush()
        statuses = await _clients(base_url, route, body, clients, deadline)
        health_ms, health = json.loads((await asyncio.to_thread(probe.communicate, None, HEALTH_TIMEOUT_S + 60))[0])
    finally:
        probe.kill()
    conn = await Connection.open(base_url)
    try:
        drained_ms = await _drained(conn)
        started = time.perf_counter()
        first_after = await conn.post(route, body)
        first_after_ms = (time.perf_counter() - started) * 1000
    finally:
        conn.close()
    ms = np.array(health_ms)
    return {"route": route, "clients": clients, "seconds": seconds, "statuses": dict(statuses),
            "health": dict(health), "health_p50_ms": round(float(np.percentile(ms, 50)), 1),
            "health_p99_ms": round(float(np.percentile(ms, 99)), 1), "health_max_ms": round(float(ms.max()), 1),
            "drained_ms": drained_ms, "first_after": first_after, "first_after_ms": round(first_after_ms, 1)}


def overload(base_url: str, route: str, body: dict, clients: int, seconds: float) -> dict:
    """``clients`` closed-loop clients posting ``body`` to ``route`` for ``seconds``, then, once the work admitted
    during the flood is done, one more request."""
    return asyncio.run(_overload(base_url, route, body, clients, seconds))


def _probe_until_told(base_url: str) -> None:
    """The health probe's process: see ``_overload``."""
    print("ready", flush=True)
    latencies, outcomes = asyncio.run(_health(base_url, float(sys.stdin.readline())))
    print(json.dumps([latencies, outcomes]))


if __name__ == "__main__":
    _probe_until_told(sys.argv[1])
