"""``stance score`` (label a file or folder of statements) and ``stance eval`` (metrics, reports, comparisons).

The commands only parse options and print; the work lives in ``eval/`` so tests and notebooks
run the same code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from cli.common import (BackendOpt, CorporaOpt, FreezeWordEmbeddingsOpt, FrozenLayersOpt, ModelsOpt, VersionOpt,
                        echo_json, fail, user_errors)
from training.train import TrainConfig

REJECTED_EXIT = 3
INTERRUPTED_EXIT = 130

eval_app = typer.Typer(help="Measure model versions on gold data: metrics, report folders, comparisons.",
                       no_args_is_help=False)

DataOpt = typer.Option(..., "--data", help="A gold split (train, dev, test) or a JSONL of statements with 'label'.")
OutDirOpt = typer.Option(None, "--out", help="Folder to write the report files into.")
BootstrapOpt = typer.Option(1000, "--bootstrap", min=0, help="Bootstrap resamples for the 95% intervals.")
MinOverlapOpt = typer.Option(0.5, "--min-overlap", min=0.0, max=1.0,
                             help="Share of the shorter span two spans must share to match.")
AnnotationsOpt = typer.Option(None, "--data", help="Gold annotation JSONL file(s) (default: data/annotations/*.jsonl).")


def register(app: typer.Typer) -> None:
    app.command("score")(score)
    app.command("bench-ray")(bench_ray)
    app.add_typer(eval_app, name="eval")


def score(
    input: Path = typer.Argument(..., help="JSONL or CSV of statements (text; speaker, speaker_party, "
                                          "target_party, id optional), or a folder of .txt articles."),
    out: Path = typer.Option(..., "--out", "-o", help="Output JSONL: each input plus label, probs, model_version."),
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Rejected inputs (default: OUT.rejects.jsonl)."),
    model: Optional[str] = VersionOpt,
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    batch_size: int = typer.Option(1024, "--batch-size", min=1, help="Inputs per checkpoint (each scored in "
                                                                   "length-sorted model batches of 16)."),
    resume: bool = typer.Option(False, "--resume", help="Continue an interrupted run into the same OUT."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUT instead of refusing."),
    year: Optional[int] = typer.Option(None, "--year", help="Articles only: the default year they were written (each article's own dateline year wins)."),
    speaker_party: Optional[str] = typer.Option(None, "--speaker-party", help="Articles only: the party speaking "
                                                                               "(for speeches)."),
    progress: bool = typer.Option(True, "--progress/--no-progress", help="Progress bar with rate and ETA on stderr."),
    engine: str = typer.Option("local", "--engine", help="'local' (this process) or 'ray' (Ray Data actors; needs "
                                                        "the [scale] extra)."),
    workers: int = typer.Option(2, "--workers", min=1, help="--engine ray: actors, one CPU and one model each."),
    address: Optional[str] = typer.Option(None, "--address", help="--engine ray: the cluster to run on (default: "
                                                                  "$RAY_ADDRESS, else a local Ray)."),
) -> None:
    """Label every statement in a file or folder; --resume continues after a crash.

    Streams the input in bounded memory and writes the output in input order, each input exactly once;
    --engine ray scores chunks of --batch-size inputs on Ray actors and writes the same output.
    Exit status: 0 all scored; 3 some inputs rejected (listed with line and reason in the rejects file);
    1 the run could not start (missing input or model, refused resume); 130 interrupted.
    """
    from eval.batch import BatchRun, Checkpoint, RunPaths, check_extractor, plan_run, summary
    from eval.inputs import open_source
    from model.errors import InputError
    from model.predictor import Predictor
    from model.registry import Registry

    with user_errors():
        if engine not in ("local", "ray"):
            raise InputError(f"unknown engine {engine!r}: use 'local' or 'ray'")
        paths = RunPaths.for_output(out, rejects)
        ckpt = plan_run(input, paths, model, backend, resume, overwrite, engine)
        fresh = ckpt is None
        version = Registry(models).get(ckpt.model_version if ckpt else model)
        # Articles are extracted with the version's own fitted files, so a version is one extractor too.
        source = open_source(input, year, speaker_party, version.extractor_weights)
        extractor = source.extractor()
        if ckpt is not None:
            check_extractor(ckpt, extractor, out)
        if engine == "local":  # Ray's actors load the model themselves
            predictor = Predictor(version, backend)
        if ckpt is None:
            ckpt = Checkpoint(str(input.resolve()), str(paths.rejects.resolve()), version.name, backend,
                              engine=engine, extractor=extractor)
        elif ckpt.finished:
            typer.echo(f"{out} is already complete", err=True)
        elif ckpt.cursor:
            typer.echo(f"resuming after {ckpt.scored} scored and {ckpt.rejected} rejected inputs", err=True)
        try:
            if engine == "ray":
                from eval.ray_scoring import RayRun

                ckpt = RayRun(input, source, version, backend, paths, ckpt, fresh, batch_size, workers, year,
                              speaker_party).run(address, progress)
            else:
                ckpt = BatchRun(source, predictor, paths, ckpt, batch_size).run(progress)
        except KeyboardInterrupt:
            fail("interrupted: rerun with --resume to continue where it stopped", INTERRUPTED_EXIT)
    echo_json(summary(ckpt, paths))
    if ckpt.rejected:
        typer.secho(f"{ckpt.rejected} inputs rejected: see {paths.rejects}", fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(REJECTED_EXIT)


def bench_ray(
    workers: str = typer.Option("1,2", "--workers", help="Comma-separated Ray actor counts to measure."),
    lines: int = typer.Option(4000, "--lines", min=1, help="Lines of the JSONL scored by each run."),
    batch_size: int = typer.Option(256, "--batch-size", min=1, help="Rows per Ray chunk."),
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    data: Optional[Path] = typer.Option(None, help="JSONL of statements to use if the gold annotations cannot "
                                                   "be loaded."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster (default: $RAY_ADDRESS, else a "
                                                                  "local Ray)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole result as JSON."),
) -> None:
    """Lines/s of `stance score --engine ray` per worker count, and its ratio to the local engine measured in
    the same run on the same gold statements."""
    from eval.bench import load_statements
    from eval.engine import ray_bench
    from eval.ray_scoring import require_ray
    from model.errors import InputError
    from model.registry import Registry

    with user_errors():
        counts = [int(w) for w in workers.split(",") if w.strip()]
        if not counts or min(counts) < 1:
            raise InputError(f"--workers {workers!r}: give positive integers, e.g. 1,2")
        require_ray()
        statements, _ = load_statements(data)
        result = ray_bench(Registry(models).get(), backend, statements, lines, counts, batch_size, address,
                           progress=lambda line: typer.echo(line, err=True))
    if as_json:
        echo_json(result)
    else:
        local = result["local_mean"]
        typer.echo(f"local engine: {local['lines_per_s']} lines/s, {local['cpu_ms_per_statement']} CPU ms a line")
        for r in result["ray"]:
            typer.echo(f"ray, {r['workers']} worker(s): {r['lines_per_s']} lines/s ({r['lines_per_s_per_worker']} "
                       f"per worker) = {r['ratio_to_local']}x local; {r['actor_cpu_ms_per_statement']} actor CPU ms "
                       f"a line = {r['cpu_ratio_to_local']}x local by CPU time")


@eval_app.callback(invoke_without_command=True)
def eval_group(
    ctx: typer.Context,
    model: Optional[str] = VersionOpt,
    data: Optional[str] = typer.Option(None, "--data", help="With no command: as for `stance eval model`."),
    out: Optional[Path] = OutDirOpt,
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    bootstrap: int = BootstrapOpt,
) -> None:
    """Evaluate model versions. `stance eval --model V --data test` is short for `stance eval model ...`."""
    if ctx.invoked_subcommand is not None:
        # Options given before the subcommand (`stance eval --model V model --data test`) apply to it.
        ctx.obj = {"model": model, "models": models, "backend": backend}
        return
    if data is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    eval_model(None, model, data, out, models, backend, bootstrap)


@eval_app.command("loco")
def loco(
    out: Path = typer.Option(Path("reports/loco"), "--out", help="Folder for loco.json and loco.md."),
    corpus: Optional[list[str]] = typer.Option(None, "--corpus", help="Held-out corpora (default: every corpus "
                                                                       "with at least 300 gold statements)."),
    epochs: int = typer.Option(TrainConfig.epochs), max_length: int = typer.Option(TrainConfig.max_length),
    max_train: Optional[int] = typer.Option(None, help="Cap training statements per fold (a seeded sample)."),
    context_dropout: float = typer.Option(TrainConfig.context_dropout, help="Ablation: share shown without context."),
    class_weighting: bool = typer.Option(TrainConfig.class_weighting, help="Ablation: inverse-frequency class weights."),
    label_smoothing: float = typer.Option(TrainConfig.label_smoothing, min=0.0, max=0.5,
                                          help="Ablation: label smoothing of the gold cross-entropy."),
    freeze_word_embeddings: bool = FreezeWordEmbeddingsOpt, frozen_layers: int = FrozenLayersOpt,
    threads: int = typer.Option(TrainConfig.threads, help="CPU threads for torch (1 on a shared machine)."),
    seed: int = typer.Option(TrainConfig.seed), bootstrap: int = BootstrapOpt, corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Leave-one-corpus-out: train on every corpus but one, test on that one; fine-tuned vs TF-IDF + LR."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from eval.loco import loco_table, run_loco, write_loco
    from training.annotations import AnnotationError
    from training.dataset import load_gold_splits, to_items

    cfg = TrainConfig(epochs=epochs, max_length=max_length, seed=seed, context_dropout=context_dropout,
                      class_weighting=class_weighting, label_smoothing=label_smoothing, threads=threads,
                      freeze_word_embeddings=freeze_word_embeddings, frozen_layers=frozen_layers)
    with user_errors(AnnotationError, FileNotFoundError):
        splits = {k: to_items(v) for k, v in load_gold_splits().items()}
        results = run_loco(splits, cfg, corpus or None, max_train, bootstrap, on_fold=lambda r: write_loco(r, out))
    typer.echo(loco_table(results), nl=False)
    typer.echo(f"wrote {out / 'loco.json'} and {out / 'loco.md'}")


@eval_app.command("model")
def eval_model(
    ctx: typer.Context,
    model: Optional[str] = VersionOpt,
    data: str = DataOpt,
    out: Optional[Path] = OutDirOpt,
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    bootstrap: int = BootstrapOpt,
) -> None:
    """Metrics of one version on a gold split or labelled JSONL, with an optional report folder.

    Prints accuracy, macro-F1, per-label P/R/F1 (95% bootstrap intervals), confusion, ECE and Brier as JSON;
    --out DIR also writes metrics.json, report.md, report.html and PNG figures there.
    """
    from eval.evaluate import evaluation, load_eval_items
    from eval.report import write_evaluation_report
    from model.predictor import Predictor
    from training.annotations import AnnotationError

    outer = (ctx.obj if ctx is not None else None) or {}
    model = model or outer.get("model")
    models = models or outer.get("models")
    if backend == "onnx" and outer.get("backend"):
        backend = outer["backend"]
    with user_errors(AnnotationError, FileNotFoundError):  # a gold split reads the corpora
        items = load_eval_items(data)
        metrics = evaluation(Predictor.from_registry(model, backend, models), items, data, bootstrap=bootstrap)
        if out:
            write_evaluation_report(metrics, out)
    echo_json(metrics)


@eval_app.command("compare")
def compare(
    a: str = typer.Argument(..., help="Baseline version (A)."),
    b: str = typer.Argument(..., help="Candidate version (B)."),
    data: str = DataOpt,
    out: Optional[Path] = OutDirOpt,
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    top: int = typer.Option(10, "--top", min=1, help="Largest errors listed per version (and disagreements in the "
                                                      "Markdown)."),
    bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help="Paired bootstrap resamples."),
) -> None:
    """Two versions on the same items, for error analysis.

    Paired bootstrap of the macro-F1 difference (B - A), the items where they disagree, and each one's most
    confidently wrong items (text, speaker, target); --out DIR writes compare.json and compare.md.
    """
    from eval.compare import compare_versions
    from eval.evaluate import load_eval_items
    from eval.report import write_comparison_report
    from model.predictor import Predictor
    from training.annotations import AnnotationError

    with user_errors(AnnotationError, FileNotFoundError):
        items = load_eval_items(data)
        names, probs = [], []
        for version in (a, b):
            predictor = Predictor.from_registry(version, backend, models)
            names.append(predictor.version_name)
            probs.append(predictor.predict_proba(items))
        result = compare_versions(items, tuple(names), tuple(probs), predictor.labels, data, top, bootstrap)
        if out:
            write_comparison_report(result, out)
    echo_json(result)


def _gold_matches(data: list[Path] | None, cache, min_overlap: float, split: str | None) -> list:
    """Gold annotations (checked against their corpora, the ``CorpusCache`` ``cache``) with the statements
    extracted from their documents."""
    from eval.articles import match_documents
    from training.annotations import annotated_documents, load_annotations
    from training.dataset import document_split, read_manifest

    records = load_annotations(data or None, cache)
    # With the repository's gold (no --data), documents annotated as holding no statement count too.
    documents = [] if data else annotated_documents()
    if split:
        manifest = read_manifest()
        records = [r for r in records if document_split(f"{r['corpus']}/{r['doc_id']}", manifest) == split]
        documents = [d for d in documents if document_split(f"{d[0]}/{d[1]}", manifest) == split]
    return match_documents(records, cache, min_overlap, documents)


SplitOpt = typer.Option(None, "--split", help="Only documents of this frozen split (train, dev or test).")


@eval_app.command("articles")
def articles(
    data: Optional[list[Path]] = AnnotationsOpt,
    model: Optional[str] = VersionOpt,
    models: Optional[Path] = ModelsOpt,
    backend: str = BackendOpt,
    corpora: Optional[Path] = CorporaOpt,
    min_overlap: float = MinOverlapOpt,
    out: Optional[Path] = OutDirOpt,
    split: Optional[str] = SplitOpt,
) -> None:
    """End to end on annotated documents: extraction, then the model.

    Extracts statements from each annotated document, matches them to gold by span overlap and scores the
    matches; per corpus, the share of gold statements found, labelled right among found, and both.
    """
    from eval.articles import articles_metrics
    from eval.report import write_json
    from model.predictor import Predictor
    from training.annotations import AnnotationError, CorpusCache

    with user_errors(AnnotationError, FileNotFoundError):
        predictor = Predictor.from_registry(model, backend, models)
        result = articles_metrics(_gold_matches(data, CorpusCache(corpora), min_overlap, split), predictor,
                                  min_overlap)
        if out:
            write_json(result, out / "articles.json")
    echo_json(result)


@eval_app.command("extraction")
def extraction(
    data: Optional[list[Path]] = AnnotationsOpt,
    corpora: Optional[Path] = CorporaOpt,
    min_overlap: float = MinOverlapOpt,
    out: Optional[Path] = OutDirOpt,
    split: Optional[str] = SplitOpt,
    failures: bool = typer.Option(False, "--failures", help="Also classify every miss, false positive and wrong "
                                                            "party into categories, counted per corpus."),
) -> None:
    """Extraction quality alone, no model.

    Span precision and recall (one-to-one overlap matching) and speaker/target party accuracy on matched
    pairs, per corpus; --failures adds a "failures" section (eval/extraction_failures.py lists the categories).
    """
    from eval.articles import extraction_metrics
    from eval.report import write_json
    from training.annotations import AnnotationError, CorpusCache

    with user_errors(AnnotationError, FileNotFoundError):
        cache = CorpusCache(corpora)  # each corpus opened once, for the matching and the failure categories
        matches = _gold_matches(data, cache, min_overlap, split)
        result = extraction_metrics(matches, min_overlap)
        if failures:
            from eval.extraction_failures import extraction_failures

            result["failures"] = extraction_failures(matches, cache, min_overlap)
        if out:
            write_json(result, out / "extraction.json")
    echo_json(result)
