"""``stance bench --soak``: the running service overloaded at 4x capacity on each route, for minutes.

Capacity is what the service admits at once: ``max_pending`` statements for ``/v1/score`` (in
requests of 16 statements) and ``max_pending_chars`` of article text for ``/v1/analyze``. Reported per
route: the answers (only 200, 429 and 503 are right), ``/healthz`` latency throughout (aim: under
100 ms), the first request after the flood, and memory and threads before and after.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from eval.flood import overload
from service.limits import Limits
from service.process import ServerProcess

STATEMENTS_PER_REQUEST = 16
OVERLOAD_X = 4
HEALTH_AIM_MS = 100.0


def article_from(statements: list[dict], chars: int = 5_000) -> str:
    """An article of about ``chars`` characters quoting the bench statements, each attributed to a minister."""
    parts, size, i = [], 0, 0
    while size < chars:
        s = statements[i % len(statements)]
        party = s.get("speaker_party") or "China"
        parts.append(f"\u201c{s['text']},\u201d the foreign minister of {party} said.")
        size += len(parts[-1]) + 2
        i += 1
    return "\n\n".join(parts)


def _state(pid: int) -> dict:
    from eval.bench import process_memory

    return {"rss_mib": process_memory(pid)["vm_rss_mib"], "threads": len(list(Path(f"/proc/{pid}/task").iterdir()))}


def soak(server: ServerProcess, statements: list[dict], limits: Limits, seconds: float,
         progress: Callable[[str], None]) -> dict:
    article = article_from(statements)
    routes = {
        "/v1/score": ({"statements": statements[:STATEMENTS_PER_REQUEST]},
                      limits.max_pending // STATEMENTS_PER_REQUEST),
        "/v1/analyze": ({"text": article}, max(1, limits.max_pending_chars // len(article))),
    }
    results = {}
    for route, (body, capacity) in routes.items():
        before = _state(server.pid)
        result = overload(server.base_url, route, body, OVERLOAD_X * capacity, seconds)
        time.sleep(2)  # let the last admitted work finish before reading memory
        result.update(before=before, after=_state(server.pid),
                      only_200_429_503=set(result["statuses"]) <= {"200", "429", "503"},
                      health_p99_under_aim=result["health_p99_ms"] < HEALTH_AIM_MS)
        progress(f"  soak {route}: {OVERLOAD_X * capacity} clients for {seconds:g} s: {result['statuses']}, "
                 f"health p50 {result['health_p50_ms']} ms, p99 {result['health_p99_ms']} ms, "
                 f"first after {result['first_after']}; RSS {before['rss_mib']} -> {result['after']['rss_mib']} MiB")
        results[route] = result
    return results
