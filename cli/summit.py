"""``stance summit ...``: the analyst workbench's workspaces from the command line, for scripts.

The same functions as the page (``workbench/``): create a workspace, add articles, label statements,
export standoff records, retrain with the very ``stance retrain``, and summarise per party pair.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import List, Optional

import typer

from cli.common import ModelsOpt, echo_json, fail, user_errors
from training.train import TrainConfig

summit_app = typer.Typer(help="Summit workspaces of the analyst workbench (the page at `stance serve`'s /).",
                         no_args_is_help=True)
WorkspacesOpt = typer.Option(None, "--workspaces", envvar="STANCE_WORKSPACES",
                             help="Folder of workspace files (default: workspaces/ in the project).")


def register(app: typer.Typer) -> None:
    app.add_typer(summit_app, name="summit")


def _workspace(slug: str, root: Optional[Path]):
    from workbench.store import WORKSPACES_ENV, Workspaces

    store = Workspaces(root)
    os.environ[WORKSPACES_ENV] = str(store.root.resolve())  # exported records resolve their text through it
    with user_errors():
        return store.get(slug)


@summit_app.command("new")
def new(name: str = typer.Argument(..., help="The summit's name, e.g. 'EU-China summit 2023'."),
        party: List[str] = typer.Option([], "--party", help="A main party (repeat, or comma-separated)."),
        start: str = typer.Option("", help="First day, YYYY-MM-DD (the default date of its articles)."),
        end: str = typer.Option("", help="Last day, YYYY-MM-DD."),
        workspaces: Optional[Path] = WorkspacesOpt) -> None:
    """Create an empty workspace (one SQLite file) and print its slug."""
    from workbench.store import WorkspaceError, Workspaces

    parties = [p for item in party for p in item.split(",")]
    with user_errors(WorkspaceError):
        ws = Workspaces(workspaces).create(name, parties, start, end)
    typer.echo(f"created {ws.slug} ({ws.path}); parties: {', '.join(ws.meta()['parties']) or 'none'}")


@summit_app.command("list")
def list_(workspaces: Optional[Path] = WorkspacesOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """Every workspace with its review progress."""
    from workbench.review_queue import overview
    from workbench.store import Workspaces

    store = Workspaces(workspaces)
    rows = overview(store)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        typer.echo(f"no workspaces in {store.root}")
    for r in rows:
        typer.echo(f"{r['slug']:30} {r['progress']['reviewed']:4} / {r['progress']['total']:4} reviewed  {r['name']}")


@summit_app.command("add")
def add(slug: str = typer.Argument(...),
        paths: List[Path] = typer.Argument(..., help=".txt, .jsonl or .csv files, or folders of them."),
        model: Optional[str] = typer.Option(None, "--model", help="Version for the suggestions (default: current)."),
        models: Optional[Path] = ModelsOpt, workspaces: Optional[Path] = WorkspacesOpt) -> None:
    """Add articles: extract their statements and store them with the model's suggestions."""
    from model.predictor import Predictor
    from model.registry import RegistryError
    from workbench.ingest import add_articles, folder_files, parse_file
    from workbench.store import WorkspaceError

    ws = _workspace(slug, workspaces)
    incoming, problems = [], []
    for path in paths:
        with user_errors(WorkspaceError):
            if path.is_dir():
                files = folder_files(path)
            elif path.is_file():
                files = [(path.name, path.read_bytes().decode("utf-8", "replace"))]
            else:
                raise FileNotFoundError(f"{path}: no such file or folder")
        for name, content in files:
            parsed, bad = parse_file(name, content)
            incoming += parsed
            problems += bad
    try:
        predictor = Predictor.from_registry(model, "onnx", models)
    except RegistryError as e:
        if model:
            fail(str(e))
        predictor = None
        typer.echo(f"no model ({e}): statements are stored without suggestions", err=True)
    added, refused = add_articles(ws, incoming, predictor.predict_proba if predictor else None,
                                  predictor.version_name if predictor else None,
                                  weights=predictor.version.extractor_weights if predictor else None)
    for a in added:
        typer.echo(f"added {a.doc_id}: {len(ws.statements(a.doc_id))} statements")
    for p in problems + refused:
        typer.echo(f"not added: {p}", err=True)
    if problems or refused:
        raise typer.Exit(3)


