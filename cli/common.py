"""Options and error handling shared by every ``stance`` subcommand."""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import Iterator

import typer

from model.errors import StanceError
from training.train import TrainConfig

DEBUG_ENV = "STANCE_DEBUG"

ModelsOpt = typer.Option(None, "--models", envvar="STANCE_MODELS", help="Models folder (registry root).")
CorporaOpt = typer.Option(None, "--corpora", envvar="STANCE_CORPORA", help="Corpora root (default ../shared/corpora).")
VersionOpt = typer.Option(None, "--model", help="Model version to use (default: the current one).")
BackendOpt = typer.Option("onnx", "--backend", help="Inference backend: onnx or torch.")
# What is frozen in fine-tuning, for `stance train` and `stance eval loco` alike.
FreezeWordEmbeddingsOpt = typer.Option(TrainConfig.freeze_word_embeddings,
                                       "--freeze-word-embeddings/--train-word-embeddings",
                                       help="Keep the pretrained word embeddings fixed (faster).")
FrozenLayersOpt = typer.Option(TrainConfig.frozen_layers, min=0, max=5,
                               help="Also keep all embeddings and this many of the lowest layers fixed.")


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error (never a traceback) and exit non-zero."""
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@contextmanager
def user_errors(*kinds: type[BaseException]) -> Iterator[None]:
    """Turn the project's own errors (and ``kinds``) into one clear line and exit 1.

    Anything else, a ``KeyError`` from a bug say, keeps its traceback; ``stance --debug`` (or
    ``STANCE_DEBUG=1``) shows the traceback for the project's errors too.
    """
    try:
        yield
    except (StanceError, *kinds) as e:
        if os.environ.get(DEBUG_ENV):
            raise
        fail(str(e).strip("'\"") or e.__class__.__name__)


def echo_json(obj) -> None:
    import json

    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
