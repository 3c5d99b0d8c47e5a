"""Standoff annotation records: load them, rebuild each statement's text from its corpus, check it.

A record never holds corpus text. It points into a document by offsets and carries a short
hash of the span, so a changed corpus or loader is caught with the record named, instead of
silently training on the wrong words. Record format: ``../shared/codebook.md``, plus
``span_hash``, ``kind``, ``speaker`` and ``annotator``.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from model.parties import canonical_party, is_canonical
from model.schema import CODEBOOK_VERSION, LABELS
from model.sentences import statement_context
from training.corpora import Corpus, open_corpus

ANNOTATIONS_DIR = Path(__file__).resolve().parents[1] / "data" / "annotations"
ANNOTATED_DOCUMENTS = ANNOTATIONS_DIR.parent / "annotated_documents.jsonl"
REQUIRED = ("corpus", "doc_id", "start", "end", "span_hash", "speaker", "speaker_party", "target_party", "label")
KINDS = ("direct", "reported")


class AnnotationError(ValueError):
    """A record that is malformed or no longer matches its corpus; the message names file and line."""


def span_hash(text: str) -> str:
    """12 hex digits of sha1 over the span with whitespace collapsed."""
    return hashlib.sha1(" ".join(text.split()).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Located:
    """Where a record came from, for error messages."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def read_jsonl(path: Path) -> Iterator[tuple[int, dict | None, str | None]]:
    """(line number, record or None, error or None) for each non-blank line."""
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                yield n, None, f"not valid JSON ({e.msg})"
                continue
            if not isinstance(obj, dict):
                yield n, None, "not a JSON object"
                continue
            yield n, obj, None


def record_problems(rec: dict, require_label: bool = True) -> list[str]:
    """Every schema problem in one record (not the offset check, which needs the corpus)."""
    problems = []
    for key in REQUIRED:
        if key == "label" and not require_label:
            continue
        if key not in rec:
            problems.append(f"missing field {key!r}")
    if require_label and "label" in rec and rec["label"] not in LABELS:
        problems.append(f"label {rec['label']!r} is not one of {list(LABELS)}")
    if "kind" in rec and rec["kind"] not in KINDS:
        problems.append(f"kind {rec['kind']!r} is not one of {list(KINDS)}")
    start, end = rec.get("start"), rec.get("end")
    if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
        problems.append(f"offsets start={start!r} end={end!r} are not 0 <= start < end integers")
    if "target_party" in rec and not str(rec.get("target_party") or "").strip():
        problems.append("target_party is empty")
    if rec.get("speaker_party") and rec.get("speaker_party") == rec.get("target_party"):
        problems.append("target_party equals speaker_party")
    for key in ("speaker_party", "target_party"):
        name = str(rec.get(key) or "").strip()
        if name and not is_canonical(name):
            hint = f"write {canonical_party(name)!r}" if canonical_party(name) != name else "add it to model/parties.py"
            problems.append(f"{key} {name!r} is not a known party's canonical name ({hint})")
    if "hard" in rec and not isinstance(rec["hard"], bool):
        problems.append("hard must be true or false")
    return problems


class CorpusCache:
    """Opens each corpus once; documents are looked up by ``(corpus, doc_id)``."""

    def __init__(self, root: str | Path | None = None):
        self.root = root
        self._open: dict[str, Corpus] = {}

    def text(self, corpus: str, doc_id: str) -> str:
        if corpus not in self._open:
            self._open[corpus] = open_corpus(corpus, self.root)
        return self._open[corpus].get(str(doc_id)).text

    def document(self, corpus: str, doc_id: str):
        self.text(corpus, doc_id)
        return self._open[corpus].get(str(doc_id))


def check_span(rec: dict, corpora: CorpusCache) -> str | None:
    """None if the record's offsets still point at the text it was made on, else why not."""
    try:
        text = corpora.text(rec["corpus"], rec["doc_id"])
    except (KeyError, FileNotFoundError) as e:
        return str(e).strip("'\"")
    if rec["end"] > len(text):
        return f"offsets {rec['start']}-{rec['end']} run past the end of the document ({len(text)} characters)"
    if span_hash(text[rec["start"]:rec["end"]]) != rec["span_hash"]:
        return f"span {rec['start']}-{rec['end']} of {rec['corpus']}/{rec['doc_id']} no longer matches its hash"
    return None


