"""The analyst workbench in the scoring service: HTML pages at ``/`` and their JSON API at ``/v1/summits``.

Pages are rendered on the server (Jinja templates); ``static/workbench.js`` only sends keystrokes
and forms to the JSON API and redraws what changed. Everything the page does is an API call, so
a workspace can be scripted over HTTP as well as with ``stance summit``.
"""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path
from typing import Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from model.extraction import ExtractorWeights
from model.registry import MODELS_ENV, Registry, RegistryError, verify_version
from model.schema import LABELS
from service.extraction import Article, Extractor
from service.errors import ServiceError
from training.train import TrainConfig
from workbench import agreement as agreement_mod
from workbench.export import export_records, write_records
from workbench.ingest import Incoming, add_articles, folder_files, parse_file, title_of
from workbench.jobs import RetrainRunner, retrain_command
from workbench.review_queue import annotator_progress, in_eval_slice, overview, progress, queue
from workbench.store import (DECISIONS, NOT_STATEMENT, WORKSPACES_ENV, Workspace, WorkspaceError, Workspaces, now,
                             party_name)
from workbench.summary import share_chart, summarise, summary_csv
from workbench.views import KEYS, parties_of, segments, speakers_of, statement_view

HERE = Path(__file__).resolve().parent
ANALYST_COOKIE = "stance_analyst"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NewSummit(Body):
    name: str = Field(min_length=1, max_length=120)
    parties: list[str] = []
    start: str = ""
    end: str = ""


class UploadedFile(Body):
    name: str = Field(min_length=1, max_length=300)
    content: str


class NewArticles(Body):
    files: list[UploadedFile] = []
    text: str = ""
    title: str = ""
    date: str = ""
    folder: str = ""


class ReviewIn(Body):
    annotator: str = Field(min_length=1, max_length=80)
    decision: str | None = None
    speaker: str | None = None
    speaker_party: str | None = None
    target_party: str | None = None


class NewStatement(Body):
    annotator: str = Field(min_length=1, max_length=80)
    start: int
    end: int
    speaker: str = ""
    speaker_party: str = ""
    target_party: str
    decision: str
    kind: str = "reported"


class Who(Body):
    annotator: str = Field(min_length=1, max_length=80)


class RetrainIn(Who):
    dry_run: bool = True
    epochs: int = Field(TrainConfig.epochs, ge=1, le=20)
    limit: int | None = Field(None, ge=10)


class RegistryAction(Who):
    reason: str = Field(min_length=3, max_length=500)
    version: str | None = None


