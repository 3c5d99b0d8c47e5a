"""``stance annotate ...`` and ``stance data ...``: building and describing the gold corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer

from cli.common import BackendOpt, CorporaOpt, ModelsOpt, VersionOpt, echo_json, fail, user_errors
from training.annotations import AnnotationError, CorpusCache, read_jsonl

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
    with user_errors(AnnotationError, FileNotFoundError):
        records = new_candidates(corpus, ids, cache, annotator)
    _write_jsonl(records, out)
    typer.echo(f"wrote {len(records)} candidates from {len(ids)} documents to {out}")


@annotate_app.command("show")
def show(
    corpus: str = typer.Argument(..., help="Corpus name or a folder of .txt articles."),
    doc_id: str = typer.Argument(..., help="Document id."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Print a document as annotators read it: one paragraph a line, each with its start offset."""
    cache = CorpusCache(corpora)
    with user_errors(KeyError, FileNotFoundError):
        doc = cache.document(corpus, doc_id)
    typer.echo(f"# {doc.corpus}/{doc.doc_id}  {doc.date}  {doc.title}")
    offset = 0
    for paragraph in doc.text.split("\n"):
        typer.echo(f"[{offset}] {paragraph}")
        offset += len(paragraph) + 1


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
    with user_errors(AnnotationError, FileNotFoundError):
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
        documents: Optional[Path] = typer.Option(None, "--documents", help="The annotator's document log "
                                                 "({corpus, doc_id, statements, started, finished} per line): "
                                                 "registers them as exhaustively annotated, with the hours spent."),
        corpus: Optional[str] = typer.Option(None, help="Only this corpus's lines of --documents."),
        corpora: Optional[Path] = CorporaOpt) -> None:
    """File a checked batch into data/annotations/ (standoff only); duplicates are refused."""
    from training.annotate import add_batch, register_documents

    cache = CorpusCache(corpora)
    with user_errors(AnnotationError, FileNotFoundError):
        dest = add_batch(batch, name, cache)
    typer.echo(f"filed {dest}")
    if documents:
        annotators = sorted({r.get("annotator", "") for _, r, _ in read_jsonl(dest) if r})
        n = register_documents(documents, name, ",".join(annotators), corpus)
        typer.echo(f"{n} document(s) added to the extraction gold listing")


@annotate_app.command("agreement")
def agreement(a: Path = typer.Argument(..., help="Annotator A: a batch file or a folder of batches."),
              b: Path = typer.Argument(..., help="Annotator B: a batch file or a folder of batches."),
              save: Optional[Path] = typer.Option(None, help="Also write the report JSON here.")) -> None:
    """Cohen's kappa and the confusion between two annotators over the statements both labelled."""
    from training.annotate import agreement as compute

    with user_errors(ValueError):  # training/ reports bad batches as ValueError
        report = compute(a, b)
    if save:
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(json.dumps(report, indent=1) + "\n")
    typer.echo(f"n={report['n']}  kappa={report['kappa']:.3f}  raw agreement={report['agreement']:.3f}")
    typer.echo("confusion (rows: A, columns: B):")
    for lab, row in report["confusion_rows_a_cols_b"].items():
        typer.echo(f"  {lab:16} " + "  ".join(f"{k[:6]}={v}" for k, v in row.items()))


