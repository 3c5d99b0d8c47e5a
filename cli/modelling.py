"""``stance train``, ``models``, ``promote``, ``rollback``: building and choosing model versions."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.common import CorporaOpt, FreezeWordEmbeddingsOpt, FrozenLayersOpt, ModelsOpt, echo_json, fail, user_errors
from training.train import TrainConfig


def register(app: typer.Typer) -> None:
    app.command("train")(train)
    app.command("models")(models)
    app.command("promote")(promote)
    app.command("rollback")(rollback)
    app.command("baselines")(baselines)
    app.command("retrain")(retrain)


def train(
    models: Optional[Path] = ModelsOpt,
    corpora: Optional[Path] = CorporaOpt,
    epochs: int = typer.Option(TrainConfig.epochs, help="Training epochs (best dev epoch is kept)."),
    max_length: int = typer.Option(TrainConfig.max_length, help="Token limit for party header + statement + context."),
    context_dropout: float = typer.Option(TrainConfig.context_dropout,
                                          help="Share of training statements shown without their context."),
    label_smoothing: float = typer.Option(TrainConfig.label_smoothing, min=0.0, max=0.5,
                                          help="Label smoothing of the gold cross-entropy (not the teacher's term)."),
    freeze_word_embeddings: bool = FreezeWordEmbeddingsOpt, frozen_layers: int = FrozenLayersOpt,
    learning_rate: float = typer.Option(TrainConfig.learning_rate),
    seed: int = typer.Option(13),
    silver_epochs: int = typer.Option(0, help="Pre-train this many epochs on silver labels first (off by default)."),
    threads: int = typer.Option(2, help="CPU threads for torch."),
    limit: Optional[int] = typer.Option(None, help="Use at most this many examples per split (quick runs, tests)."),
    name: Optional[str] = typer.Option(None, help="Version name (default: timestamped)."),
    promote: bool = typer.Option(False, "--promote", help="Make the new version current when done."),
    update_splits: bool = typer.Option(False, "--update-splits", help="Freeze new documents into data/splits.json."),
    distill: Optional[Path] = typer.Option(None, "--distill", help="Also learn a teacher's soft labels (a folder "
                                           "written by stance teacher label)."),
    distill_weight: float = typer.Option(TrainConfig.distill_weight, help="Share of the loss on the soft labels."),
    distill_temperature: float = typer.Option(TrainConfig.distill_temperature,
                                              help="Temperature of the distillation term."),
) -> None:
    """Fine-tune the stance model on the gold splits and publish a model version (weights, ONNX, card)."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from model.registry import Registry
    from training.annotations import AnnotationError
    from training.artifacts import ArtifactError
    from training.dataset import fingerprint, load_gold_splits, to_items
    from training.distill import load_soft_labels
    from training.train import train_model

    if not 0 <= distill_weight < 1 or distill_temperature <= 0:
        fail("--distill-weight must be in [0, 1) and --distill-temperature above 0")
    with user_errors(AnnotationError, FileNotFoundError, ArtifactError):
        soft = load_soft_labels(distill) if distill else None
        splits = load_gold_splits(update_manifest=update_splits)
        if limit:
            splits = {k: v[:limit] for k, v in splits.items()}
        items = {k: to_items(v) for k, v in splits.items()}
        cfg = TrainConfig(epochs=epochs, max_length=max_length, learning_rate=learning_rate, seed=seed,
                          silver_epochs=silver_epochs, threads=threads, context_dropout=context_dropout,
                          label_smoothing=label_smoothing, freeze_word_embeddings=freeze_word_embeddings,
                          frozen_layers=frozen_layers,
                          distill_weight=distill_weight, distill_temperature=distill_temperature)
        registry = Registry(models)
        typer.echo(f"training on {len(items['train'])} statements (dev {len(items['dev'])}, test {len(items['test'])})"
                   + (f" and {len(soft[0])} teacher-labelled ({soft[1]['version']})" if soft else ""))
        version = train_model(items, cfg, registry, fingerprint(splits), name=name, distill=soft)
        typer.echo(f"published {version.name} in {registry.versions_dir}")
        test = version.metrics.get("test") or version.metrics["dev"]
        typer.echo(f"macro-F1 {test['macro_f1']:.3f} {test['macro_f1_ci95']}  ECE {test['ece']:.3f}  "
                   f"(on {'test' if 'test' in version.metrics else 'dev'})")
        if promote:
            registry.promote(version.name, reason="stance train --promote")
            typer.echo(f"promoted {version.name} to current")


