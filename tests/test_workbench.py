"""The workbench without a browser: workspace files, ingest errors, queue, agreement, export, summary, the
``stance summit`` commands, a workspace surviving a restart and a kill -9 in the middle of saving, an older
workspace file migrated in place, a speaker's name corrected and each analyst's own progress over HTTP; and
the CLI path for a new summit that the workbench issue mended."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
from contextlib import closing

import httpx
import numpy as np
import pytest

from conftest import REPO, publish_strict_filter, run_stance
from model.schema import LABELS
from service.process import stance_server
from training.annotations import CorpusCache, check_span, record_problems
from training.retrain import NEW_HELDOUT_SHARE
from workbench.agreement import agreement
from workbench.export import export_records
from workbench.ingest import Incoming, add_articles, parse_file
from workbench.review_queue import EVAL_SHARE, annotator_progress, in_eval_slice, progress, queue
from workbench.store import Workspace, WorkspaceError, Workspaces
from workbench.summary import share_chart, summarise, summary_csv
from workbench.views import statement_view

ARTICLE = ("Brussels follow-up\n\n\u201cWe are ready to deepen our cooperation with China on climate,\u201d EU trade "
           "commissioner Valdis Dombrovskis said.\n\nChinese foreign ministry spokesperson Wang Wenbin said China "
           "firmly opposes the EU's protectionist investigation and urged Brussels to correct its mistakes.\n")


def fake_scorer(items) -> np.ndarray:
    """Probabilities that grow less certain item by item, so the queue order is known."""
    return np.array([[0.9 - 0.2 * i, 0.05 + 0.1 * i, 0.05 + 0.1 * i] for i in range(len(items))])


@pytest.fixture()
def workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_WORKSPACES", str(tmp_path))
    ws = Workspaces(tmp_path).create("Follow-up talks", ["EU", "Beijing"], "2023-12-12")
    added, problems = add_articles(ws, [Incoming("follow-up", "Follow-up", "", "follow-up.txt", ARTICLE)],
                                   fake_scorer, "fake-1")
    assert len(added) == 1 and not problems
    return ws


def test_workspace_is_one_sqlite_file_in_wal_mode_with_canonical_parties(workspace, tmp_path):
    assert [p.name for p in tmp_path.glob("*.sqlite")] == ["follow-up-talks.sqlite"]
    with sqlite3.connect(workspace.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert workspace.meta()["parties"] == ["European Union", "China"]
    article = workspace.article("follow-up")
    assert article.model_version == "fake-1" and article.extractor.startswith("extract-")
    with pytest.raises(WorkspaceError, match="already exists"):
        Workspaces(tmp_path).create("follow-up talks!", [])
    with pytest.raises(WorkspaceError, match="'Frobnia' is not a known state"):
        Workspaces(tmp_path).create("Other", ["Frobnia"])


def test_review_undo_and_added_statement(workspace):
    first, second = workspace.statements()
    workspace.review(first.id, "ana", "confrontational")
    workspace.review(first.id, "ana", target_party="United States")       # parties keep the label
    s = workspace.statement(first.id)
    assert s.reviews["ana"]["decision"] == "confrontational" and s.reviews["ana"]["target_party"] == "United States"
    assert workspace.undo("ana") == first.id
    assert workspace.statement(first.id).reviews["ana"]["target_party"] == first.target_party
    added = workspace.add_statement("follow-up", "ana", ARTICLE.index("China firmly"), ARTICLE.index(" and urged"),
                                    "Wang Wenbin", "China", "European Union", "confrontational")
    assert added.origin == "added" and len(workspace.statements()) == 3
    assert workspace.undo("ana") == added.id and len(workspace.statements()) == 2     # undo removes the addition
    with pytest.raises(WorkspaceError, match="not a stretch of text"):
        workspace.add_statement("follow-up", "ana", 5, 5000, "", "", "China", "cooperative")
    with pytest.raises(WorkspaceError, match="both 'China'"):
        workspace.review(second.id, "ana", "cooperative", "China", "China")
    assert workspace.undo("nobody") is None


def test_review_corrects_the_speaker_name_exported_and_undone(workspace):
    first, second = workspace.statements()
    extracted = first.speaker
    workspace.review(first.id, "ana", "cooperative")
    workspace.review(first.id, "ana", speaker="  Vladimir\n Putin ")            # a name alone keeps the label
    mine = workspace.statement(first.id).reviews["ana"]
    assert (mine["decision"], mine["speaker"]) == ("cooperative", "Vladimir Putin")
    view = statement_view(workspace.statement(first.id), "ana", hidden=False)
    assert (view["speaker"], view["extracted_speaker"]) == ("Vladimir Putin", extracted)
    assert statement_view(workspace.statement(first.id), "ben", hidden=False)["speaker"] == extracted
    assert [r["speaker"] for r in export_records(workspace)[0]] == ["Vladimir Putin"]
    workspace.review(first.id, "ana", "conditional")                              # a label alone keeps the name
    assert workspace.statement(first.id).reviews["ana"]["speaker"] == "Vladimir Putin"
    assert workspace.undo("ana") == first.id and workspace.undo("ana") == first.id    # the label, then the name
    mine = workspace.statement(first.id).reviews["ana"]
    assert (mine["decision"], mine["speaker"]) == ("cooperative", extracted)
    assert [r["speaker"] for r in export_records(workspace)[0]] == [extracted]
    with pytest.raises(WorkspaceError, match="speaker: at most 200 characters"):
        workspace.review(first.id, "ana", speaker="x" * 201)

    assert second.speaker == "Wang Wenbin"
    workspace.review(second.id, "ana", "confrontational", speaker="Zhao Lijian")   # same label, another speaker:
    workspace.review(second.id, "ben", "confrontational")                          # not settled, not exported
    assert workspace.statement(second.id).disputed()
    assert [s.id for s in agreement(workspace.statements(), "ana", "ben")["disagreements"]] == [second.id]
    assert f"statement {second.id} (follow-up): analysts disagree; adjudicate it" in export_records(workspace)[1]
    workspace.review(second.id, "cleo", "confrontational", speaker="Zhao Lijian", action="adjudicate")
    assert {r["speaker"] for r in export_records(workspace)[0]} == {extracted, "Zhao Lijian"}


def test_workspace_file_without_the_speaker_column_is_migrated_in_place(workspace):
    """A file from before reviews had a speaker (made here by dropping the column) opens, keeps every row, and
    gains the column once, even when several connections open it at the same time."""
    first, second = workspace.statements()
    workspace.review(first.id, "ana", "conditional", target_party="United States")
    workspace.review(second.id, "ben", "not_statement")
    workspace.review(second.id, "ben", "confrontational")
    workspace.undo("ben")
    with closing(sqlite3.connect(workspace.path)) as conn:
        conn.execute("ALTER TABLE reviews DROP COLUMN speaker")
        conn.commit()
        old_rows = conn.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    assert len(old_rows) == 3 and len(old_rows[0]) == 9

    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            Workspace(workspace.path).statements()
        except BaseException as e:  # noqa: BLE001 - any failure of a concurrent opening fails the test below
            errors.append(e)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with closing(sqlite3.connect(workspace.path)) as conn:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(reviews)")]
        kept = conn.execute(f"SELECT {', '.join(columns[:9])}, speaker FROM reviews ORDER BY id").fetchall()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert columns.count("speaker") == 1
    assert [row[:9] for row in kept] == old_rows and {row[9] for row in kept} == {None}   # no row lost or changed
    reviews = {s.id: s.reviews for s in workspace.statements()}
    assert reviews[first.id]["ana"]["speaker"] == first.speaker            # an old row: the extractor's speaker
    assert reviews[second.id]["ben"]["decision"] == "not_statement"        # the undone row stays undone
    workspace.review(first.id, "ana", speaker="Joe Biden")
    assert export_records(workspace)[0][0]["speaker"] == "Joe Biden"


def test_uploads_are_refused_one_by_one_with_file_line_and_reason(workspace):
    parsed, problems = parse_file("wire.jsonl", '{"id": "a", "text": "Hello.", "date": "2023-12-13"}\nnot json\n[1]\n'
                                                '{"title": "no text"}\n')
    assert [p.doc_id for p in parsed] == ["a"] and parsed[0].date == "2023-12-13"
    assert problems == ["wire.jsonl:2: not valid JSON (Expecting value)", "wire.jsonl:3: not a JSON object",
                        "wire.jsonl:4: no 'text' field holding the article"]
    assert parse_file("scan.pdf", "x")[1] == ["scan.pdf: not a .txt, .jsonl or .csv file"]
    rows, problems = parse_file("wire.csv", "id,title,text\nb,B,Some text.\n")
    assert rows[0].doc_id == "b" and not problems
    big = Incoming("big", "Big", "", "big.txt", "x" * 401)
    again = Incoming("follow-up", "Again", "", "again.txt", ARTICLE)
    added, refused = add_articles(workspace, [big, again], None, None, max_chars=400)
    assert not added
    assert refused == ["big.txt: the article has 401 characters; at most 400",
                       "again.txt: an article with id 'follow-up' is already in follow-up-talks"]


def test_queue_least_certain_first_and_evaluation_slice_like_retrain(workspace):
    assert EVAL_SHARE == NEW_HELDOUT_SHARE                 # the slice is what retrain holds out
    statements = workspace.statements()
    order = [item["statement"].id for item in queue(workspace, "ana")]
    by_margin = sorted(statements, key=lambda s: s.margin)
    assert order == [s.id for s in by_margin] or in_eval_slice(workspace, "follow-up")
    workspace.review(order[0], "ana", "cooperative")
    assert [i["statement"].id for i in queue(workspace, "ana")] == order[1:]
    assert len(queue(workspace, "ben")) == len(order)
    statements = workspace.statements()
    assert progress(statements)["reviewed"] == 1                       # the workspace: anyone's decisions
    assert annotator_progress(statements, "ana") == {"annotator": "ana", "total": 2, "reviewed": 1, "share": 0.5}
    assert annotator_progress(statements, "ben")["reviewed"] == 0        # ben has all of his queue ahead


def test_agreement_adjudication_and_export(workspace, tmp_path):
    a, b = workspace.statements()
    for who, labels in (("ana", ("cooperative", "confrontational")), ("ben", ("cooperative", "conditional"))):
        workspace.review(a.id, who, labels[0])
        workspace.review(b.id, who, labels[1])
        if who == "ana":                      # ben, not yet decided, sees neither ana's labels nor a dispute
            unseen = statement_view(workspace.statement(b.id), "ben", hidden=False)
            assert unseen["final"] is None and unseen["decision"] is None and not unseen["disputed"]
    assert statement_view(workspace.statement(b.id), "ben", hidden=False)["disputed"]
    report = agreement(workspace.statements(), "ana", "ben")
    assert report["n"] == 2 and report["kappa"] == pytest.approx(1 / 3, abs=1e-3)
    assert [s.id for s in report["disagreements"]] == [b.id]
    records, skipped = export_records(workspace)
    assert len(records) == 1 and skipped == [f"statement {b.id} (follow-up): analysts disagree; adjudicate it"]
    workspace.review(b.id, "cleo", "confrontational", action="adjudicate")
    records, skipped = export_records(workspace)
    assert [r["label"] for r in records] == ["cooperative", "confrontational"] and not skipped
    assert [r["annotator"] for r in records] == ["ana,ben", "cleo"]
    cache = CorpusCache()
    for r in records:                                     # valid codebook-2 standoff records, text from the workspace
        assert r["codebook"] == 2 and r["corpus"] == "workspace:follow-up-talks"
        assert not record_problems(r) and check_span(r, cache) is None
    workspace.review(a.id, "ana", "not_statement")
    workspace.review(a.id, "ben", "not_statement")
    assert [r["label"] for r in export_records(workspace)[0]] == ["confrontational"]


def test_summary_rows_chart_and_csv(workspace):
    a, b = workspace.statements()
    workspace.review(b.id, "ana", "confrontational")
    summary = summarise(workspace.statements(), {"follow-up": "2023-12-12"})
    rows = {(r["speaker_party"], r["target_party"]): r for r in summary["dyads"]}
    assert rows[("China", "European Union")]["counts"]["confrontational"] == 1
    assert rows[("China", "European Union")]["reviewed"] == 1
    assert sum(r["total"] for r in summary["dyads"]) == 2 and summary["dates"] == []   # one date: no time chart
    svg = share_chart(summary["dyads"], ["x"] * len(summary["dyads"]), "t")
    assert svg.startswith("<svg") and 'role="img"' in svg
    csv = summary_csv(summary).splitlines()
    assert csv[0] == "row,speaker_party,target_party,date," + ",".join(LABELS) + ",total,reviewed"
    assert len(csv) == 1 + len(summary["dyads"])


@pytest.mark.slow
def test_summit_commands_script_a_workspace(tmp_path, seed_article, tiny_model_dir):
    env = {"STANCE_WORKSPACES": str(tmp_path)}
    run_stance("summit", "new", "EU-China 2023", "--party", "EU,China", "--start", "2023-12-07", env=env)
    out = run_stance("summit", "add", "eu-china-2023", str(seed_article), "--models", str(tiny_model_dir), env=env)
    assert "added eu-china-summit-2023:" in out.stdout
    shown = json.loads(run_stance("summit", "show", "eu-china-2023", "--json", env=env).stdout)
    assert shown and all(s["suggestion"] in LABELS for s in shown)
    out = run_stance("summit", "label", "eu-china-2023", str(shown[0]["id"]), "conditional", "--annotator", "ana",
                     "--target-party", "Brussels", "--speaker", "Charles Michel", env=env)
    assert "conditional (Charles Michel, " in out.stdout
    bad = run_stance("summit", "label", "eu-china-2023", str(shown[1]["id"]), "cooperative", "--annotator", "ana",
                     "--target-party", "Frobnia", env=env, check=False)
    assert bad.returncode == 1 and "'Frobnia' is not a known state" in bad.stderr
    out_file = tmp_path / "export.jsonl"
    run_stance("summit", "export", "eu-china-2023", "-o", str(out_file), env=env)
    records = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert [(r["label"], r["speaker"], r["target_party"], r["codebook"]) for r in records] == \
        [("conditional", "Charles Michel", "European Union", 2)]
    assert run_stance("annotate", "check", str(out_file), env=env).stdout.strip().endswith(": ok")
    assert "reviewed" in run_stance("summit", "list", env=env).stdout


@pytest.mark.slow
def test_workspace_survives_restart_and_kill_9_during_saves(tiny_model_dir, tmp_path):
    """Reviews saved as fast as the server takes them; kill -9 mid-stream: every acknowledged one is there, whole."""
    env = {"STANCE_WORKSPACES": str(tmp_path)}
    with stance_server(tiny_model_dir, "onnx", env=env) as server:
        client = httpx.Client(base_url=server.base_url, timeout=30)
        client.post("/v1/summits", json={"name": "Kill test", "parties": ["EU", "China"]}).raise_for_status()
        client.post("/v1/summits/kill-test/articles", json={"text": ARTICLE, "title": "follow-up"}).raise_for_status()
        ids = [s["id"] for s in client.get("/v1/summits/kill-test/articles/follow-up").json()["statements"]]
        acknowledged: list[tuple[int, str]] = []
        stop = threading.Event()

        def save_reviews() -> None:
            n = 0
            while not stop.is_set():
                label = LABELS[n % 3]
                try:
                    r = client.post(f"/v1/summits/kill-test/statements/{ids[n % len(ids)]}/review",
                                    json={"annotator": f"a{n}", "decision": label})
                except httpx.TransportError:
                    return
                if r.status_code == 200:
                    acknowledged.append((n, label))
                n += 1

        saver = threading.Thread(target=save_reviews)
        saver.start()
        while len(acknowledged) < 40:
            threading.Event().wait(0.02)
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
        stop.set()
        saver.join()
    path = tmp_path / "kill-test.sqlite"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        saved = conn.execute("SELECT annotator, decision, speaker_party, target_party, at FROM reviews").fetchall()
    assert all(all(v is not None for v in row) for row in saved)               # no half-written review
    by_annotator = {row[0]: row[1] for row in saved}
    assert all(by_annotator.get(f"a{n}") == label for n, label in acknowledged)  # nothing acknowledged is lost
    assert len(saved) <= len(acknowledged) + 1                                   # at most the one in flight

    with stance_server(tiny_model_dir, "onnx", env=env) as server:               # and it opens after a restart
        statements = httpx.get(f"{server.base_url}/v1/summits/kill-test/articles/follow-up?annotator=a0").json()
    assert statements["statements"][0]["decision"] == LABELS[0]


@pytest.mark.slow
def test_speaker_correction_and_own_progress_over_http(tiny_model_dir, tmp_path):
    """What the two analysts hit on a real summit, through a real server: the review takes a speaker name (it
    answered 422), and the queue says how far this analyst is, not only the workspace."""
    with stance_server(tiny_model_dir, "onnx", env={"STANCE_WORKSPACES": str(tmp_path)}) as server:
        client = httpx.Client(base_url=server.base_url, timeout=30)
        client.post("/v1/summits", json={"name": "Speaker test", "parties": ["EU", "China"]}).raise_for_status()
        client.post("/v1/summits/speaker-test/articles",
                    json={"text": ARTICLE, "title": "follow-up"}).raise_for_status()
        first, second = client.get("/v1/summits/speaker-test/articles/follow-up").json()["statements"]
        url = f"/v1/summits/speaker-test/statements/{first['id']}/review"

        r = client.post(url, json={"annotator": "ana", "speaker": "Vladimir Putin", "decision": "cooperative"})
        assert r.status_code == 200, r.text
        assert (r.json()["speaker"], r.json()["extracted_speaker"]) == ("Vladimir Putin", first["speaker"])
        seen = {s["id"]: s for s in client.get("/v1/summits/speaker-test/articles/follow-up?annotator=ana")
                .json()["statements"]}
        assert seen[first["id"]]["speaker"] == "Vladimir Putin"
        export = client.get("/v1/summits/speaker-test/export?format=json").json()["records"]
        assert [r["speaker"] for r in export] == ["Vladimir Putin"]
        too_long = client.post(url, json={"annotator": "ana", "speaker": "x" * 201})
        assert too_long.status_code == 422 and "speaker: at most 200" in too_long.json()["error"]["message"]

        for who, mine, queued in (("ana", 1, 1), ("ben", 0, 2)):
            q = client.get(f"/v1/summits/speaker-test/queue?annotator={who}").json()
            assert q["annotator_progress"] == {"annotator": who, "total": 2, "reviewed": mine, "share": mine / 2}
            assert q["progress"]["reviewed"] == 1 and q["queued"] == queued          # the workspace: anyone
        client.cookies.set("stance_analyst", "ben")                                  # the page, drawn for ben
        page = client.get("/summits/speaker-test/queue").text
        assert "You (ben): <strong>0</strong> of 2" in page
        assert "<strong>1</strong> of 2 statements reviewed by anyone" in page

        client.cookies.set("stance_analyst", "ana")
        review_page = client.get("/summits/speaker-test/articles/follow-up").text
        assert 'data-field="speaker" list="speakers" value="Vladimir Putin"' in review_page
        assert "<kbd>s</kbd></dt><dd>edit the speaker&#39;s name" in review_page
        assert "a wrong span (spans are not edited): mark it not a statement" in review_page

        assert client.post("/v1/summits/speaker-test/undo", json={"annotator": "ana"}).json() == {"undone": first["id"]}
        seen = client.get("/v1/summits/speaker-test/articles/follow-up?annotator=ana").json()["statements"]
        assert seen[0]["speaker"] == first["speaker"] and seen[0]["decision"] is None


def test_cli_path_for_a_new_summit_folder(tmp_path):
    """`annotate new` on a folder (document id = file name) writes codebook 2; a second target of one statement
    is a record of its own, not a duplicate; an unknown party is refused."""
    folder = tmp_path / "summit"
    folder.mkdir()
    (folder / "follow-up.txt").write_text(ARTICLE)
    batch = tmp_path / "batch.jsonl"
    run_stance("annotate", "new", "--corpus", str(folder), "--docs", "follow-up", "-o", str(batch))
    records = [json.loads(line) for line in batch.read_text().splitlines()]
    assert records and {r["codebook"] for r in records} == {2} and {r["doc_id"] for r in records} == {"follow-up"}
    first = {**records[0], "label": "cooperative"}
    second_target = {**first, "target_party": "United States", "label": "conditional"}
    batch.write_text("".join(json.dumps(r) + "\n" for r in (first, second_target)))
    assert run_stance("annotate", "check", str(batch)).stdout.strip().endswith(": ok")
    batch.write_text(json.dumps({**first, "target_party": "Frobnia"}) + "\n")
    refused = run_stance("annotate", "check", str(batch), check=False)
    assert refused.returncode == 1 and "'Frobnia' is not a known party" in refused.stdout


@pytest.mark.slow
def test_annotated_batch_scores_and_evaluates_as_it_is(tiny_model_dir, tmp_path):
    batch = REPO / "data" / "annotations" / "seed-codebook-examples.jsonl"
    out = tmp_path / "scored.jsonl"
    run_stance("score", str(batch), "-o", str(out), "--models", str(tiny_model_dir), "--no-progress")
    scored = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(scored) == 20 and all(r["label"] in LABELS and r["text"] for r in scored)
    metrics = json.loads(run_stance("eval", "model", "--data", str(batch), "--models", str(tiny_model_dir),
                                    "--bootstrap", "10").stdout)
    assert metrics["n"] == 20


@pytest.mark.slow
def test_articles_are_extracted_with_the_suggesting_versions_filter(tmp_path, seed_article, models_copy):
    """The relevance filter travels with the model version: a workspace extracts with the one it suggests with,
    and records that extractor, not the package default."""
    from model.extraction import extractor_version
    from model.registry import Registry

    registry = Registry(models_copy)
    version = publish_strict_filter(models_copy, tmp_path)
    env = {"STANCE_WORKSPACES": str(tmp_path / "ws")}
    run_stance("summit", "new", "Strict", "--party", "EU,China", env=env)
    for name, expected in (("tiny-1", registry.get("tiny-1")), ("tiny-strict", version)):
        article_file = tmp_path / f"{name}.txt"
        article_file.write_bytes(seed_article.read_bytes())
        out = run_stance("summit", "add", "strict", str(article_file), "--model", name,
                         "--models", str(models_copy), env=env, check=False).stdout
        ws = Workspaces(tmp_path / "ws").get("strict")
        article = next(a for a in ws.articles() if a.doc_id == name)
        assert article.extractor == extractor_version(expected.extractor_weights), out
        assert bool(ws.statements(article.doc_id)) == (name == "tiny-1")
