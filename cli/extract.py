"""``stance extract ARTICLE``: the statements in one article, as JSONL or a table."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Optional

import typer

from cli.common import ModelsOpt, fail

MAX_FILE_BYTES = 8 * 1024 * 1024


extractor_app = typer.Typer(help="The extractor's learned relevance filter and target scorer.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract)
    app.add_typer(extractor_app, name="extractor")


PublishOpt = typer.Option(None, "--publish", help="Also publish version NAME: the --base version with the new "
                                                   "weights in place of its own (no retraining; not promoted).")
BaseOpt = typer.Option(None, "--base", help="With --publish: the version to copy (default: current).")


def fit_and_publish(part: str, out: Path, run_fit: Callable[[], dict], publish: str | None, base: str | None,
                    models: Path | None) -> dict:
    """Run ``run_fit`` (it writes ``out``), then with ``publish`` a version that carries ``out`` as its ``part``."""
    from cli.common import user_errors
    from model.registry import Registry
    from training.annotations import AnnotationError
    from training.extractor_release import publish_extractor

    with user_errors(AnnotationError, FileNotFoundError):
        registry = Registry(models)
        if publish:
            registry.get(base)  # a missing or broken base is refused before minutes of fitting
        report = run_fit()
        if publish:
            report["published"] = publish_extractor(registry, publish, base, **{part: out}).name
    return report


@extractor_app.command("fit")
def fit(
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Weights file (default: model/extraction/relevance.json)."),
    limit: Optional[int] = typer.Option(
        None, help="Use only the first N annotated articles and the codebook's worked examples (quick runs)."),
    publish: Optional[str] = PublishOpt,
    base: Optional[str] = BaseOpt,
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Fit the relevance filter on train-split articles, pick its threshold on dev, report test P/R/F1.

    Every codebook worked example must pass the filter; the report says how many do (worked_examples).

    The weights file is the default for new versions; a served model extracts with the filter of its own
    version, so the new filter reaches `/v1/analyze` and `stance score` through --publish and `stance promote`.
    """
    from cli.common import echo_json
    from model.extraction.relevance import WEIGHTS_FILE
    from training.relevance_fit import fit_relevance

    out = out or WEIGHTS_FILE
    echo_json(fit_and_publish("relevance", out, lambda: fit_relevance(out=out, limit=limit), publish, base, models))


@extractor_app.command("fit-targets")
def fit_targets(
    out: Optional[Path] = typer.Option(None, "-o", "--out", help="Weights file (default: model/extraction/targets.json)."),
    data: Optional[list[Path]] = typer.Option(None, "--data", help="Gold annotation JSONL file(s) "
                                                                  "(default: data/annotations/*.jsonl)."),
    limit: Optional[int] = typer.Option(None, help="Use only the first N annotated documents (quick runs)."),
    cache: Optional[Path] = typer.Option(None, help="Keep the extractor's pass over the documents here and reuse it "
                                                      "(delete it when the candidate finders change)."),
    metrics: Optional[Path] = typer.Option(None, help="Also write the report (dev and leave-one-corpus-out) here."),
    publish: Optional[str] = PublishOpt,
    base: Optional[str] = BaseOpt,
    models: Optional[Path] = ModelsOpt,
) -> None:
    """Fit the target scorer on train-split gold targets; report target accuracy, rules against scorer,
    per corpus on dev and leave-one-corpus-out.

    Like `stance extractor fit`: the weights file is the default for new versions, and a served model chooses
    targets with its own version's, so new weights reach users through --publish and `stance promote`.
    """
    from cli.common import echo_json
    from eval.report import write_json
    from model.extraction.target_scorer import WEIGHTS_FILE
    from training.target_fit import fit_targets as fit_scorer

    out = out or WEIGHTS_FILE
    report = fit_and_publish("targets", out, lambda: fit_scorer(out=out, limit=limit, cache=cache,
                                                                annotations=data or None), publish, base, models)
    if metrics:
        write_json(report, metrics)
    echo_json(report)


def read_article(path: Path) -> str:
    """The article's text, or a one-line error for a missing, empty, binary, non-UTF-8 or oversized file."""
    if not path.exists():
        fail(f"{path}: no such file")
    if path.is_dir():
        fail(f"{path} is a folder; give one article file")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        fail(f"{path} is {size / 1e6:.1f} MB; the limit for one article is {MAX_FILE_BYTES / 1e6:.0f} MB")
    data = path.read_bytes()
    if not data.strip():
        fail(f"{path} is empty")
    if b"\x00" in data:
        fail(f"{path} looks binary (NUL bytes), not an article")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        fail(f"{path} is not UTF-8 text (byte {e.start}: {data[e.start:e.start + 1]!r}); convert it, e.g. iconv -t UTF-8")
    raise AssertionError("unreachable")


def extract(
    article: Path = typer.Argument(..., help="A UTF-8 text file with one article."),
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl (one statement per line) or table."),
    year: Optional[int] = typer.Option(None, help="Default publication year (Moscow is the Soviet Union before 1992); a year in the article's own dateline wins."),
    speaker_party: Optional[str] = typer.Option(None, "--speaker-party",
                                                help="Speech mode: the whole text is this party speaking."),
    addressee: Optional[str] = typer.Option(
        None, "--addressee", help="Speech mode: the party the speech is addressed to (a parliament's country); "
                                  "default: the one its opening salutations greet, if any."),
) -> None:
    """Find every attributed statement: span, kind, speaker, speaker party, target party, cue."""
    from model.extraction import extract_statements

    if format not in ("jsonl", "table"):
        fail("--format must be jsonl or table")
    text = read_article(article)
    try:
        statements = extract_statements(text, year=year, speaker_party=speaker_party, addressee=addressee)
    except ValueError as e:
        fail(f"{article}: {e}")
    if format == "jsonl":
        for st in statements:
            typer.echo(json.dumps(st.to_dict(), ensure_ascii=False))
        return
    typer.echo(f"{'#':>3}  {'kind':8}  {'speaker':28}  {'party -> target':40}  statement")
    for i, st in enumerate(statements, 1):
        parties = f"{st.speaker_party or '(third party)'} -> {st.target_party}"
        snippet = st.text if len(st.text) <= 70 else st.text[:67] + "..."
        typer.echo(f"{i:>3}  {st.kind:8}  {st.speaker[:28]:28}  {parties[:40]:40}  {snippet}")
    typer.echo(f"{len(statements)} statements")
