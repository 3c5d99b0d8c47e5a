"""``stance serve`` and ``stance bench``: run the scoring service, and measure it against a plain baseline."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from cli.common import BackendOpt, ModelsOpt, echo_json, fail, user_errors
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
    timeout_s: Optional[float] = _limit("timeout_s", "Seconds before an unanswered request is cut with 503"),
    max_pending: Optional[int] = _limit("max_pending", "Statements admitted and not yet answered, 429 above"),
    batch_size: Optional[int] = _limit("batch_size", "Most statements per inference batch"),
    batch_wait_ms: Optional[float] = _limit("batch_wait_ms", "Longest wait for a batch to fill, in milliseconds"),
    reload_interval_s: Optional[float] = _limit("reload_interval_s", "Seconds between checks for a new model"),
    inference_threads: Optional[int] = _limit("inference_threads", "Model threads, 0 = CPUs - 1 (at most 4)"),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Serve /v1/score, /v1/analyze, /v1/model, /healthz, /readyz and /metrics over the current model."""
    import uvicorn

    from model.registry import MODELS_ENV, Registry, RegistryError
    from service.app import BACKEND_ENV

    with user_errors():
        if backend not in ("onnx", "torch"):
            raise ValueError(f"unknown backend {backend!r}: use onnx or torch")
        limits = Limits.from_env(
            max_statements=max_statements, max_statement_chars=max_statement_chars,
            max_article_chars=max_article_chars, timeout_s=timeout_s, max_pending=max_pending,
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
    uvicorn.run("service.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level)


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
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of the table."),
) -> None:
    """Throughput and latency of `stance serve` against a transformers-pipeline server, both on loopback."""
    from eval.bench import BenchConfig, format_table, run_bench

    with user_errors(RuntimeError):
        levels = [int(c) for c in concurrency.split(",") if c.strip()]
        if not levels or min(levels) < 1:
            raise ValueError(f"--concurrency {concurrency!r}: give positive integers, e.g. 1,8,32")
        cfg = BenchConfig(models=models, backend=backend, concurrency=levels, requests=requests,
                          seconds=seconds, data=data, baseline=baseline, baseline_threads=baseline_threads)
        result = run_bench(cfg, progress=lambda line: typer.echo(line, err=True))
    if out:
        import json

        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(result, indent=2))
    if as_json:
        echo_json(result)
    else:
        typer.echo(format_table(result))