@summit_app.command("show")
def show(slug: str = typer.Argument(...), doc_id: Optional[str] = typer.Argument(None, help="One article only."),
         workspaces: Optional[Path] = WorkspacesOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """Statements with their ids (for ``label``), the model's suggestion and each analyst's decision."""
    ws = _workspace(slug, workspaces)
    with user_errors():
        statements = ws.statements(doc_id)
        texts = {a.doc_id: a.text for a in ws.articles()}
    rows = [{"id": s.id, "doc_id": s.doc_id, "text": " ".join(texts[s.doc_id][s.start:s.end].split()),
             "speaker": s.speaker, "speaker_party": s.speaker_party, "target_party": s.target_party,
             "suggestion": s.suggestion, "confidence": s.confidence, "reviews": s.reviews,
             "final": (s.final() or {}).get("decision")} for s in statements]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        decided = ", ".join(f"{who}: {v['decision']}" for who, v in r["reviews"].items()) or "unreviewed"
        typer.echo(f"{r['id']:5} {r['doc_id']:20} {r['speaker_party'] or '-'} -> {r['target_party']}  "
                   f"suggested {r['suggestion'] or '-'}  [{decided}]  {r['text'][:70]}")


@summit_app.command("label")
def label(slug: str = typer.Argument(...), statement: int = typer.Argument(..., help="Statement id (see `show`)."),
          decision: Optional[str] = typer.Argument(None, help="cooperative, confrontational, conditional or "
                                                               "not_statement (omit to change parties only)."),
          annotator: str = typer.Option(..., "--annotator", help="Who decides (kept with the review)."),
          speaker: Optional[str] = typer.Option(None, "--speaker", help="Correct the speaker's name ('' = unknown)."),
          speaker_party: Optional[str] = typer.Option(None, "--speaker-party"),
          target_party: Optional[str] = typer.Option(None, "--target-party"),
          adjudicate: bool = typer.Option(False, "--adjudicate", help="Settle a disagreement between analysts."),
          workspaces: Optional[Path] = WorkspacesOpt) -> None:
    """Record one analyst's decision on a statement (as keys 1/2/3/0 and the speaker and party fields on the page)."""
    from workbench.store import WorkspaceError, party_name

    ws = _workspace(slug, workspaces)
    with user_errors(WorkspaceError):
        s = ws.review(statement, annotator, decision, party_name(speaker_party, "--speaker-party", False),
                      party_name(target_party, "--target-party", False), "adjudicate" if adjudicate else "review",
                      speaker)
    state = s.adjudication if adjudicate else s.reviews[annotator]
    typer.echo(f"statement {s.id}: {state['decision']} ({state['speaker'] or 'unknown speaker'}, "
               f"{state['speaker_party'] or 'third party'} -> {state['target_party']}) by {annotator}")


@summit_app.command("agreement")
def agreement(slug: str = typer.Argument(...), a: str = typer.Argument(...), b: str = typer.Argument(...),
              workspaces: Optional[Path] = WorkspacesOpt) -> None:
    """Cohen's kappa between two analysts and the statements they disagree on."""
    from workbench.agreement import agreement as compute

    report = compute(_workspace(slug, workspaces).statements(), a, b)
    if not report["n"]:
        fail(f"{a} and {b} have no reviewed statement in common")
    typer.echo(f"n={report['n']}  kappa={report['kappa']:.3f}  raw agreement={report['agreement']:.3f}")
    for s in report["disagreements"]:
        typer.echo(f"  statement {s.id} ({s.doc_id}): {a} {s.reviews[a]['decision']}, {b} {s.reviews[b]['decision']}"
                   + (f"; adjudicated {s.adjudication['decision']}" if s.adjudication else ""))


@summit_app.command("export")
def export(slug: str = typer.Argument(...), out: Path = typer.Option(..., "-o", "--out"),
           workspaces: Optional[Path] = WorkspacesOpt) -> None:
    """Write the settled statements as standoff records (codebook 2), ready for `stance retrain` or `annotate add`."""
    from workbench.export import export_records, write_records

    records, skipped = export_records(_workspace(slug, workspaces))
    write_records(records, out)
    for s in skipped:
        typer.echo(f"not exported: {s}", err=True)
    typer.echo(f"wrote {len(records)} records to {out}")


@summit_app.command("summary")
def summary(slug: str = typer.Argument(...), csv: Optional[Path] = typer.Option(None, "--csv", help="Write CSV here."),
            workspaces: Optional[Path] = WorkspacesOpt, as_json: bool = typer.Option(False, "--json")) -> None:
    """Label counts and shares per party pair (and per article date)."""
    from workbench.summary import summarise, summary_csv

    ws = _workspace(slug, workspaces)
    result = summarise(ws.statements(), {a.doc_id: a.date for a in ws.articles()})
    if csv:
        csv.write_text(summary_csv(result))
    if as_json:
        echo_json(result)
        return
    for r in result["dyads"]:
        shares = "  ".join(f"{lab} {r['counts'][lab]} ({r['shares'][lab]:.0%})" for lab in r["counts"])
        typer.echo(f"{r['speaker_party']} -> {r['target_party']}: {shares}  n={r['total']} ({r['reviewed']} reviewed)")


@summit_app.command("retrain")
def retrain(slug: str = typer.Argument(...),
            dry_run: bool = typer.Option(False, "--dry-run", help="Train and compare, but do not promote."),
            epochs: int = typer.Option(TrainConfig.epochs), limit: Optional[int] = typer.Option(None, help="Cap examples per split."),
            models: Optional[Path] = ModelsOpt, workspaces: Optional[Path] = WorkspacesOpt,
            as_json: bool = typer.Option(False, "--json")) -> None:
    """Export the settled statements and run `stance retrain` on them (what the page's Retrain button runs)."""
    from cli.modelling import retrain as stance_retrain
    from workbench.export import export_records, write_records
    from workbench.store import now

    ws = _workspace(slug, workspaces)
    records, _ = export_records(ws)
    if not records:
        fail("no settled statements to train on yet: review some first")
    out = write_records(records, ws.path.parent / "exports" / f"{slug}-{now()[:19].replace(':', '')}.jsonl")
    typer.echo(f"exported {len(records)} records to {out}", err=True)
    stance_retrain([out], dry_run=dry_run, models=models, corpora=None, epochs=epochs, max_length=TrainConfig.max_length, limit=limit,
                   as_json=as_json)