def models(models: Optional[Path] = ModelsOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """List model versions, marking the current one, with their test macro-F1 and the extractor each one runs."""
    from model.registry import Registry, RegistryError, verify_version
    from training.extractor_release import extractor_summary

    registry = Registry(models)
    current = registry.current_name()
    rows = []
    for name in registry.list_versions():
        try:
            v = verify_version(registry.version_path(name))
            m = v.metrics.get("test") or v.metrics.get("dev") or {}
            rows.append({"version": name, "current": name == current, "macro_f1": m.get("macro_f1"),
                         "created": v.manifest.get("created"), "status": "ok", **extractor_summary(v)})
        except RegistryError as e:
            rows.append({"version": name, "current": name == current, "status": f"refused: {e}"})
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"no model versions in {registry.versions_dir}")
    for r in rows:
        mark = "*" if r["current"] else " "
        typer.echo(f"{mark} {r['version']}  macro-F1={r.get('macro_f1')}  {r.get('created', '')}  {r['status']}"
                   + (f"  extraction: {r['extractor']}, {r['relevance']}, {r['targets']}" if "extractor" in r else ""))


def promote(version: str = typer.Argument(..., help="Version to make current."),
            reason: str = typer.Option("", "--reason", "-m", help="Why (kept in the log)."),
            models: Optional[Path] = ModelsOpt) -> None:
    """Atomically make a verified version current; a broken version is refused and nothing changes."""
    from model.registry import Registry

    with user_errors():
        entry = Registry(models).promote(version, reason)
    typer.echo(f"current: {entry['from']} -> {entry['to']}")


def rollback(reason: str = typer.Option("", "--reason", "-m"), models: Optional[Path] = ModelsOpt) -> None:
    """Atomically point current back at the version the last promotion replaced."""
    from model.registry import Registry

    with user_errors():
        entry = Registry(models).rollback(reason)
    typer.echo(f"current: {entry['from']} -> {entry['to']}")


def baselines(
    model: Optional[str] = typer.Option(None, "--model", help="Fine-tuned version to compare (default: current; 'none' to skip)."),
    models: Optional[Path] = ModelsOpt,
    corpora: Optional[Path] = CorporaOpt,
    out: Path = typer.Option(Path("reports/baselines"), "--out", help="Folder for baselines.json and baselines.md."),
    bootstrap: int = typer.Option(1000, help="Bootstrap resamples for the 95% intervals."),
) -> None:
    """Majority, TF-IDF+LR, MiniLM-embedding+LR and a CAMEO dictionary coder vs the fine-tuned model, on test."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from eval.baselines import run_baselines, write_report
    from model.predictor import Predictor
    from training.annotations import AnnotationError
    from training.corpora import corpora_root
    from training.dataset import load_gold_splits, to_items

    with user_errors(AnnotationError, FileNotFoundError):
        splits = {k: to_items(v) for k, v in load_gold_splits().items()}
        predictor = None if model == "none" else Predictor.from_registry(model, "onnx", models)
        results = run_baselines(splits, corpora_root() / "cameo" / "CAMEO.verbpatterns.150430.txt",
                                predictor.predict_proba if predictor else None, bootstrap)
    header = f" (fine-tuned: {predictor.version_name})" if predictor else ""
    write_report(results, out, header)
    for name, m in results.items():
        typer.echo(f"{name:26} macro-F1 {m['macro_f1']:.3f} {m['macro_f1_ci95']}")
    typer.echo(f"report: {out / 'baselines.md'}")


def retrain(
    batches: list[Path] = typer.Argument(..., help="New annotation batches (e.g. a new summit's statements)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Train and compare, but do not promote."),
    models: Optional[Path] = ModelsOpt,
    corpora: Optional[Path] = CorporaOpt,
    epochs: int = typer.Option(TrainConfig.epochs), max_length: int = typer.Option(TrainConfig.max_length),
    limit: Optional[int] = typer.Option(None, help="Cap examples per split (quick runs, tests)."),
    as_json: bool = typer.Option(False, "--json", help="Print the decision as JSON (what the workbench reads)."),
) -> None:
    """Train a candidate on gold + new batches; promote it only if it holds on test and gains on the new data."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from model.registry import Registry
    from training.annotations import AnnotationError
    from training.retrain import retrain as run

    with user_errors(AnnotationError, FileNotFoundError, ValueError):  # training/ says "too few" as ValueError
        outcome = run(batches, Registry(models), TrainConfig(epochs=epochs, max_length=max_length), dry_run, limit)
    if as_json:
        echo_json(outcome)
        return
    verdict = "PROMOTE" if outcome["promote"] else "KEEP current"
    typer.echo(f"{verdict}: {outcome['candidate']} vs {outcome['current']}: {outcome['reason']}")
    typer.echo(f"new statements: {outcome['new_statements']['train']} trained on, "
               f"{outcome['new_statements']['held_out']} held out")
    if outcome.get("promote_with"):
        typer.echo(f"dry run: nothing promoted; the candidate is in the registry, to promote it without retraining: "
                   f"{outcome['promote_with']}")
