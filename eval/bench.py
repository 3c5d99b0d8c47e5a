"""``stance bench``: our service against a plain transformers-pipeline server, measured in the same run.

Both servers run as their own processes on loopback, one after the other (never competing for
the CPU), and are driven by the same closed-loop client: ``concurrency`` clients each send one
single-statement request, wait for the answer, send the next. Each level stops after
``requests`` requests or ``seconds`` seconds. Statements come from the gold annotations.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from model.registry import ModelVersion, Registry
from eval.loopback import Connection
from model.errors import InputError
from service.limits import Limits
from service.process import ServerProcess, free_port, stance_server

GIB = 1024 ** 3
WARMUP_REQUESTS = 20
AIM_THROUGHPUT_X = 4.0
AIM_SINGLE_P50_MS = 20.0


@dataclass
class BenchConfig:
    models: Path | None = None
    backend: str = "onnx"
    concurrency: list[int] = field(default_factory=lambda: [1, 8, 32])
    requests: int = 300
    seconds: float = 20.0
    data: Path | None = None
    baseline: bool = True
    baseline_threads: int | None = None
    engine_statements: int = 2_000
    """Statements for the raw engine limit and the ``stance score`` run (0 skips both)."""
    soak_s: float = 0.0
    """Seconds of overload per route at 4x capacity (0: no soak)."""


def load_statements(data: Path | None = None) -> tuple[list[dict], str]:
    """(statements, where they came from): the gold set's texts, else ``data`` (JSONL with ``text``)."""
    from training.annotations import AnnotationError, load_annotations, read_jsonl

    try:
        records = load_annotations()
        source = "gold annotations (data/annotations)"
    except (AnnotationError, FileNotFoundError, KeyError) as e:
        if data is None:
            raise InputError(f"gold annotations unavailable ({e}); pass --data statements.jsonl") from None
        records, source = [], str(data)
        for n, rec, err in read_jsonl(data):
            if err or not isinstance(rec.get("text"), str) or not rec["text"].strip():
                raise InputError(f"{data}:{n}: {err or 'needs a non-empty text field'}")
            records.append(rec)
    if not records:
        raise InputError(f"no statements in {source}")
    keep = ("text", "speaker_party", "target_party")
    return [{k: r[k] for k in keep if r.get(k)} for r in records], source


async def _drive(base_url: str, statements: list[dict], concurrency: int, requests: int, seconds: float) -> dict:
    """Closed-loop load: ``concurrency`` clients, each with one request in flight at a time."""
    latencies: list[float] = []
    failures: Counter = Counter()
    sent = 0
    deadline = time.monotonic() + seconds

    async def client_loop() -> None:
        nonlocal sent
        conn = await Connection.open(base_url)
        try:
            while sent < requests and time.monotonic() < deadline:
                body = {"statements": [statements[sent % len(statements)]]}
                sent += 1
                started = time.perf_counter()
                try:
                    status = str(await conn.post("/v1/score", body))
                except (OSError, asyncio.IncompleteReadError) as e:
                    status = type(e).__name__
                    conn.close()
                    conn = await Connection.open(base_url)
                if status == "200":
                    latencies.append(time.perf_counter() - started)
                else:
                    failures[status] += 1
        finally:
            conn.close()

    started = time.perf_counter()
    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    ms = np.array(latencies) * 1000
    return {
        "concurrency": concurrency, "requests": sent, "ok": len(latencies), "seconds": round(elapsed, 3),
        "errors": dict(failures),
        "statements_per_s": round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(float(np.percentile(ms, 50)), 2) if len(ms) else None,
        "p95_ms": round(float(np.percentile(ms, 95)), 2) if len(ms) else None,
    }


