"""Summit workspaces: one SQLite file each (WAL mode), holding articles, statements and every review.

A review is never updated in place: each action appends one row with the analyst's whole state
for that statement (label, speaker name, parties), and undo marks the latest row undone. So a
crash can lose at most the action whose save had not returned, never half of one, and the history
of who decided what, and when, stays in the file. Articles' text lives here, not in the repository; exported
standoff records name the workspace as their corpus (``workspace:<slug>``).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from model.registry import project_folder
from model.schema import LABELS
from model.timestamps import now

WORKSPACES_ENV = "STANCE_WORKSPACES"
CORPUS_PREFIX = "workspace:"
NOT_STATEMENT = "not_statement"
"""Codebook step 0: the span is not a statement of one party toward another."""
DECISIONS = (*LABELS, NOT_STATEMENT)
DECIDED_FIELDS = ("decision", "speaker", "speaker_party", "target_party")
"""What an analyst decides about a statement; two analysts agree when all of it is equal."""

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id INTEGER PRIMARY KEY, doc_id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, date TEXT NOT NULL,
    source TEXT NOT NULL, text TEXT NOT NULL, extractor TEXT NOT NULL, model_version TEXT, added TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS statements (
    id INTEGER PRIMARY KEY, article_id INTEGER NOT NULL REFERENCES articles(id), start INTEGER NOT NULL,
    end INTEGER NOT NULL, kind TEXT NOT NULL, speaker TEXT NOT NULL, speaker_party TEXT NOT NULL,
    target_party TEXT NOT NULL, cue TEXT NOT NULL, origin TEXT NOT NULL, suggestion TEXT, probs TEXT,
    margin REAL, removed INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY, statement_id INTEGER NOT NULL REFERENCES statements(id), annotator TEXT NOT NULL,
    at TEXT NOT NULL, action TEXT NOT NULL, decision TEXT, speaker_party TEXT NOT NULL, target_party TEXT NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0, speaker TEXT);
CREATE INDEX IF NOT EXISTS statements_by_article ON statements(article_id);
CREATE INDEX IF NOT EXISTS reviews_by_statement ON reviews(statement_id);
"""

ADDED_COLUMNS = {"reviews": {"speaker": "TEXT"}}
"""Columns added since workspaces were first made; a file without one gets it on opening (old rows read NULL).

``reviews.speaker`` NULL means the analyst kept the extractor's speaker name (every row before the column existed).
"""
MAX_SPEAKER_CHARS = 200

ARTICLE_SELECT = "SELECT id, doc_id, title, date, source, text, extractor, model_version FROM articles"


class WorkspaceError(ValueError):
    """A refused workspace action; the message says what to do instead."""


def workspaces_root(override: str | Path | None = None) -> Path:
    """Where workspace files live: an explicit folder, ``$STANCE_WORKSPACES``, or ``workspaces/`` in the project."""
    return project_folder(override, WORKSPACES_ENV, "workspaces")


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60]
    if not slug:
        raise WorkspaceError(f"name {name!r}: use at least one letter or digit")
    return slug


def speaker_name(value: str | None) -> str | None:
    """A speaker's name as typed, whitespace collapsed; "" is an unknown speaker, None keeps the previous one."""
    if value is None:
        return None
    name = " ".join(value.split())
    if len(name) > MAX_SPEAKER_CHARS:
        raise WorkspaceError(f"speaker: at most {MAX_SPEAKER_CHARS} characters (got {len(name)})")
    return name


def migrate(conn: sqlite3.Connection) -> None:
    """Add the columns of ``ADDED_COLUMNS`` a workspace file lacks, in place, in one write transaction."""
    def missing() -> list[tuple[str, str, str]]:
        out = []
        for table, columns in ADDED_COLUMNS.items():
            have = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
            out += [(table, col, ddl) for col, ddl in columns.items() if have and col not in have]
        return out

    if not missing():
        return
    conn.execute("BEGIN IMMEDIATE")  # another connection may be migrating the same file: look again under the lock
    for table, col, ddl in missing():
        conn.execute(f"ALTER TABLE {table} ADD COLUMN {col} {ddl}")
    conn.commit()


