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
import tempfile
import time
from pathlib import Path

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


def batch_scoring_rate(version: ModelVersion, backend: str, statements: list[dict], n: int,
                       batch_size: int = COMMIT_ROWS, threads: int | None = None) -> dict:
    """Lines/s of ``stance score``'s run (read, parse, score, write, checkpoint) over an ``n``-line JSONL."""
    predictor = Predictor(version, backend, threads)
    with tempfile.TemporaryDirectory(prefix="stance-bench-") as tmp:
        src = Path(tmp) / "in.jsonl"
        src.write_text("".join(json.dumps(s, ensure_ascii=False) + "\n" for s in _repeat(statements, n)))
        paths = RunPaths.for_output(Path(tmp) / "out.jsonl")
        ckpt = Checkpoint(str(src), str(paths.rejects), predictor.version_name, backend)
        started, cpu = time.perf_counter(), time.process_time()
        done = BatchRun(JsonlSource(src), predictor, paths, ckpt, batch_size).run(progress=False)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"lines": n, "scored": done.scored, "seconds": round(elapsed, 2), "lines_per_s": round(n / elapsed, 1),
            "cpu_ms_per_statement": round(1000 * cpu / n, 2), "batch_size": batch_size, "threads": threads}
