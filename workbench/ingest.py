"""Articles into a workspace: parse pasted text and ``.txt`` / ``.jsonl`` / ``.csv`` files, extract, suggest.

Every refusal names the file (and line) and says why, and one bad file never stops the others:
the analyst sees which of the ten uploads went in and what to fix in the rest.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from model.extraction import ExtractorWeights, extractor_version
from model.schema import LABELS
from workbench.store import Article, Workspace, WorkspaceError

SUFFIXES = (".txt", ".jsonl", ".csv")
MAX_ARTICLE_CHARS = 200_000
"""The same bound as ``/v1/analyze`` (``Limits.max_article_chars``); the service passes its configured one."""

Scorer = Callable[[Sequence[dict]], np.ndarray]
"""Statements (text, parties, context) -> calibrated probabilities in ``LABELS`` order."""
Extractor = Callable[[str, int | None, ExtractorWeights | None], list]
"""Article text, year and the suggesting version's fitted extractor files (None: the package's) -> ``Statement``s;
the service passes its serialised one."""


def extract(text: str, year: int | None, weights: ExtractorWeights | None = None) -> list:
    from model.extraction import extract_statements

    return extract_statements(text, year=year, weights=weights)


@dataclass
class Incoming:
    """One article as parsed, before extraction."""

    doc_id: str
    title: str
    date: str
    source: str
    text: str


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def title_of(text: str, limit: int = 110) -> str:
    """The first line, cut at a word before ``limit`` characters (a wire story's first line is its first paragraph)."""
    line = text.strip().split("\n", 1)[0].strip() if text.strip() else ""
    return line if len(line) <= limit else line[:limit].rsplit(" ", 1)[0] + "\u2026"


def doc_id_for(name: str) -> str:
    return re.sub(r"[^\w.-]+", "-", name.strip()).strip("-")[:120] or "article"


def parse_file(name: str, content: str) -> tuple[list[Incoming], list[str]]:
    """The articles in one uploaded file, and a message for each part that could not be read."""
    suffix = Path(name).suffix.lower()
    if suffix == ".txt":
        text = _clean(content)
        return [Incoming(doc_id_for(Path(name).stem), title_of(text), "", name, text)], []
    if suffix not in (".jsonl", ".csv"):
        return [], [f"{name}: not a .txt, .jsonl or .csv file"]
    rows: list[tuple[str, dict | None, str | None]] = []
    if suffix == ".jsonl":
        for n, line in enumerate(_clean(content).split("\n"), 1):
            if line.strip():
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as e:
                    rows.append((f"{name}:{n}", None, f"not valid JSON ({e.msg})"))
                    continue
                rows.append((f"{name}:{n}", obj, None if isinstance(obj, dict) else "not a JSON object"))
    else:
        reader = csv.DictReader(io.StringIO(_clean(content)))
        if "text" not in (reader.fieldnames or []):
            return [], [f"{name}: the CSV header has no 'text' column (found {reader.fieldnames or 'nothing'})"]
        rows = [(f"{name}:{n}", row, None) for n, row in enumerate(reader, 2)]
    out, problems = [], []
    for where, obj, err in rows:
        if err is None and not isinstance(obj.get("text"), str):
            err = "no 'text' field holding the article"
        if err:
            problems.append(f"{where}: {err}")
            continue
        line_id = str(obj.get("id") or obj.get("doc_id") or f"{Path(name).stem}-{where.rsplit(':', 1)[1]}")
        text = _clean(obj["text"])
        out.append(Incoming(doc_id_for(line_id), str(obj.get("title") or title_of(text)),
                            str(obj.get("date") or ""), where, text))
    return out, problems


def folder_files(folder: Path) -> list[tuple[str, str]]:
    """(name, content) of the readable files in a server-side folder, in name order."""
    if not folder.is_dir():
        raise WorkspaceError(f"folder {folder} does not exist on the server")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise WorkspaceError(f"folder {folder} holds no .txt, .jsonl or .csv files")
    return [(p.name, p.read_bytes().decode("utf-8", "replace")) for p in files]


def year_of(date: str) -> int | None:
    m = re.match(r"(19|20)\d\d", date)
    return int(m.group(0)) if m else None


def suggested(text: str, date: str, scorer: Scorer | None, extractor: Extractor = extract,
              weights: ExtractorWeights | None = None) -> list[dict]:
    """The article's statements with the model's label and probabilities (none without a model)."""
    statements = [s.to_dict() for s in extractor(text, year_of(date), weights)]
    if statements and scorer is not None:
        probs = scorer([{k: s[k] for k in ("text", "speaker_party", "target_party", "context")} for s in statements])
        for s, p in zip(statements, probs):
            s["probs"] = {lab: round(float(v), 4) for lab, v in zip(LABELS, p)}
            s["label"] = LABELS[int(np.argmax(p))]
    return statements


def add_articles(workspace: Workspace, incoming: list[Incoming], scorer: Scorer | None, model_version: str | None,
                 max_chars: int = MAX_ARTICLE_CHARS, extractor: Extractor = extract,
                 weights: ExtractorWeights | None = None) -> tuple[list[Article], list[str]]:
    """Extract, suggest and store each article; refused ones come back as messages, the rest go in.
    ``weights`` are the suggesting version's fitted files, so a workspace records the extractor that really ran."""
    added, problems = [], []
    default_date = workspace.meta().get("start", "")
    for item in incoming:
        if not item.text.strip():
            problems.append(f"{item.source}: the article is empty")
        elif len(item.text) > max_chars:
            problems.append(f"{item.source}: the article has {len(item.text):,} characters; at most {max_chars:,}")
        elif "\x00" in item.text:
            problems.append(f"{item.source}: the text holds NUL bytes (is it a binary file?)")
        else:
            date = item.date or default_date
            try:
                statements = suggested(item.text, date, scorer, extractor, weights)
                added.append(workspace.add_article(item.doc_id, item.title, date, item.source, item.text,
                                                   extractor_version(weights), model_version, statements))
            except (WorkspaceError, ValueError) as e:
                problems.append(str(e) if str(e).startswith(item.source) else f"{item.source}: {e}")
    return added, problems