def party_name(value: str | None, field: str, required: bool) -> str | None:
    """A party as an analyst types it (name, alias, capital, acronym) in its canonical spelling; None stays None."""
    from model.parties import resolve_party

    if value is None:
        return None
    value = value.strip()
    if not value:
        if required:
            raise WorkspaceError(f"{field}: give a party")
        return ""
    resolved = resolve_party(value)
    if resolved is None:
        raise WorkspaceError(f"{field}: {value!r} is not a known state or organisation; type its name, capital or "
                             "acronym (e.g. EU, Beijing)")
    return resolved


@dataclass(frozen=True)
class Article:
    id: int
    doc_id: str
    title: str
    date: str
    source: str
    text: str
    extractor: str
    model_version: str | None


@dataclass
class Statement:
    """An extracted or added span, the model's suggestion, and every analyst's current decision on it."""

    id: int
    article_id: int
    doc_id: str
    start: int
    end: int
    kind: str
    speaker: str
    speaker_party: str
    target_party: str
    cue: str
    origin: str
    suggestion: str | None
    probs: dict | None
    margin: float | None
    reviews: dict[str, dict]
    """Annotator -> their latest decision: ``{decision, speaker, speaker_party, target_party, at}``."""
    adjudication: dict | None

    @property
    def confidence(self) -> float | None:
        return max(self.probs.values()) if self.probs else None

    def decided(self) -> dict[str, dict]:
        """The reviews that hold a decision (a party fixed alone is not one yet)."""
        return {who: r for who, r in self.reviews.items() if r["decision"]}

    def final(self) -> dict | None:
        """The decision that is exported: an adjudication, else what every deciding analyst agrees on, else None."""
        if self.adjudication:
            return self.adjudication
        decided = self.decided()
        states = {tuple(r[k] for k in DECIDED_FIELDS) for r in decided.values()}
        return next(iter(decided.values())) if len(states) == 1 else None

    def disputed(self) -> bool:
        return len(self.decided()) > 1 and self.final() is None


