"""``stance serve`` and ``stance bench``: run the scoring service, and measure it against a plain baseline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from cli.common import BackendOpt, ModelsOpt, echo_json, fail, user_errors
from model.errors import InputError
from service.limits import Limits


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("bench")(bench)


def _limit(name: str, help_text: str):
    """An optional override of one ``Limits`` field; its help names the default and the variable."""
    default = getattr(Limits(), name)
    return typer.Option(None, help=f"{help_text} [default: {default}; env {Limits.env_name(name)}]",
                        show_default=False)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    workers: int = typer.Option(1, min=1, help="Worker processes; each loads the model and batches on its own."),
    max_statements: Optional[int] = _limit("max_statements", "Statements per /v1/score request, 413 above"),
    max_statement_chars: Optional[int] = _limit("max_statement_chars", "Characters per statement, 413 above"),
    max_article_chars: Optional[int] = _limit("max_article_chars", "Characters per /v1/analyze article, 413 above"),
    max_pending_chars: Optional[int] = _limit("max_pending_chars", "Article characters awaiting extraction, "
                                                                   "429 above"),
    timeout_s: Optional[float] = _limit("timeout_s", "Seconds before an unanswered request is cut with 503"),
    header_timeout_s: Optional[float] = _limit("header_timeout_s", "Seconds for a request's headers to arrive"),
    body_timeout_s: Optional[float] = _limit("body_timeout_s", "Seconds to wait for more of a body, 408 after"),
    max_pending: Optional[int] = _limit("max_pending", "Statements admitted and not yet answered, 429 above"),
    batch_size: Optional[int] = _limit("batch_size", "Most statements per inference batch"),
    batch_wait_ms: Optional[float] = _limit("batch_wait_ms", "Longest wait for a batch to fill, in milliseconds"),
    reload_interval_s: Optional[float] = _limit("reload_interval_s", "Seconds between checks for a new model"),
    inference_threads: Optional[int] = _limit("inference_threads", "Model threads, 0 = CPUs - 1 (at most 4)"),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve /v1/score, /v1/analyze, /v1/model, /healthz, /readyz and /metrics over the current model.

    SIGTERM stops accepting connections, answers the requests in flight, then exits.
    """
    import shutil
    import tempfile

    import uvicorn

    from model.registry import MODELS_ENV, Registry, RegistryError
    from service.app import BACKEND_ENV
    from service.logs import log_config
    from service.metrics import MULTIPROC_ENV

    with user_errors():
        if backend not in ("onnx", "torch"):
            raise InputError(f"unknown backend {backend!r}: use onnx or torch")
        limits = Limits.from_env(
            max_statements=max_statements, max_statement_chars=max_statement_chars,
            max_article_chars=max_article_chars, max_pending_chars=max_pending_chars, timeout_s=timeout_s,
            header_timeout_s=header_timeout_s, body_timeout_s=body_timeout_s, max_pending=max_pending,
            batch_size=batch_size, batch_wait_ms=batch_wait_ms, reload_interval_s=reload_interval_s,
            inference_threads=inference_threads)
    registry = Registry(models)
    try:
        registry.get()
    except RegistryError as e:
        fail(f"{e}\n  build and promote a model first: stance train --models {registry.root} --promote\n"
             f"  (or make an existing version current: stance promote <version> --models {registry.root})")
    os.environ.update(limits.to_env())
    os.environ[MODELS_ENV] = str(registry.root.resolve())
    os.environ[BACKEND_ENV] = backend
    metrics_dir = tempfile.mkdtemp(prefix="stance-metrics-") if workers > 1 else None
    if metrics_dir:  # each worker writes its metrics here; /metrics in any of them sums all
        os.environ[MULTIPROC_ENV] = metrics_dir
    try:
        uvicorn.run("service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, log_config=log_config(log_level),
                    http="service.connections:HeaderTimeoutProtocol", timeout_graceful_shutdown=int(limits.timeout_s) + 5)
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def bench(
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    concurrency: str = typer.Option("1,8,32", help="Comma-separated client concurrency levels."),
    requests: int = typer.Option(300, min=1, help="Most single-statement requests per level and server."),
    seconds: float = typer.Option(20.0, min=1, help="Most seconds per level and server."),
    data: Optional[Path] = typer.Option(None, help="JSONL of statements (text, optional parties) to use if the "
                                                   "gold annotations cannot be loaded."),
    out: Optional[Path] = typer.Option(None, help="Write the results as JSON here."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also measure the transformers pipeline."),
    baseline_threads: Optional[int] = typer.Option(None, min=1, help="Pin the baseline's torch threads (default: "
                                                   "torch's own choice, as a plain pipeline runs)."),
    engine_statements: int = typer.Option(2000, "--engine-statements", min=0,
                                          help="Statements for the raw engine limit and the `stance score` run "
                                               "it is compared with (0 skips both)."),
    soak: float = typer.Option(0.0, "--soak", min=0, help="Also overload /v1/score and /v1/analyze at 4x capacity "
                                                          "for this many seconds each (health, recovery, memory)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the table."),
) -> None:
    """Throughput and latency of `stance serve` against a transformers-pipeline server, both on loopback, as
    shares of the raw engine limit (the model alone, in one process), with `stance score`'s share too."""
    from eval.bench import BenchConfig, format_table, run_bench

    with user_errors():
        levels = [int(c) for c in concurrency.split(",") if c.strip()]
        if not levels or min(levels) < 1:
            raise InputError(f"--concurrency {concurrency!r}: give positive integers, e.g. 1,8,32")
        cfg = BenchConfig(models=models, backend=backend, concurrency=levels, requests=requests,
                          seconds=seconds, data=data, baseline=baseline, baseline_threads=baseline_threads,
                          engine_statements=engine_statements, soak_s=soak)
        result = run_bench(cfg, progress=lambda line: typer.echo(line, err=True))
    if out:
        import json

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    if as_json:
        echo_json(result)
    else:
        typer.echo(format_table(result))
