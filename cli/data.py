"""``stance annotate ...`` and ``stance data ...``: building and describing the gold corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from cli.common import BackendOpt, CorporaOpt, ModelsOpt, VersionOpt, echo_json, fail, user_errors
from training.annotations import AnnotationError, CorpusCache

annotate_app = typer.Typer(help="Make, check, file and compare annotation batches.", no_args_is_help=True)
data_app = typer.Typer(help="Describe the gold corpus.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(annotate_app, name="annotate")
    app.add_typer(data_app, name="data")


def _write_jsonl(records: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


@annotate_app.command("new")
def new(
    corpus: str = typer.Option(..., help="reuters21578, ungd, seed, or a folder of .txt articles."),
    docs: List[str] = typer.Option(..., "--docs", help="Document ids (repeat, or comma-separated)."),
    out: Path = typer.Option(..., "-o", "--out", help="Batch file to write (JSONL)."),
    annotator: str = typer.Option("", help="Annotator id to prefill."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Candidates from the extractor, with context and empty labels, for an annotator to fill."""
    from training.annotate import new_candidates

    cache = CorpusCache(corpora)
    ids = [d for item in docs for d in item.split(",") if d]
    with user_errors(AnnotationError):
        records = new_candidates(corpus, ids, cache, annotator)
    _write_jsonl(records, out)
    typer.echo(f"wrote {len(records)} candidates from {len(ids)} documents to {out}")