@annotate_app.command("study")
def study(
    first: Path = typer.Argument(..., help="First annotator's standoff records (file or folder)."),
    second: Path = typer.Argument(..., help="Second annotator's records, made from scratch on the same documents."),
    docs: Path = typer.Option(..., "--docs", help="JSONL of {corpus, doc_id}: the documents both annotated in full."),
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Write the report (JSON) here."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Independent agreement: span F1, party agreement and label kappa on matched spans, per corpus."""
    from training.agreement import study as run_study
    from training.annotations import load_annotations, read_jsonl

    def records(path: Path) -> list[dict]:
        return load_annotations(sorted(path.glob("*.jsonl")) if path.is_dir() else [path], CorpusCache(corpora))

    with user_errors(AnnotationError, FileNotFoundError):
        documents = [(r["corpus"], str(r["doc_id"])) for _, r, _ in read_jsonl(docs) if r]
        report = run_study(records(first), records(second), documents)
    if out:
        out.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n")
    typer.echo("| corpus | documents | spans (1st / 2nd) | span F1 | speaker party | target | label pairs | kappa |")
    typer.echo("|---|---|---|---|---|---|---|---|")
    for name, r in report["corpora"].items():
        kappa = "n/a" if r["kappa"] is None else f"{r['kappa']:.3f}"
        typer.echo(f"| {name} | {r['documents']} | {r['spans_first']} / {r['spans_second']} | {r['span_f1']:.3f} | "
                   f"{r['speaker_party_agreement']:.3f} | {r['target_agreement']:.3f} | {r['label_pairs']} | {kappa} |")


@annotate_app.command("select")
def select(
    pool: Path = typer.Option(..., help="Folder of new .txt articles."),
    n: int = typer.Option(50, "-n", help="How many statements to pick."),
    out: Path = typer.Option(..., "-o", "--out"),
    model: Optional[str] = VersionOpt, models: Optional[Path] = ModelsOpt, backend: str = BackendOpt,
) -> None:
    """Active learning: the statements in new articles the current model is least sure of."""
    from training.active import select_uncertain

    with user_errors(ValueError, FileNotFoundError):  # training/ reports a bad pool or -n as ValueError
        records = select_uncertain(pool, n, model, models, backend)
    _write_jsonl(records, out)
    typer.echo(f"wrote the {len(records)} least certain statements to {out}")


def _gold_stats(corpora: Optional[Path]) -> dict:
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from training.dataset import load_gold_splits
    from training.stats import gold_stats

    with user_errors(AnnotationError, FileNotFoundError):
        cache = CorpusCache()
        return gold_stats(load_gold_splits(corpora=cache), cache)


@data_app.command("stats")
def stats(
    as_json: bool = typer.Option(False, "--json"),
    changes: bool = typer.Option(False, "--changes", help="Also list the codebook 1 -> 2 re-review changes per rule."),
    corpora: Optional[Path] = CorporaOpt,
) -> None:
    """Counts per label, split, corpus, year and dyad, from data/annotations/ checked against the corpora."""
    s = _gold_stats(corpora)
    if as_json:
        echo_json(s)
        return
    typer.echo(f"codebook v{s['codebook']}: {s['statements']} statements from {s['documents']} documents "
               f"({s['hard']} hard, {s['third_party']} third-party; {s['new_statements_2000_2023']} new from 2000-2023)")
    typer.echo("labels: " + ", ".join(f"{k} {v}" for k, v in s["labels"].items()))
    for name, sp in s["splits"].items():
        typer.echo(f"  {name:5} {sp['statements']:5} statements {sp['documents']:4} docs  {sp['labels']}")
    for name, c in s["corpora"].items():
        typer.echo(f"  {name:18} {c['statements']:5} statements {c['documents']:4} docs  {c['splits']}  "
                   f"extraction gold {s['extraction_gold_documents'].get(name, 0)} docs")
    typer.echo(f"dyads: {s['distinct_dyads']} distinct; top: " + "; ".join(f"{k} {v}" for k, v in list(s['dyads'].items())[:8]))
    for name, r in s["agreement_study"].items():
        typer.echo(f"agreement study {name}: span F1 {r['span_f1']:.3f}, parties {r['speaker_party_agreement']:.3f} / "
                   f"{r['target_agreement']:.3f}, kappa {r['kappa']} (n={r['label_pairs']})")
    if changes:
        ch = s["changes_v1_to_v2"]
        typer.echo(f"codebook 1 -> 2: {ch['v1_records_kept_or_dropped']} version-1 records re-reviewed")
        for rule, c in ch["rules"].items():
            typer.echo(f"  {rule:20} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
        typer.echo("  relabelled: " + ", ".join(f"{k} {v}" for k, v in sorted(ch["relabel_matrix"].items())))


@data_app.command("card")
def card(out: Path = typer.Option(Path("data/README.md"), "-o", "--out"), corpora: Optional[Path] = CorporaOpt) -> None:
    """Write the dataset card (counts per label, split, corpus, dyad; changes; agreement; licences)."""
    from training.stats import dataset_card

    out.write_text(dataset_card(_gold_stats(corpora)))
    typer.echo(f"wrote {out}")


@annotate_app.command("anchor")
def anchor(
    quotes: Path = typer.Argument(..., help="Records that give the statement as an exact quote, one JSON object a line: "
                                            "corpus, doc_id, quote, speaker, speaker_party, target_party, label "
                                            "(optional: occurrence, kind, hard)."),
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
    """Assign new documents to train/dev/test, keep near-duplicates and repeated statements in one split, save."""
    import os

    if corpora:
        os.environ["STANCE_CORPORA"] = str(corpora)
    from training.dataset import SPLITS_MANIFEST, load_gold_splits, read_manifest

    with user_errors(AnnotationError, FileNotFoundError):
        before = read_manifest()
        load_gold_splits(update_manifest=True, check_leaks=True)
        after = read_manifest()
    added = [d for d in after if d not in before]
    moved = sorted(d for d in before if after.get(d) != before[d])
    typer.echo(f"{SPLITS_MANIFEST}: {len(before)} documents before, {len(added)} added "
               + str({s: [after[d] for d in added].count(s) for s in ("train", "dev", "test")})
               + f", {len(moved)} moved to their near-duplicate's split")
    for d in moved:
        typer.echo(f"  moved {d}: {before[d]} -> {after[d]}")


@annotate_app.command("rereview")
def rereview(
    v1: Path = typer.Option(None, help="Frozen version-1 annotation files (default data/v1/annotations)."),
    decisions: Path = typer.Option(None, help="Re-review decisions (default data/review-v2)."),
    out: Path = typer.Option(None, help="Where the version-2 files go (default data/annotations)."),
) -> None:
    """Rebuild the codebook-2 gold from the frozen version-1 records and the annotators' re-review decisions."""
    from training.annotations import ANNOTATIONS_DIR
    from training.review import DECISIONS_DIR, V1_DIR, change_counts, load_decisions, rereview as apply, write_rereview

    with user_errors(AnnotationError, FileNotFoundError):
        kept, dropped = apply(v1 or V1_DIR, load_decisions(decisions or DECISIONS_DIR))
    write_rereview(out or ANNOTATIONS_DIR, kept, dropped)
    records = [r for recs in kept.values() for r in recs]
    counts = change_counts(records, dropped)
    typer.echo(f"{counts['v1_records_kept_or_dropped']} version-1 records re-reviewed: {len(records)} version-2 records "
               f"in {len(kept)} files, {len(dropped)} dropped")
    for rule, c in counts["rules"].items():
        typer.echo(f"  {rule:20} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
