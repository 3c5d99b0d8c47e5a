"""``stance teacher fit | pool | label``: a stronger teacher's soft labels for distilling into the served model.

The three steps write sealed folders outside the model registry; ``stance train --distill LABELS``
then trains the MiniLM student on gold plus those labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.common import CorporaOpt, echo_json, user_errors

teacher_app = typer.Typer(help="Fit a teacher, build the unlabeled pool, label it (for stance train --distill).",
                          no_args_is_help=True)
ARTIFACTS = Path("artifacts")


def register(app: typer.Typer) -> None:
    app.add_typer(teacher_app, name="teacher")


def _use_corpora(corpora: Optional[Path]) -> None:
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)


@teacher_app.command("fit")
def fit(
    out: Path = typer.Option(ARTIFACTS / "teacher", "--out", help="New folder for the teacher (not the registry)."),
    backbone: str = typer.Option("mpnet", help="mpnet (all-mpnet-base-v2, extra [teacher]), minilm, or a model folder."),
    epochs: int = typer.Option(3, help="Training epochs (the best dev epoch is kept)."),
    learning_rate: float = typer.Option(3e-5),
    max_length: int = typer.Option(128, help="Token limit for party header + statement + context."),
    batch_size: int = typer.Option(16),
    seed: int = typer.Option(13),
    threads: int = typer.Option(2, help="CPU threads for torch."),
    limit: Optional[int] = typer.Option(None, help="Use at most this many examples per split (quick runs, tests)."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Fine-tune the teacher on the gold train split (dev picks the epoch and the temperature)."""
    _use_corpora(corpora)
    from training.annotations import AnnotationError
    from training.dataset import fingerprint, load_gold_splits, to_items
    from training.teacher import fit_teacher
    from training.train import TrainConfig

    with user_errors(AnnotationError, FileNotFoundError, FileExistsError, ValueError):
        splits = load_gold_splits()
        if limit:
            splits = {k: v[:limit] for k, v in splits.items()}
        # The teacher trains every weight: freezing is the student's trade of time for quality, not the teacher's.
        cfg = TrainConfig(epochs=epochs, learning_rate=learning_rate, max_length=max_length, batch_size=batch_size,
                          seed=seed, threads=threads, freeze_word_embeddings=False, frozen_layers=0)
        typer.echo(f"teacher ({backbone}) on {len(splits['train'])} statements (dev {len(splits['dev'])})")
        manifest = fit_teacher({k: to_items(v) for k, v in splits.items() if k != "test"}, cfg, backbone, out,
                               fingerprint(splits))
    typer.echo(f"teacher in {out}: dev macro-F1 {manifest['dev_macro_f1']:.3f}, T={manifest['temperature']}, "
               f"{manifest['training_seconds']:.0f} s")


@teacher_app.command("pool")
def pool(
    out: Path = typer.Option(ARTIFACTS / "pool", "--out", help="Folder for the pool (resumed if it holds a run)."),
    corpus: Optional[list[str]] = typer.Option(None, "--corpus", help="Only these corpora (repeat; default: all)."),
    limit_docs: Optional[int] = typer.Option(None, "--limit-docs", help="Read at most N documents per corpus."),
    restart: bool = typer.Option(False, "--restart", help="Forget earlier progress in --out and start afresh."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Extract statements from every corpus, except gold dev/test and reserved documents, as standoff records."""
    _use_corpora(corpora)
    from training.artifacts import ArtifactError
    from training.pool import build_pool

    with user_errors(ArtifactError, FileNotFoundError):
        manifest = build_pool(out, corpus or (), limit_docs, restart=restart, report=typer.echo)
    typer.echo(f"pool {out}: {manifest['statements']} statements, sha256 {manifest['pool_sha256'][:16]}")
    echo_json(manifest["per_corpus"])


@teacher_app.command("label")
def label(
    teacher: Path = typer.Option(ARTIFACTS / "teacher", "--teacher", help="Folder written by stance teacher fit."),
    pool_dir: Path = typer.Option(ARTIFACTS / "pool", "--pool", help="Folder written by stance teacher pool."),
    out: Optional[Path] = typer.Option(None, "--out", help="New folder for the labels (default: artifacts/labels-<teacher>-<pool>)."),
    threads: int = typer.Option(2, help="CPU threads for torch."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """The teacher's calibrated probabilities for every pool statement, keyed by standoff id."""
    _use_corpora(corpora)
    from training.artifacts import ArtifactError, verify
    from training.distill import label_pool

    with user_errors(ArtifactError, FileNotFoundError, FileExistsError, ValueError):
        if out is None:
            out = ARTIFACTS / (f"labels-{verify(teacher, 'teacher')['manifest_sha256'][:8]}-"
                               f"{verify(pool_dir, 'pool')['pool_sha256'][:8]}")
        manifest = label_pool(teacher, pool_dir, out, threads, report=typer.echo)
    typer.echo(f"labels {manifest['version']} in {out}: {manifest['statements']} statements")