class Workspace:
    """One summit's SQLite file; every method opens its own short connection, so threads may share it."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.slug = self.path.stem

    @property
    def corpus(self) -> str:
        return CORPUS_PREFIX + self.slug

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection whose ``with`` block is one transaction, durable once it returns (WAL, synchronous=FULL)."""
        with closing(sqlite3.connect(self.path, timeout=30)) as conn:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            migrate(conn)
            with conn:
                yield conn

    # -- the workspace -------------------------------------------------------------------
    def meta(self) -> dict:
        with self.connect() as conn:
            return {r["key"]: json.loads(r["value"]) for r in conn.execute("SELECT key, value FROM meta")}

    def set_meta(self, **values) -> None:
        with self.connect() as conn:
            conn.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                             [(k, json.dumps(v)) for k, v in values.items()])

    # -- articles ------------------------------------------------------------------------
    def add_article(self, doc_id: str, title: str, date: str, source: str, text: str, extractor: str,
                    model_version: str | None, statements: list[dict]) -> Article:
        """Store an article with its extracted statements (each with the model's suggestion) in one transaction."""
        with self.connect() as conn:
            if conn.execute("SELECT 1 FROM articles WHERE doc_id = ?", (doc_id,)).fetchone():
                raise WorkspaceError(f"{source}: an article with id {doc_id!r} is already in {self.slug}")
            cur = conn.execute(
                "INSERT INTO articles (doc_id, title, date, source, text, extractor, model_version, added) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (doc_id, title, date, source, text, extractor, model_version, now()))
            article_id = cur.lastrowid
            for s in statements:
                self._insert_statement(conn, article_id, s, "extracted")
        return self.article(doc_id)

    @staticmethod
    def _insert_statement(conn: sqlite3.Connection, article_id: int, s: dict, origin: str) -> int:
        probs = s.get("probs")
        margin = None
        if probs:
            top = sorted(probs.values())
            margin = top[-1] - top[-2]
        cur = conn.execute(
            "INSERT INTO statements (article_id, start, end, kind, speaker, speaker_party, target_party, cue, origin, "
            "suggestion, probs, margin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (article_id, s["start"], s["end"], s.get("kind", "reported"), s.get("speaker", ""),
             s.get("speaker_party", ""), s.get("target_party", ""), s.get("cue", ""), origin,
             s.get("label"), json.dumps(probs) if probs else None, margin))
        return cur.lastrowid

    def articles(self) -> list[Article]:
        with self.connect() as conn:
            return [Article(**dict(r)) for r in conn.execute(f"{ARTICLE_SELECT} ORDER BY id")]

    def article(self, doc_id: str) -> Article:
        with self.connect() as conn:
            row = conn.execute(f"{ARTICLE_SELECT} WHERE doc_id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(f"{self.slug}: no article {doc_id!r}")
        return Article(**dict(row))

    # -- statements and reviews ------------------------------------------------------------
    def statements(self, doc_id: str | None = None) -> list[Statement]:
        """Live statements (of one article, or all) in text order, each with every analyst's current decision."""
        where, args = ("AND a.doc_id = ?", (doc_id,)) if doc_id is not None else ("", ())
        with self.connect() as conn:
            rows = conn.execute(
                "SELECT s.*, a.doc_id FROM statements s JOIN articles a ON a.id = s.article_id "
                f"WHERE s.removed = 0 {where} ORDER BY a.id, s.start, s.end, s.id", args).fetchall()
            reviews = conn.execute(
                "SELECT r.* FROM reviews r JOIN statements s ON s.id = r.statement_id JOIN articles a "
                f"ON a.id = s.article_id WHERE r.undone = 0 AND s.removed = 0 {where} ORDER BY r.id", args).fetchall()
        speakers = {r["id"]: r["speaker"] for r in rows}
        latest: dict[int, dict[str, dict]] = {}
        adjudicated: dict[int, dict] = {}
        for r in reviews:
            speaker = r["speaker"] if r["speaker"] is not None else speakers[r["statement_id"]]
            state = {"decision": r["decision"], "speaker": speaker, "speaker_party": r["speaker_party"],
                     "target_party": r["target_party"], "at": r["at"], "annotator": r["annotator"]}
            if r["action"] == "adjudicate":
                adjudicated[r["statement_id"]] = state
            else:
                latest.setdefault(r["statement_id"], {})[r["annotator"]] = state
        return [Statement(
            id=r["id"], article_id=r["article_id"], doc_id=r["doc_id"], start=r["start"], end=r["end"], kind=r["kind"],
            speaker=r["speaker"], speaker_party=r["speaker_party"], target_party=r["target_party"], cue=r["cue"],
            origin=r["origin"], suggestion=r["suggestion"], probs=json.loads(r["probs"]) if r["probs"] else None,
            margin=r["margin"], reviews=latest.get(r["id"], {}), adjudication=adjudicated.get(r["id"]))
            for r in rows]

    def statement(self, statement_id: int) -> Statement:
        with self.connect() as conn:
            row = conn.execute("SELECT a.doc_id FROM statements s JOIN articles a ON a.id = s.article_id "
                               "WHERE s.id = ? AND s.removed = 0", (statement_id,)).fetchone()
        if row is None:
            raise KeyError(f"{self.slug}: no statement {statement_id}")
        return next(s for s in self.statements(row["doc_id"]) if s.id == statement_id)

    def review(self, statement_id: int, annotator: str, decision: str | None = None, speaker_party: str | None = None,
               target_party: str | None = None, action: str = "review", speaker: str | None = None) -> Statement:
        """Record one analyst's decision; what is not given keeps their previous value (or the extractor's)."""
        if decision is not None and decision not in DECISIONS:
            raise WorkspaceError(f"decision {decision!r} is not one of {list(DECISIONS)}")
        current = self.statement(statement_id)
        before = current.adjudication if action == "adjudicate" else current.reviews.get(annotator)
        before = before or {"decision": None, "speaker": current.speaker, "speaker_party": current.speaker_party,
                            "target_party": current.target_party}
        speaker = speaker_name(speaker)
        state = {"decision": decision if decision is not None else before["decision"],
                 "speaker": before["speaker"] if speaker is None else speaker,
                 "speaker_party": before["speaker_party"] if speaker_party is None else speaker_party,
                 "target_party": before["target_party"] if target_party is None else target_party}
        if state["decision"] != NOT_STATEMENT and state["speaker_party"] and \
                state["speaker_party"] == state["target_party"]:
            raise WorkspaceError(f"speaker party and target party are both {state['speaker_party']!r}")
        with self.connect() as conn:
            self._insert_review(conn, statement_id, annotator, action, state)
        return self.statement(statement_id)

    @staticmethod
    def _insert_review(conn: sqlite3.Connection, statement_id: int, annotator: str, action: str, state: dict) -> None:
        conn.execute("INSERT INTO reviews (statement_id, annotator, at, action, decision, speaker, speaker_party, "
                     "target_party) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (statement_id, annotator, now(), action, state["decision"], state["speaker"],
                      state["speaker_party"], state["target_party"]))

    def add_statement(self, doc_id: str, annotator: str, start: int, end: int, speaker: str, speaker_party: str,
                      target_party: str, decision: str, kind: str = "reported") -> Statement:
        """A statement the extractor missed, marked by the analyst, with their decision, in one transaction."""
        article = self.article(doc_id)
        speaker = speaker_name(speaker) or ""
        if not (0 <= start < end <= len(article.text)) or not article.text[start:end].strip():
            raise WorkspaceError(f"selection {start}-{end} is not a stretch of text in {doc_id!r}")
        if decision not in LABELS:
            raise WorkspaceError(f"label {decision!r} is not one of {list(LABELS)}")
        if speaker_party and speaker_party == target_party:
            raise WorkspaceError(f"speaker party and target party are both {speaker_party!r}")
        with self.connect() as conn:
            statement_id = self._insert_statement(conn, article.id, {
                "start": start, "end": end, "kind": kind, "speaker": speaker, "speaker_party": speaker_party,
                "target_party": target_party}, "added")
            self._insert_review(conn, statement_id, annotator, "add", {
                "decision": decision, "speaker": speaker, "speaker_party": speaker_party, "target_party": target_party})
        return self.statement(statement_id)

    def undo(self, annotator: str) -> int | None:
        """Take back the analyst's latest action (an added statement goes with it); the statement id, or None."""
        with self.connect() as conn:
            row = conn.execute("SELECT id, statement_id, action FROM reviews WHERE annotator = ? AND undone = 0 "
                               "ORDER BY id DESC LIMIT 1", (annotator,)).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE reviews SET undone = 1 WHERE id = ?", (row["id"],))
            if row["action"] == "add":
                conn.execute("UPDATE statements SET removed = 1 WHERE id = ?", (row["statement_id"],))
        return row["statement_id"]

    def annotators(self) -> list[str]:
        with self.connect() as conn:
            return [r[0] for r in conn.execute("SELECT DISTINCT annotator FROM reviews WHERE undone = 0 AND "
                                               "action != 'adjudicate' ORDER BY annotator")]

    def history(self, limit: int = 20) -> list[dict]:
        """The latest review actions, newest first (who did what, and when)."""
        with self.connect() as conn:
            return [dict(r) for r in conn.execute("SELECT * FROM reviews ORDER BY id DESC LIMIT ?", (limit,))]


