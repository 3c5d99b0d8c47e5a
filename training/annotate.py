"""The annotation workflow: candidates to label, checking a filled batch, filing it, and agreement.

A batch is a JSONL file of standoff records (see ``training/annotations.py``). Candidates
carry extra read-only context fields (``context_before``, ``statement``, ``context_after``,
``title``, ``date``) so an annotator can label without opening the corpus; ``add`` strips
them again, so no corpus text is ever filed into ``data/annotations/``.
"""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Iterable

from model.extraction import extract_statements
from model.extraction.speech import speech_addressee
from model.schema import CODEBOOK_VERSION, LABELS
from training.annotations import (
    ANNOTATIONS_DIR, AnnotationError, CorpusCache, check_span, read_jsonl, record_key, record_problems, span_hash,
)
from training.corpora import Document

CONTEXT_FIELDS = ("context_before", "statement", "context_after", "title", "date", "candidate_id")
STANDOFF_FIELDS = ("corpus", "doc_id", "start", "end", "span_hash", "kind", "speaker", "speaker_party",
                   "target_party", "label", "hard", "annotator", "codebook")


REUTERS_YEAR = 1987
"""The Reuters-21578 wire copy's year, for documents whose date does not parse."""


def document_year(doc: Document) -> int | None:
    m = re.search(r"(19|20)\d\d", doc.date or "")
    return int(m.group(0)) if m else None


def extraction_args(doc) -> dict:
    """What the extractor needs beside the text: the document's own year, for a speech or an address
    (UN debates, Ukrainian addresses) the party speaking and the party its title says it addresses, and
    otherwise where it was published."""
    args = {"year": document_year(doc) or (REUTERS_YEAR if doc.corpus == "reuters21578" else None)}
    if doc.meta.get("speaker_party"):
        args["speaker_party"] = doc.meta["speaker_party"]
        args["addressee"] = speech_addressee(doc.text, doc.meta["speaker_party"], args["year"], doc.title)
    elif doc.meta.get("url"):
        args["source"] = doc.meta["url"]
    return args


def statements_of(doc: Document):
    """Extraction the way each corpus needs it: speeches speak for the file's country."""
    return extract_statements(doc.text, **extraction_args(doc))


def _neighbour_sentences(text: str, start: int, end: int, width: int = 300) -> tuple[str, str]:
    before = text[max(0, start - width):start]
    after = text[end:end + width]
    before = re.split(r"(?<=[.!?])\s+", before)[-2:] if before else []
    after = re.split(r"(?<=[.!?])\s+", after)[:2] if after else []
    return " ".join(" ".join(before).split()), " ".join(" ".join(after).split())


def with_context(rec: dict, doc: Document) -> dict:
    """A record plus the text an annotator needs to judge it (never filed)."""
    before, after = _neighbour_sentences(doc.text, rec["start"], rec["end"])
    return {**rec, "context_before": before, "statement": " ".join(doc.text[rec["start"]:rec["end"]].split()),
            "context_after": after, "title": doc.title, "date": doc.date}


def new_candidates(corpus_name: str, doc_ids: Iterable[str], corpora: CorpusCache, annotator: str = "") -> list[dict]:
    """Unlabelled candidate records from the extractor, with context, for the given documents."""
    out = []
    for doc_id in doc_ids:
        doc = corpora.document(corpus_name, doc_id)
        for st in statements_of(doc):
            rec = {
                "corpus": corpus_name, "doc_id": doc.doc_id, "start": st.start, "end": st.end,
                "span_hash": span_hash(doc.text[st.start:st.end]), "kind": st.kind, "speaker": st.speaker,
                "speaker_party": st.speaker_party, "target_party": st.target_party, "label": None, "hard": False,
                "annotator": annotator, "codebook": CODEBOOK_VERSION,
            }
            out.append(with_context(rec, doc))
    for n, rec in enumerate(out):
        rec["candidate_id"] = n
    return out


def blind_copy(records: list[dict], n: int, corpora: CorpusCache, seed: int = 7, annotator: str = "") -> list[dict]:
    """A random sample of labelled records with their labels removed, for a blind second annotation."""
    sample = random.Random(seed).sample(records, min(n, len(records)))
    out = []
    for i, rec in enumerate(sample):
        standoff = {k: rec[k] for k in STANDOFF_FIELDS if k in rec}
        standoff.update(label=None, hard=False, annotator=annotator)
        out.append({**with_context(standoff, corpora.document(rec["corpus"], rec["doc_id"])), "candidate_id": i})
    return out


def check_batch(path: Path, corpora: CorpusCache) -> list[str]:
    """Every problem in a filled batch, each as ``LINE: problem``; an empty list means it can be filed."""
    problems = []
    seen: dict[tuple, int] = {}
    for n, rec, err in read_jsonl(path):
        if err:
            problems.append(f"{n}: {err}")
            continue
        found = record_problems(rec)
        if not found:
            span = check_span(rec, corpora)
            if span:
                found.append(span)
        if not found:
            key = record_key(rec)
            if key in seen:
                found.append(f"duplicate of line {seen[key]}")
            seen.setdefault(key, n)
        problems += [f"{n}: {p}" for p in found]
    return problems


