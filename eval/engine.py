"""The raw engine limit and batch scoring's share of it, measured in one process with no HTTP.

The limit is the served ONNX model on the bench statements in length-sorted batches of the
service's batch size, nothing else: no parsing, no network, no writing. ``stance bench`` reports
the service and ``stance score`` as shares of it, measured in the same run on the same machine,
so the shares hold where absolute rates (2 shared cores) do not. Each also reports its process CPU
time per statement: on a machine shared with other work, wall-clock rates move with the neighbours'
load, CPU time much less.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

from eval.batch import COMMIT_ROWS, INFERENCE_BATCH, BatchRun, Checkpoint, RunPaths
from eval.inputs import JsonlSource
from model.predictor import Predictor
from model.registry import ModelVersion

CHUNK = 1024
"""Statements handed to the predictor per call (it sorts each call's statements by length)."""


def _repeat(statements: list[dict], n: int) -> list[dict]:
    return [statements[i % len(statements)] for i in range(n)]


def engine_limit(version: ModelVersion, backend: str, statements: list[dict], n: int, batch_size: int,
                 threads: int | None) -> dict:
    """Statements/s of the bare predictor over ``n`` statements (after one warm-up chunk)."""
    predictor = Predictor(version, backend, threads)
    items = _repeat(statements, n)
    predictor.predict(items[:batch_size], batch_size=batch_size)
    started, cpu = time.perf_counter(), time.process_time()
    for s in range(0, n, CHUNK):
        predictor.predict(items[s:s + CHUNK], batch_size=batch_size)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"statements": n, "seconds": round(elapsed, 2), "statements_per_s": round(n / elapsed, 1),
            "cpu_ms_per_statement": round(1000 * cpu / n, 2), "batch_size": batch_size, "threads": threads}


def _timed_run(statements: list[dict], n: int, run: Callable[[Path, RunPaths], Checkpoint]) -> dict:
    """Write an ``n``-line JSONL of the statements, time ``run`` over it (wall and this process's CPU)."""
    with tempfile.TemporaryDirectory(prefix="stance-bench-") as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _repeat(statements, n)))
        started, cpu = time.perf_counter(), time.process_time()
        done = run(src, RunPaths.for_output(Path(tmp) / "out.jsonl"))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"lines": n, "scored": done.scored, "seconds": round(elapsed, 2), "lines_per_s": round(n / elapsed, 1),
            "cpu_ms_per_statement": round(1000 * cpu / n, 2)}


def batch_scoring_rate(version: ModelVersion, backend: str, statements: list[dict], n: int,
                       batch_size: int = COMMIT_ROWS, threads: int | None = None) -> dict:
    """Lines/s of ``stance score``'s run (read, parse, score, write, checkpoint) over an ``n``-line JSONL, after
    the same one-batch warm-up as ``engine_limit`` (a run's first model calls are slower)."""
    predictor = Predictor(version, backend, threads)
    predictor.predict(statements[:INFERENCE_BATCH], batch_size=INFERENCE_BATCH)

    def run(src: Path, paths: RunPaths) -> Checkpoint:
        ckpt = Checkpoint(str(src), str(paths.rejects), predictor.version_name, backend)
        return BatchRun(JsonlSource(src), predictor, paths, ckpt, batch_size).run(progress=False)

    return {**_timed_run(statements, n, run), "batch_size": batch_size, "threads": threads}


def ray_scoring_rate(version: ModelVersion, backend: str, statements: list[dict], n: int, workers: int,
                     rows_per_chunk: int, address: str | None = None) -> dict:
    """Lines/s of ``stance score --engine ray`` with ``workers`` actors over an ``n``-line JSONL: Ray is started
    before the clock (once per process), the actors' start and model load are inside it. The CPU time is the
    driver's only (planning, staging, committing), the actors' is theirs."""
    from eval.ray_scoring import RayRun, start_ray

    start_ray(address, workers)

    actor_cpu_s = 0.0

    def run(src: Path, paths: RunPaths) -> Checkpoint:
        nonlocal actor_cpu_s
        ckpt = Checkpoint(str(src), str(paths.rejects), version.name, backend, engine="ray")
        ray_run = RayRun(src, JsonlSource(src), version, backend, paths, ckpt, True, rows_per_chunk, workers)
        done = ray_run.run(address, progress=False)
        actor_cpu_s = ray_run.actor_cpu_s
        return done

    result = _timed_run(statements, n, run)
    result["driver_cpu_ms_per_statement"] = result.pop("cpu_ms_per_statement")
    return {**result, "workers": workers, "rows_per_chunk": rows_per_chunk,
            "lines_per_s_per_worker": round(result["lines_per_s"] / workers, 1),
            "actor_cpu_ms_per_statement": round(1000 * actor_cpu_s / n, 2)}


def ray_bench(version: ModelVersion, backend: str, statements: list[dict], n: int, workers: list[int],
              rows_per_chunk: int, address: str | None = None, progress: Callable[[str], None] = print) -> dict:
    """``stance score`` local and on Ray with each worker count, same input and machine, in one run: the local
    engine before and after the Ray runs (their mean is the reference, so a change in the neighbours' load
    shows as a gap between the two), each Ray rate also as a ratio to it, by wall clock and by CPU time."""
    from eval.ray_scoring import start_ray

    start_ray(address, max(workers))
    result = {"model_version": version.name, "backend": backend, "lines": n, "cpus": os.cpu_count(),
              "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "ray": []}
    result["local_before"] = batch_scoring_rate(version, backend, statements, n)
    progress(f"local engine: {result['local_before']['lines_per_s']} lines/s")
    for w in workers:
        result["ray"].append(ray_scoring_rate(version, backend, statements, n, w, rows_per_chunk, address))
        progress(f"ray, {w} worker(s): {result['ray'][-1]['lines_per_s']} lines/s")
    result["local_after"] = batch_scoring_rate(version, backend, statements, n)
    progress(f"local engine again: {result['local_after']['lines_per_s']} lines/s")
    local = {k: (result["local_before"][k] + result["local_after"][k]) / 2
             for k in ("lines_per_s", "cpu_ms_per_statement")}
    result["local_mean"] = {k: round(v, 2) for k, v in local.items()}
    for rate in result["ray"]:
        rate["ratio_to_local"] = round(rate["lines_per_s"] / local["lines_per_s"], 3)
        rate["cpu_ratio_to_local"] = round(local["cpu_ms_per_statement"] / rate["actor_cpu_ms_per_statement"], 3)
    result["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return result
