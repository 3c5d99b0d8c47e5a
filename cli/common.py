"""Options and error handling shared by every ``stance`` subcommand."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Iterator

import typer

ModelsOpt = typer.Option(None, "--models", envvar="STANCE_MODELS", help="Models folder (registry root).")
CorporaOpt = typer.Option(None, "--corpora", envvar="STANCE_CORPORA", help="Corpora root (default ../shared/corpora).")
VersionOpt = typer.Option(None, "--model", help="Model version to use (default: the current one).")
BackendOpt = typer.Option("onnx", "--backend", help="Inference backend: onnx or torch.")


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error (never a traceback) and exit non-zero."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors(*kinds: type[BaseException]) -> Iterator[None]:
    """Turn expected failures (missing files, bad data, refused models) into one clear line and exit 1."""
    from model.registry import RegistryError

    try:
        yield
    except (FileNotFoundError, RegistryError, ValueError, KeyError, *kinds) as e:
        fail(str(e).strip("'\"") or e.__class__.__name__)


def echo_json(obj) -> None:
    import json

    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")

