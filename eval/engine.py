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

from eval.batch import COMMIT_ROWS, BatchRun, Checkpoint, RunPaths
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
    """Lines/s of ``stance score``'s run (read, parse, score, write, checkpoint) over an ``n``-line JSONL."""
    predictor = Predictor(version, backend, threads)

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

    def run(src: Path, paths: RunPaths) -> Checkpoint:
        ckpt = Checkpoint(str(src), str(paths.rejects), version.name, backend, engine="ray")
        return RayRun(src, JsonlSource(src), version, backend, paths, ckpt, True, rows_per_chunk,
                      workers).run(address, progress=False)

    result = _timed_run(statements, n, run)
    result["driver_cpu_ms_per_statement"] = result.pop("cpu_ms_per_statement")
    return {**result, "workers": workers, "rows_per_chunk": rows_per_chunk,
            "lines_per_s_per_worker": round(result["lines_per_s"] / workers, 1)}


def ray_bench(version: ModelVersion, backend: str, statements: list[dict], n: int, workers: list[int],
              rows_per_chunk: int, address: str | None = None, progress: Callable[[str], None] = print) -> dict:
    """``stance score`` local and on Ray with each worker count, same input and machine, in one run: each Ray
    rate is also given as a ratio to the local engine's, which holds where absolute rates move with the load."""
    from eval.ray_scoring import start_ray

    start_ray(address, max(workers))
    local = batch_scoring_rate(version, backend, statements, n)
    progress(f"local engine: {local['lines_per_s']} lines/s")
    result = {"model_version": version.name, "backend": backend, "lines": n, "cpus": os.cpu_count(),
              "load_average_at_start": [round(x, 2) for x in os.getloadavg()], "local": local, "ray": []}
    for w in workers:
        rate = ray_scoring_rate(version, backend, statements, n, w, rows_per_chunk, address)
        rate["ratio_to_local"] = round(rate["lines_per_s"] / local["lines_per_s"], 3)
        progress(f"ray, {w} worker(s): {rate['lines_per_s']} lines/s = {rate['ratio_to_local']}x the local engine")
        result["ray"].append(rate)
    return result