def process_memory(pid: int) -> dict:
    """Resident size now (VmRSS) and at its peak (VmHWM) from /proc, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) * 1024
    return {"vm_rss_mib": round(fields["VmRSS"] / 2**20, 1), "vm_hwm_mib": round(fields["VmHWM"] / 2**20, 1),
            "under_1_gib": fields["VmHWM"] < GIB}


def measure_server(server: ServerProcess, statements: list[dict], cfg: BenchConfig,
                   progress: Callable[[str], None]) -> dict:
    """Warm the server up, drive every concurrency level, then read its memory."""
    asyncio.run(_drive(server.base_url, statements, 1, WARMUP_REQUESTS, cfg.seconds))
    levels = []
    for c in cfg.concurrency:
        level = asyncio.run(_drive(server.base_url, statements, c, cfg.requests, cfg.seconds))
        progress(f"  concurrency {c}: {level['statements_per_s']} statements/s, p50 {level['p50_ms']} ms, "
                 f"p95 {level['p95_ms']} ms")
        levels.append(level)
    return {"levels": levels, "memory": process_memory(server.pid)}


def _ratios(ours: list[dict], base: list[dict]) -> list[dict]:
    out = []
    for a, b in zip(ours, base):
        out.append({
            "concurrency": a["concurrency"],
            "throughput_x": round(a["statements_per_s"] / b["statements_per_s"], 2) if b["statements_per_s"] else None,
            "p50_x": round(a["p50_ms"] / b["p50_ms"], 3) if a["p50_ms"] and b["p50_ms"] else None,
            "p95_x": round(a["p95_ms"] / b["p95_ms"], 3) if a["p95_ms"] and b["p95_ms"] else None,
        })
    return out


def run_bench(cfg: BenchConfig, progress: Callable[[str], None] = print) -> dict:
    """Start each server in turn, measure it, stop it; compare."""
    registry = Registry(cfg.models)
    version = registry.get()
    statements, source = load_statements(cfg.data)
    progress(f"{len(statements)} statements from {source}; model {version.name}")
    result: dict = {
        "model_version": version.name, "backend": cfg.backend, "statements": len(statements), "source": source,
        "cpus": os.cpu_count(), "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "requests_per_level": cfg.requests, "seconds_per_level": cfg.seconds,
    }
    limits = Limits.from_env()
    if cfg.engine_statements:
        _engine_and_score(result, version, statements, cfg, limits, progress)
    with stance_server(registry.root, cfg.backend, "--log-level", "warning") as server:
        progress(f"ours: stance serve --backend {cfg.backend} at {server.base_url}")
        result["ours"] = measure_server(server, statements, cfg, progress)
        if cfg.engine_statements:
            engine = result["engine_limit_service_threads"]["statements_per_s"]
            for level in result["ours"]["levels"]:
                level["share_of_engine"] = round(level["statements_per_s"] / engine, 3)
        if cfg.soak_s:
            from eval.soak import soak

            result["soak"] = soak(server, statements, limits, cfg.soak_s, progress)
    if cfg.baseline:
        port = free_port()
        command = [sys.executable, "-m", "eval.bench_baseline", "--model", str(version.path), "--port", str(port)]
        if cfg.baseline_threads:
            command += ["--threads", str(cfg.baseline_threads)]
        result["baseline_torch_threads"] = cfg.baseline_threads or "torch default"
        with ServerProcess(command, port) as server:
            progress(f"baseline: transformers pipeline at {server.base_url}")
            result["baseline"] = measure_server(server, statements, cfg, progress)
        result["ratios"] = _ratios(result["ours"]["levels"], result["baseline"]["levels"])
    result["aims"] = _aims(result, cfg)
    return result


def _engine_and_score(result: dict, version: ModelVersion, statements: list[dict], cfg: BenchConfig,
                      limits: Limits, progress: Callable[[str], None]) -> None:
    """The raw engine limit with the service's threads and batch size, then with ``stance score``'s before and
    after ``stance score`` on the same statements: the score's share is of the mean of those two, so a change in
    the neighbours' load during the run shows as a gap between them instead of as a share."""
    from eval.batch import INFERENCE_BATCH
    from eval.engine import batch_scoring_rate, engine_limit

    n = cfg.engine_statements

    def measured(name: str, rate: dict) -> None:
        result[name] = rate
        per_s = rate.get("statements_per_s", rate.get("lines_per_s"))
        progress(f"{name}: {per_s}/s (threads {rate['threads'] or 'default'}), load average "
                 f"{os.getloadavg()[0]:.2f}")

    measured("engine_limit_service_threads",
             engine_limit(version, cfg.backend, statements, n, limits.batch_size, limits.threads))
    measured("engine_limit", engine_limit(version, cfg.backend, statements, n, INFERENCE_BATCH, None))
    measured("score", batch_scoring_rate(version, cfg.backend, statements, n))
    measured("engine_limit_after", engine_limit(version, cfg.backend, statements, n, INFERENCE_BATCH, None))
    engine = {k: (result["engine_limit"][k] + result["engine_limit_after"][k]) / 2
              for k in ("statements_per_s", "cpu_ms_per_statement")}
    result["engine_limit_mean"] = {k: round(v, 2) for k, v in engine.items()}
    score = result["score"]
    score["share_of_engine"] = round(score["lines_per_s"] / engine["statements_per_s"], 3)
    score["cpu_share_of_engine"] = round(engine["cpu_ms_per_statement"] / score["cpu_ms_per_statement"], 3)
    progress(f"stance score: {score['lines_per_s']} lines/s = {score['share_of_engine']:.0%} of the engine limit "
             f"({score['cpu_share_of_engine']:.0%} by CPU time)")