class Workspaces:
    """The data folder: one ``<slug>.sqlite`` per summit."""

    def __init__(self, root: str | Path | None = None):
        self.root = workspaces_root(root)

    def path(self, slug: str) -> Path:
        return self.root / f"{slug}.sqlite"

    def names(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.sqlite")) if self.root.is_dir() else []

    def get(self, slug: str) -> Workspace:
        path = self.path(slug)
        if not re.fullmatch(r"[a-z0-9-]+", slug) or not path.is_file():
            raise KeyError(f"no summit workspace {slug!r} in {self.root}")
        return Workspace(path)

    def create(self, name: str, parties: list[str], start: str = "", end: str = "") -> Workspace:
        slug = slugify(name)
        path = self.path(slug)
        if path.exists():
            raise WorkspaceError(f"a summit workspace {slug!r} already exists in {self.root}")
        canonical = [party_name(p, "parties", True) for p in parties if p.strip()]
        for label, day in (("start", start), ("end", end)):
            if day and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise WorkspaceError(f"{label} date {day!r}: write it as YYYY-MM-DD")
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".creating")
        tmp.unlink(missing_ok=True)
        workspace = Workspace(tmp)
        with workspace.connect() as conn:
            conn.executescript(SCHEMA)
        workspace.set_meta(name=name, parties=canonical, start=start, end=end, created=now())
        with closing(sqlite3.connect(tmp)) as conn:  # fold the WAL in, so the rename moves one whole file
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            conn.execute("PRAGMA journal_mode=DELETE")
        os.replace(tmp, path)
        return Workspace(path)