def install_workbench(app: FastAPI, holder, extractor: Extractor, max_article_chars: int,
                      workspaces: str | Path | None = None) -> None:
    """Add the page and its API to the service; ``holder`` is its ``ModelHolder`` (model and registry) and
    ``extractor`` its admission-controlled extraction thread, which uploads share with ``/v1/analyze``."""
    store = Workspaces(workspaces)
    runner = RetrainRunner()
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.globals.update(labels=LABELS, decisions=DECISIONS)
    app.mount("/static/workbench", StaticFiles(directory=HERE / "static"), name="workbench-static")
    pages = APIRouter(include_in_schema=False)
    # Out of the OpenAPI schema: that schema is the scoring contract the fuzz test holds to (no undeclared
    # status), and a fuzzer creating workspaces and starting retrains is no test of it. README lists these routes.
    api = APIRouter(prefix="/v1/summits", tags=["workbench"], include_in_schema=False)

    def open_ws(slug: str) -> Workspace:
        try:
            return store.get(slug)
        except KeyError as e:
            raise ServiceError(404, "not_found", str(e).strip("'\"")) from None

    def extract(text: str, year: int | None, weights: ExtractorWeights | None) -> list:
        """An uploaded article through the service's extraction queue: refused at once when the queue is full
        (429 for the request, with Retry-After), never a thread of its own. An article that is invalid (422)
        or could not finish in time even alone (413) is refused by itself and the upload goes on."""
        try:
            return extractor.extract_waiting(Article(text, year), weights)
        except ServiceError as e:
            if e.status_code in (413, 422):
                raise ValueError(e.detail) from None
            raise

    def scorer() -> tuple[Callable | None, str | None, ExtractorWeights | None]:
        """The serving model's scorer, version name and fitted extractor files (all None without a model)."""
        predictor = holder.predictor
        if predictor is None:
            return None, None, None
        return predictor.predict_proba, predictor.version_name, predictor.version.extractor_weights

    def render(request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        context.setdefault("analyst", request.cookies.get(ANALYST_COOKIE, ""))
        context.setdefault("model_version", holder.predictor.version_name if holder.predictor else None)
        return templates.TemplateResponse(request, template, context, status_code=status)

    def page(handler: Callable) -> Callable:
        """A page whose failures are shown as a page with the message, not as JSON."""
        @functools.wraps(handler)
        async def wrapped(request: Request, **kw) -> HTMLResponse:
            try:
                return await run_in_threadpool(handler, request, **kw)
            except ServiceError as e:
                return render(request, "error.html", e.status_code, message=e.detail)
        return wrapped

    def workspace_context(ws: Workspace, annotator: str) -> dict:
        meta = ws.meta()
        statements = ws.statements()
        return {"ws": ws, "meta": meta, "statements": statements, "progress": progress(statements),
                "annotator": annotator, "mine": annotator_progress(statements, annotator) if annotator else None}

    def registry() -> Registry:
        return holder.registry

    # -- pages -----------------------------------------------------------------------------
    def home(request: Request) -> HTMLResponse:
        return render(request, "home.html", summits=overview(store), root=store.root)

    def summit_page(request: Request, slug: str) -> HTMLResponse:
        ws = open_ws(slug)
        ctx = workspace_context(ws, request.cookies.get(ANALYST_COOKIE, ""))
        per_article: dict[str, list] = {}
        for s in ctx["statements"]:
            per_article.setdefault(s.doc_id, []).append(s)
        records, skipped = export_records(ws)
        articles = [{"a": a, "n": len(per_article.get(a.doc_id, [])),
                     "reviewed": sum(1 for s in per_article.get(a.doc_id, []) if s.reviews),
                     "eval": in_eval_slice(ws, a.doc_id)} for a in ws.articles()]
        return render(request, "summit.html", tab="articles", articles=articles, exportable=len(records),
                      skipped=skipped, max_chars=max_article_chars, **ctx)

    def review_page(request: Request, slug: str, doc_id: str) -> HTMLResponse:
        ws = open_ws(slug)
        annotator = request.cookies.get(ANALYST_COOKIE, "")
        try:
            article = ws.article(doc_id)
        except KeyError as e:
            raise ServiceError(404, "not_found", str(e).strip("'\"")) from None
        hidden = in_eval_slice(ws, doc_id)
        views = [statement_view(s, annotator, hidden) for s in ws.statements(doc_id)]
        doc_ids = [a.doc_id for a in ws.articles()]
        i = doc_ids.index(doc_id)
        return render(request, "review.html", tab="review", ws=ws, meta=ws.meta(), article=article, views=views,
                      segments=segments(article, views), parties=parties_of(ws.meta().get("parties", []), views),
                      speakers=speakers_of(views),
                      hidden=hidden, keys=KEYS, prev_doc=doc_ids[i - 1] if i else None,
                      next_doc=doc_ids[i + 1] if i + 1 < len(doc_ids) else None, annotator=annotator)

    def queue_page(request: Request, slug: str) -> HTMLResponse:
        ws = open_ws(slug)
        ctx = workspace_context(ws, request.cookies.get(ANALYST_COOKIE, ""))
        items = queue(ws, ctx["annotator"], ctx["statements"]) if ctx["annotator"] else []
        return render(request, "queue.html", tab="queue", items=items[:200], queued=len(items), **ctx)

    def agreement_page(request: Request, slug: str) -> HTMLResponse:
        ws = open_ws(slug)
        ctx = workspace_context(ws, request.cookies.get(ANALYST_COOKIE, ""))
        analysts = ws.annotators()
        a, b = request.query_params.get("a"), request.query_params.get("b")
        if not (a and b):
            a, b = agreement_mod.busiest_pair(ctx["statements"]) or (None, None)
        report = agreement_mod.agreement(ctx["statements"], a, b) if a and b else None
        texts = {art.doc_id: art.text for art in ws.articles()}
        return render(request, "agreement.html", tab="agreement", analysts=analysts, report=report, texts=texts,
                      **ctx)

    def summary_page(request: Request, slug: str) -> HTMLResponse:
        ws = open_ws(slug)
        ctx = workspace_context(ws, request.cookies.get(ANALYST_COOKIE, ""))
        summary = summarise(ctx["statements"], {a.doc_id: a.date for a in ws.articles()})
        charts = {"dyads": share_chart(summary["dyads"], [f"{r['speaker_party']} \u2192 {r['target_party']}"
                                                          for r in summary["dyads"]],
                                       "Label shares per party pair (speaker party to target party)")}
        if summary["dates"]:
            charts["dates"] = share_chart(summary["dates"], [r["date"] for r in summary["dates"]],
                                          "Label shares per article date")
        return render(request, "summary.html", tab="summary", summary=summary, charts=charts, **ctx)

    def model_page(request: Request, slug: str) -> HTMLResponse:
        ws = open_ws(slug)
        ctx = workspace_context(ws, request.cookies.get(ANALYST_COOKIE, ""))
        reg = registry()
        versions = []
        for name in reversed(reg.list_versions()):
            try:
                v = verify_version(reg.version_path(name))
                m = v.metrics.get("test") or v.metrics.get("dev") or {}
                versions.append({"name": name, "created": v.manifest.get("created", ""), "macro_f1": m.get("macro_f1"),
                                 "ok": True})
            except RegistryError as e:
                versions.append({"name": name, "created": "", "macro_f1": None, "ok": False, "why": str(e)})
        return render(request, "model.html", tab="model", job=runner.latest(ws), versions=versions,
                      current=reg.current_name(), history=list(reversed(reg.history()))[:12],
                      refused=holder.refused, exportable=len(export_records(ws)[0]),
                      default_epochs=TrainConfig.epochs, **ctx)

    def job_partial(request: Request, slug: str) -> HTMLResponse:
        return render(request, "_job.html", job=runner.latest(open_ws(slug)))

    for path, handler in (("/", home), ("/summits/{slug}/model/job", job_partial), ("/summits/{slug}", summit_page),
                          ("/summits/{slug}/articles/{doc_id}", review_page), ("/summits/{slug}/queue", queue_page),
                          ("/summits/{slug}/agreement", agreement_page), ("/summits/{slug}/summary", summary_page),
                          ("/summits/{slug}/model", model_page)):
        pages.add_api_route(path, page(handler), methods=["GET"], response_class=HTMLResponse)

    # -- the API -----------------------------------------------------------------------------
    @api.get("")
    def list_summits() -> list[dict]:
        """Every workspace with its settings and review progress."""
        return overview(store)

    @api.post("", status_code=201)
    def create_summit(body: NewSummit) -> dict:
        """A new, empty summit workspace (its parties in canonical spelling)."""
        try:
            ws = store.create(body.name, body.parties, body.start, body.end)
        except WorkspaceError as e:
            raise ServiceError(422, "validation", str(e)) from None
        return {"slug": ws.slug, **ws.meta(), "url": f"/summits/{ws.slug}"}

    @api.post("/{slug}/articles")
    def add(slug: str, body: NewArticles) -> dict:
        """Articles from uploaded files, pasted text or a server-side folder: extracted, scored, stored.

        Files that cannot be read are refused one by one (``problems`` says which and why); the rest go in.
        """
        ws = open_ws(slug)
        incoming: list[Incoming] = []
        problems: list[str] = []
        files = [(f.name, f.content) for f in body.files]
        if body.folder:
            try:
                files += folder_files(Path(body.folder).expanduser())
            except WorkspaceError as e:
                raise ServiceError(422, "validation", str(e)) from None
        for name, content in files:
            parsed, bad = parse_file(name, content)
            incoming += parsed
            problems += bad
        if body.text.strip():
            title = body.title.strip() or title_of(body.text)
            doc_id = re.sub(r"[^\w.-]+", "-", title.lower()).strip("-")[:60] or "pasted"
            incoming.append(Incoming(doc_id, title, body.date, "pasted text", body.text.replace("\r\n", "\n")))
        if not incoming and not problems:
            raise ServiceError(422, "validation", "nothing to add: paste an article, choose files or name a folder")
        score, version, weights = scorer()
        added, refused = add_articles(ws, incoming, score, version, max_article_chars, extract, weights)
        return {"added": [{"doc_id": a.doc_id, "title": a.title, "url": f"/summits/{slug}/articles/{a.doc_id}",
                           "statements": len(ws.statements(a.doc_id))} for a in added],
                "problems": problems + refused, "model_version": version}

    @api.get("/{slug}/articles/{doc_id}")
    def article(slug: str, doc_id: str, annotator: str = "") -> dict:
        """The article's text and statements as ``annotator`` sees them (suggestions hidden in the evaluation slice)."""
        ws = open_ws(slug)
        try:
            art = ws.article(doc_id)
        except KeyError as e:
            raise ServiceError(404, "not_found", str(e).strip("'\"")) from None
        hidden = in_eval_slice(ws, doc_id)
        return {"doc_id": art.doc_id, "title": art.title, "date": art.date, "text": art.text,
                "extractor": art.extractor, "model_version": art.model_version, "eval_slice": hidden,
                "statements": [statement_view(s, annotator, hidden) for s in ws.statements(doc_id)]}

    @api.post("/{slug}/statements/{statement_id}/review")
    def review(slug: str, statement_id: int, body: ReviewIn) -> dict:
        """One analyst's label (or ``not_statement``), speaker name and/or parties for a statement; its new row."""
        return _decide(slug, statement_id, body, "review")

    @api.post("/{slug}/statements/{statement_id}/adjudicate")
    def adjudicate(slug: str, statement_id: int, body: ReviewIn) -> dict:
        """The settling decision where analysts disagree (recorded with the adjudicator's name)."""
        return _decide(slug, statement_id, body, "adjudicate")

    def _decide(slug: str, statement_id: int, body: ReviewIn, action: str) -> dict:
        ws = open_ws(slug)
        needs_target = body.decision is not None and body.decision != NOT_STATEMENT
        try:
            s = ws.review(statement_id, body.annotator.strip(), body.decision,
                          party_name(body.speaker_party, "speaker_party", False),
                          party_name(body.target_party, "target_party", needs_target and body.target_party is not None),
                          action, body.speaker)
        except KeyError as e:
            raise ServiceError(404, "not_found", str(e).strip("'\"")) from None
        except WorkspaceError as e:
            raise ServiceError(422, "validation", str(e)) from None
        return statement_view(s, body.annotator.strip(), in_eval_slice(ws, s.doc_id))

    @api.post("/{slug}/articles/{doc_id}/statements", status_code=201)
    def add_statement(slug: str, doc_id: str, body: NewStatement) -> dict:
        """A statement the extractor missed, from the analyst's selection, with their label."""
        ws = open_ws(slug)
        try:
            s = ws.add_statement(doc_id, body.annotator.strip(), body.start, body.end, body.speaker.strip(),
                                 party_name(body.speaker_party, "speaker_party", False),
                                 party_name(body.target_party, "target_party", True), body.decision, body.kind)
        except KeyError as e:
            raise ServiceError(404, "not_found", str(e).strip("'\"")) from None
        except WorkspaceError as e:
            raise ServiceError(422, "validation", str(e)) from None
        return statement_view(s, body.annotator.strip(), in_eval_slice(ws, doc_id))

    @api.post("/{slug}/undo")
    def undo(slug: str, body: Who) -> dict:
        """Take back the analyst's latest review or added statement."""
        statement_id = open_ws(slug).undo(body.annotator.strip())
        if statement_id is None:
            raise ServiceError(409, "nothing_to_undo", f"{body.annotator} has nothing to undo in {slug}")
        return {"undone": statement_id}

    @api.get("/{slug}/queue")
    def next_up(slug: str, annotator: str, limit: int = 20) -> dict:
        """What ``annotator`` should review next; ``annotator_progress`` is theirs, ``progress`` the workspace's."""
        ws = open_ws(slug)
        statements = ws.statements()
        items = queue(ws, annotator, statements)
        return {"progress": progress(statements), "annotator_progress": annotator_progress(statements, annotator),
                "queued": len(items), "items": [
            {"id": i["statement"].id, "doc_id": i["statement"].doc_id, "why": i["why"], "eval_slice": i["eval_slice"],
             "url": f"/summits/{slug}/articles/{i['statement'].doc_id}#statement-{i['statement'].id}"} for i in items[:limit]]}

    @api.get("/{slug}/agreement")
    def agreement(slug: str, a: str, b: str) -> dict:
        """Cohen's kappa between two analysts and the statements they disagree on."""
        report = agreement_mod.agreement(open_ws(slug).statements(), a, b)
        report["disagreements"] = [{"id": s.id, "doc_id": s.doc_id, a: s.reviews[a], b: s.reviews[b],
                                    "adjudication": s.adjudication} for s in report["disagreements"]]
        return report

    @api.get("/{slug}/export")
    def export(slug: str, format: str = "jsonl") -> Response:
        """The settled statements as standoff records (codebook 2); ``format=json`` adds what was left out and why."""
        records, skipped = export_records(open_ws(slug))
        if format == "json":
            return Response(json.dumps({"records": records, "skipped": skipped}), media_type="application/json")
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
        return Response(body, media_type="application/x-ndjson",
                        headers={"Content-Disposition": f'attachment; filename="{slug}.jsonl"'})

    @api.get("/{slug}/summary")
    def summary(slug: str, format: str = "json") -> Response:
        """Label counts and shares per party pair and per article date; ``format=csv`` for a spreadsheet."""
        ws = open_ws(slug)
        result = summarise(ws.statements(), {a.doc_id: a.date for a in ws.articles()})
        if format == "csv":
            return PlainTextResponse(summary_csv(result), media_type="text/csv",
                                     headers={"Content-Disposition": f'attachment; filename="{slug}-summary.csv"'})
        return Response(json.dumps(result), media_type="application/json")

    @api.post("/{slug}/retrain", status_code=202)
    def retrain(slug: str, body: RetrainIn) -> dict:
        """Export the settled records and run ``stance retrain`` on them in the background."""
        ws = open_ws(slug)
        records, _ = export_records(ws)
        if not records:
            raise ServiceError(422, "validation", "no settled statements to train on yet: review some first")
        if len({r["doc_id"] for r in records}) < 2:
            raise ServiceError(422, "validation", "retraining holds whole articles out to judge the result: "
                                                  "review statements in at least two articles first")
        export_file = write_records(records, store.root / "exports" / f"{slug}-{now()[:19].replace(':', '')}.jsonl")
        command = retrain_command(export_file, registry().root, body.dry_run, body.epochs, body.limit)
        env = {WORKSPACES_ENV: str(store.root.resolve()), MODELS_ENV: str(registry().root.resolve()),
               "STANCE_USER": body.annotator.strip(), "HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "1")}
        try:
            return runner.start(ws, command, export_file, body.annotator.strip(), env).to_dict()
        except RuntimeError as e:
            raise ServiceError(409, "busy", str(e)) from None

    @api.get("/{slug}/retrain")
    def retrain_status(slug: str) -> dict:
        """The running or latest retrain: progress while it runs, then the decision."""
        return runner.latest(open_ws(slug)) or {"state": "none"}

    @api.post("/{slug}/promote")
    def promote(slug: str, body: RegistryAction) -> dict:
        """Make a version current, with who and why in the registry log; the service reloads it."""
        open_ws(slug)
        if not body.version:
            raise ServiceError(422, "validation", "version: say which version to promote")
        try:
            return registry().promote(body.version, body.reason, who=body.annotator.strip())
        except RegistryError as e:
            raise ServiceError(409, "refused", str(e)) from None

    @api.post("/{slug}/rollback")
    def rollback(slug: str, body: RegistryAction) -> dict:
        """Point current back at the version the last promotion replaced, with who and why."""
        open_ws(slug)
        try:
            return registry().rollback(body.reason, who=body.annotator.strip())
        except RegistryError as e:
            raise ServiceError(409, "refused", str(e)) from None

    app.include_router(pages)
    app.include_router(api)