def _aims(result: dict, cfg: BenchConfig) -> dict:
    """The issue's targets, each true, false, or None where this run did not measure it."""
    ours = {lvl["concurrency"]: lvl for lvl in result["ours"]["levels"]}
    at_32 = next((r for r in result.get("ratios", []) if r["concurrency"] == 32), None)
    single = ours.get(1, {}).get("p50_ms")
    return {
        f"throughput_x_at_32_ge_{AIM_THROUGHPUT_X:g}":
            (at_32["throughput_x"] or 0) >= AIM_THROUGHPUT_X if at_32 else None,
        f"single_p50_ms_lt_{AIM_SINGLE_P50_MS:g}": single < AIM_SINGLE_P50_MS if single is not None else None,
        "memory_under_1_gib": result["ours"]["memory"]["under_1_gib"],
        "score_ge_90pct_of_engine": result["score"]["share_of_engine"] >= 0.9 if "score" in result else None,
    }


def format_table(result: dict) -> str:
    """The results as aligned text: one row per server and level, then ratios, memory and aims."""
    rows = [f"model {result['model_version']} ({result['backend']}), {result['statements']} statements, "
            f"{result['cpus']} CPUs, load average {result['load_average_at_start']} at start, baseline torch "
            f"threads: {result.get('baseline_torch_threads', '-')}", "",
            f"{'server':<10}{'conc':>6}{'stmts/s':>10}{'p50 ms':>9}{'p95 ms':>9}{'ok':>6}  errors"]
    for name in ("ours", "baseline"):
        for lvl in result.get(name, {}).get("levels", []):
            rows.append(f"{name:<10}{lvl['concurrency']:>6}{lvl['statements_per_s']:>10}{lvl['p50_ms']!s:>9}"
                        f"{lvl['p95_ms']!s:>9}{lvl['ok']:>6}  {json.dumps(lvl['errors']) if lvl['errors'] else '-'}")
    if result.get("ratios"):
        rows += ["", f"{'ours/baseline':<16}{'throughput':>11}{'p50':>8}{'p95':>8}"]
        rows += [f"{'concurrency ' + str(r['concurrency']):<16}{r['throughput_x']!s:>10}x{r['p50_x']!s:>8}"
                 f"{r['p95_x']!s:>8}" for r in result["ratios"]]
    rows.append("")
    for name in ("ours", "baseline"):
        if name in result:
            m = result[name]["memory"]
            rows.append(f"memory {name:<9} RSS {m['vm_rss_mib']} MiB, peak {m['vm_hwm_mib']} MiB "
                        f"({'under' if m['under_1_gib'] else 'NOT under'} 1 GiB)")
    if "engine_limit" in result:
        rows += ["", f"raw engine limit: {result['engine_limit']['statements_per_s']} statements/s (default threads) "
                     f"before stance score, {result['engine_limit_after']['statements_per_s']} after, "
                     f"{result['engine_limit_service_threads']['statements_per_s']} with the service's threads",
                 f"stance score: {result['score']['lines_per_s']} lines/s = {result['score']['share_of_engine']:.0%} "
                 f"of the engine limit ({result['score']['cpu_share_of_engine']:.0%} by CPU time per statement)",
                 "service: " + ", ".join(f"concurrency {lvl['concurrency']} = {lvl['share_of_engine']:.0%}"
                                          for lvl in result["ours"]["levels"]) + " of the engine limit (same threads)"]
    for route, r in result.get("soak", {}).items():
        rows.append(f"soak {route}: {r['clients']} clients {r['seconds']:g} s {json.dumps(r['statuses'])}; health p50 "
                    f"{r['health_p50_ms']} / p99 {r['health_p99_ms']} / max {r['health_max_ms']} ms; first after "
                    f"{r['first_after']}; RSS {r['before']['rss_mib']} -> {r['after']['rss_mib']} MiB, threads "
                    f"{r['before']['threads']} -> {r['after']['threads']}")
    rows += ["", "aims: " + ", ".join(f"{k}={v}" for k, v in result["aims"].items())]
    return "\n".join(rows)