@annotate_app.command("blind")
def blind(
    source: List[Path] = typer.Argument(..., help="Filed batches to sample from."),
    n: int = typer.Option(300, "-n"), seed: int = typer.Option(7),
    out: Path = typer.Option(..., "-o", "--out"), annotator: str = typer.Option("", help="Second annotator id."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """A random sample of filed statements with labels removed, for a blind second annotation."""
    from training.annotate import blind_copy
    from training.annotations import load_annotations

    cache = CorpusCache(corpora)
    with user_errors(AnnotationError):
        records = blind_copy(load_annotations(source, cache), n, cache, seed, annotator)
    _write_jsonl(records, out)
    typer.echo(f"wrote {len(records)} unlabelled statements to {out}")


@annotate_app.command("check")
def check(batch: Path = typer.Argument(...), corpora: Optional[Path] = CorporaOpt) -> None:
    """Validate a filled batch: labels from the codebook, offsets in range and matching, parties present."""
    from training.annotate import check_batch

    if not batch.is_file():
        fail(f"{batch}: no such file")
    cache = CorpusCache(corpora)
    problems = check_batch(batch, cache)
    for p in problems:
        typer.echo(f"{batch}:{p}")
    if problems:
        fail(f"{len(problems)} problem(s)")
    typer.echo(f"{batch}: ok")


@annotate_app.command("add")
def add(batch: Path = typer.Argument(...), name: str = typer.Option(..., help="Batch name under data/annotations/."),
        corpora: Optional[Path] = CorporaOpt) -> None:
    """File a checked batch into data/annotations/ (standoff only); duplicates are refused."""
    from training.annotate import add_batch

    cache = CorpusCache(corpora)
    with user_errors(AnnotationError):
        dest = add_batch(batch, name, cache)
    typer.echo(f"filed {dest}")


@annotate_app.command("agreement")
def agreement(a: Path = typer.Argument(..., help="Annotator A: a batch file or a folder of batches."),
              b: Path = typer.Argument(..., help="Annotator B: a batch file or a folder of batches."),
              save: Optional[Path] = typer.Option(None, help="Also write the report JSON here.")) -> None:
    """Cohen's kappa and the confusion between two annotators over the statements both labelled."""
    from training.annotate import agreement as compute

    with user_errors():
        report = compute(a, b)
    if save:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(report, indent=1) + "\n")
    typer.echo(f"n={report['n']}  kappa={report['kappa']:.3f}  raw agreement={report['agreement']:.3f}")
    typer.echo("confusion (rows: A, columns: B):")
    for lab, row in report["confusion_rows_a_cols_b"].items():
        typer.echo(f"  {lab:16} " + "  ".join(f"{k[:6]}={v}" for k, v in row.items()))


@annotate_app.command("select")
def select(
    pool: Path = typer.Option(..., help="Folder of new .txt articles."),
    n: int = typer.Option(50, "-n", help="How many statements to pick."),
    out: Path = typer.Option(..., "-o", "--out"),
    model: Optional[str] = VersionOpt, models: Optional[Path] = ModelsOpt, backend: str = BackendOpt,
) -> None:
    """Active learning: the statements in new articles the current model is least sure of."""
    from training.active import select_uncertain

    with user_errors():
        records = select_uncertain(pool, n, model, models, backend)
    _write_jsonl(records, out)
    typer.echo(f"wrote the {len(records)} least certain statements to {out}")


@data_app.command("stats")
def stats(as_json: bool = typer.Option(False, "--json"), corpora: Optional[Path] = CorporaOpt) -> None:
    """Counts per label, split, corpus and dyad, from data/annotations/ checked against the corpora."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from training.dataset import load_gold_splits
    from training.stats import corpus_stats

    with user_errors(AnnotationError):
        s = corpus_stats(load_gold_splits())
    if as_json:
        echo_json(s)
        return
    typer.echo(f"codebook v{s['codebook']}: {s['statements']} statements from {s['documents']} documents "
               f"({s['hard']} hard, {s['third_party']} third-party)")
    typer.echo("labels: " + ", ".join(f"{k} {v}" for k, v in s["labels"].items()))
    for name, sp in s["splits"].items():
        typer.echo(f"  {name:5} {sp['statements']:5} statements {sp['documents']:4} docs  {sp['labels']}")
    for name, c in s["corpora"].items():
        typer.echo(f"  {name:14} {c['statements']:5} statements {c['documents']:4} docs")
    typer.echo(f"dyads: {s['distinct_dyads']} distinct; top: " + "; ".join(f"{k} {v}" for k, v in list(s['dyads'].items())[:8]))
    for a in s["agreement"]:
        typer.echo(f"agreement {a['file']}: n={a['n']} kappa={a['kappa']:.3f} raw={a['agreement']:.3f}")


@annotate_app.command("anchor")
def anchor(
    quotes: Path = typer.Argument(..., help="Records that give the statement as an exact quote (document-level annotation)."),
    out: Path = typer.Option(..., "-o", "--out"), annotator: str = typer.Option(..., help="Annotator id."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Turn quote-anchored records into standoff records (offsets + span hash); lines that fail are listed."""
    from training.annotations import anchor_record, read_jsonl, record_key

    cache = CorpusCache(corpora)
    records, problems, seen = [], [], set()
    for n, rec, err in read_jsonl(quotes):
        if err or rec.get("none"):
            if err:
                problems.append(f"{n}: {err}")
            continue
        try:
            standoff = anchor_record(rec, cache, annotator)
        except (AnnotationError, KeyError) as e:
            problems.append(f"{n}: {e}")
            continue
        if record_key(standoff) not in seen:
            seen.add(record_key(standoff))
            records.append(standoff)
    _write_jsonl(records, out)
    for p in problems:
        typer.echo(f"{quotes}:{p}", err=True)
    typer.echo(f"wrote {len(records)} standoff records to {out}; {len(problems)} line(s) not anchored")
    if problems:
        raise typer.Exit(3)


@data_app.command("split")
def split(corpora: Optional[Path] = CorporaOpt) -> None:
    """Assign documents not yet in data/splits.json to train/dev/test and freeze them there."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from training.annotations import load_annotations
    from training.dataset import SPLITS_MANIFEST, assign_new_documents, read_manifest, write_manifest

    with user_errors(AnnotationError):
        frozen = read_manifest()
        new = assign_new_documents(load_annotations(), frozen)
    if new:
        write_manifest({**frozen, **new})
    typer.echo(f"{SPLITS_MANIFEST}: {len(frozen)} documents kept, {len(new)} added "
               + str({s: list(new.values()).count(s) for s in ("train", "dev", "test")}))


@data_app.command("card")
def card(out: Path = typer.Option(Path("data/README.md"), "-o", "--out"), corpora: Optional[Path] = CorporaOpt) -> None:
    """Write the dataset card (counts per label, split, corpus and dyad; agreement) from the gold files."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from training.dataset import load_gold_splits
    from training.stats import corpus_stats, dataset_card

    with user_errors(AnnotationError):
        text = dataset_card(corpus_stats(load_gold_splits()))
    out.write_text(text)
    typer.echo(f"wrote {out}")