def with_statement_text(rec: dict, corpora: CorpusCache, require_label: bool = True) -> dict:
    """A standoff record plus its statement's ``text`` and ``context`` from the corpus, after checking it.

    This is what lets an annotated batch be scored or evaluated as it is (it holds offsets, not text).
    """
    problems = record_problems(rec, require_label) or ([p] if (p := check_span(rec, corpora)) else [])
    if problems:
        raise AnnotationError("; ".join(problems))
    doc_text = corpora.text(rec["corpus"], rec["doc_id"])
    return {**rec, "text": " ".join(doc_text[rec["start"]:rec["end"]].split()),
            "context": statement_context(doc_text, rec["start"], rec["end"])}


def is_standoff(obj: dict) -> bool:
    """A record that points into a corpus instead of holding its statement's text."""
    return "text" not in obj and all(k in obj for k in ("corpus", "doc_id", "start", "end", "span_hash"))


def load_annotations(paths: Iterable[Path] | None = None, corpora: CorpusCache | None = None) -> list[dict]:
    """All records from the given files (default: every ``data/annotations/*.jsonl``), with ``text`` rebuilt.

    Raises AnnotationError naming the file and line of the first bad record.
    """
    corpora = corpora or CorpusCache()
    files = sorted(paths) if paths is not None else sorted(ANNOTATIONS_DIR.glob("*.jsonl"))
    out = []
    for path in files:
        for n, rec, err in read_jsonl(path):
            where = Located(str(path), n)
            if err:
                raise AnnotationError(f"{where}: {err}")
            try:
                out.append({**with_statement_text(rec, corpora), "source": str(where)})
            except AnnotationError as e:
                raise AnnotationError(f"{where}: {e}") from None
    return out


def annotated_documents(path: Path = ANNOTATED_DOCUMENTS) -> list[tuple[str, str]]:
    """(corpus, doc_id) of every exhaustively annotated document, those with no statement included."""
    return [(r["corpus"], str(r["doc_id"])) for _, r, _ in read_jsonl(path) if r]


def record_key(rec: dict) -> tuple:
    """Identity of a statement: the same span in the same document toward the same party.

    Codebook version 2 asks for one record per party when one statement targets several
    ("we call on Armenia and Azerbaijan to ..."), so the target is part of the identity.
    """
    return rec["corpus"], str(rec["doc_id"]), rec["start"], rec["end"], rec.get("target_party") or ""


_QUOTE_CHARS = {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}


def _normalise_with_map(text: str) -> tuple[str, list[int]]:
    """Text with quotes straightened and whitespace collapsed, and a map back to original offsets."""
    out, index = [], []
    prev_space = False
    for i, ch in enumerate(text):
        ch = _QUOTE_CHARS.get(ch, ch)
        if ch.isspace():
            if prev_space:
                continue
            ch, prev_space = " ", True
        else:
            prev_space = False
        out.append(ch)
        index.append(i)
    return "".join(out), index


def locate_quote(doc_text: str, quote: str, occurrence: int = 1) -> tuple[int, int] | None:
    """Offsets of the ``occurrence``-th appearance of ``quote``, tolerant of quote style and spacing."""
    quote = quote.strip()
    positions = [m.start() for m in re.finditer(re.escape(quote), doc_text)]
    if len(positions) >= occurrence:
        s = positions[occurrence - 1]
        return s, s + len(quote)
    norm_doc, index = _normalise_with_map(doc_text)
    norm_q, _ = _normalise_with_map(quote)
    positions = [m.start() for m in re.finditer(re.escape(norm_q.strip(' "\'')), norm_doc)]
    if len(positions) < occurrence:
        return None
    s = positions[occurrence - 1]
    e = s + len(norm_q.strip(' "\''))
    return index[s], index[e - 1] + 1


def anchor_record(rec: dict, corpora: CorpusCache, annotator: str) -> dict:
    """A quote-anchored record (how annotators mark documents) turned into a standoff record."""
    text = corpora.text(rec["corpus"], rec["doc_id"])
    where = locate_quote(text, rec["quote"], int(rec.get("occurrence", 1)))
    if where is None:
        raise AnnotationError(f"quote not found in {rec['corpus']}/{rec['doc_id']}: {rec['quote'][:80]!r}")
    start, end = where
    out = {
        "corpus": rec["corpus"], "doc_id": str(rec["doc_id"]), "start": start, "end": end,
        "span_hash": span_hash(text[start:end]), "kind": rec.get("kind", "reported"),
        "speaker": rec.get("speaker", ""), "speaker_party": canonical_party(rec.get("speaker_party", "")),
        "target_party": canonical_party(rec.get("target_party", "")), "label": rec.get("label"),
        "hard": bool(rec.get("hard", False)), "annotator": rec.get("annotator", annotator), "codebook": CODEBOOK_VERSION,
    }
    return out