def existing_keys(folder: Path = ANNOTATIONS_DIR) -> dict[tuple, str]:
    keys = {}
    for path in sorted(folder.glob("*.jsonl")):
        for n, rec, err in read_jsonl(path):
            if rec is not None and not err:
                keys[record_key(rec)] = f"{path.name}:{n}"
    return keys


def add_batch(path: Path, name: str, corpora: CorpusCache, folder: Path = ANNOTATIONS_DIR) -> Path:
    """File a checked batch into ``data/annotations/NAME.jsonl`` as pure standoff records.

    Refuses (files nothing) if the batch has problems or repeats a statement already filed.
    """
    problems = check_batch(path, corpora)
    if problems:
        raise AnnotationError(f"{path} has {len(problems)} problem(s); first: {problems[0]}")
    taken = existing_keys(folder)
    records = [rec for _, rec, _ in read_jsonl(path)]
    dups = [f"{rec['corpus']}/{rec['doc_id']}:{rec['start']}-{rec['end']} (already in {taken[record_key(rec)]})"
            for rec in records if record_key(rec) in taken]
    if dups:
        raise AnnotationError(f"{len(dups)} statement(s) already annotated, e.g. {dups[0]}")
    dest = folder / f"{name}.jsonl"
    if dest.exists():
        raise AnnotationError(f"{dest} already exists: choose another batch name")
    tmp = dest.with_suffix(".jsonl.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps({k: rec[k] for k in STANDOFF_FIELDS if k in rec}, ensure_ascii=False) + "\n")
    tmp.replace(dest)
    return dest


def register_documents(docs: Path, batch: str, annotator: str, corpus: str | None = None,
                       listing: Path = ANNOTATIONS_DIR.parent / "annotated_documents.jsonl",
                       log: Path = ANNOTATIONS_DIR.parent / "annotation_log.jsonl") -> int:
    """Add the documents a batch annotated exhaustively (those with no statement too) to the extraction
    gold listing, and the batch's effort (documents, statements, hours from the annotator's log) to the log.

    ``docs`` lines: ``{corpus, doc_id, statements, started, finished}``; only ``corpus`` is kept when given.
    """
    from datetime import datetime

    listed = {(r["corpus"], str(r["doc_id"])) for _, r, _ in read_jsonl(listing) if r} if listing.is_file() else set()
    rows = [r for _, r, err in read_jsonl(docs) if r and (corpus is None or r["corpus"] == corpus)]
    new = [r for r in rows if (r["corpus"], str(r["doc_id"])) not in listed]
    seconds = 0.0
    for r in rows:
        if r.get("started") and r.get("finished"):
            start, end = (datetime.fromisoformat(r[k].replace("Z", "+00:00")) for k in ("started", "finished"))
            seconds += max(0.0, (end - start).total_seconds())
    with listing.open("a", encoding="utf-8") as f:
        for r in new:
            f.write(json.dumps({"corpus": r["corpus"], "doc_id": str(r["doc_id"]), "batch": batch}) + "\n")
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"batch": batch, "annotator": annotator, "corpus": corpus or ",".join(sorted({r["corpus"] for r in rows})),
                            "documents": len(rows), "statements": sum(int(r.get("statements", 0)) for r in rows),
                            "hours": round(seconds / 3600, 2)}) + "\n")
    return len(new)


def cohen_kappa(a: list[str], b: list[str], labels: Iterable[str] = LABELS) -> float:
    labels = list(labels)
    n = len(a)
    if n == 0:
        raise ValueError("no items in common")
    observed = sum(x == y for x, y in zip(a, b)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[l] * cb[l] for l in labels) / (n * n)
    return 1.0 if expected == 1 else (observed - expected) / (1 - expected)


def agreement(path_a: Path, path_b: Path) -> dict:
    """Cohen's kappa, raw agreement and the confusion (rows: A, columns: B) over statements both labelled."""
    def labelled(path: Path) -> dict:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        return {record_key(r): r["label"] for f in files for _, r, e in read_jsonl(f)
                if r and not e and r.get("label") in LABELS}

    la, lb = labelled(path_a), labelled(path_b)
    common = sorted(set(la) & set(lb))
    a = [la[k] for k in common]
    b = [lb[k] for k in common]
    confusion = {x: {y: sum(1 for p, q in zip(a, b) if p == x and q == y) for y in LABELS} for x in LABELS}
    return {
        "n": len(common), "kappa": round(cohen_kappa(a, b), 4),
        "agreement": round(sum(x == y for x, y in zip(a, b)) / len(common), 4) if common else 0.0,
        "confusion_rows_a_cols_b": confusion,
        "disagreements": [{"corpus": k[0], "doc_id": k[1], "start": k[2], "end": k[3], "a": la[k], "b": lb[k]}
                          for k in common if la[k] != lb[k]],
    }
