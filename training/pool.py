"""The unlabeled pool for distillation: statements the extractor finds in the corpora, as standoff records.

Documents of the gold dev and test splits (``data/splits.json``) and the reserved documents
(``data/reserved_documents.jsonl``, held out for new-summit reviews) never enter the pool, so a
student distilled from it has seen nothing of what it is judged on. Records hold offsets, parties
and a span hash, never corpus text; ``training.annotations.with_statement_text`` rebuilds the words.

Extraction over every corpus takes hours on CPU, so it is resumable per document: each finished
document is one line of ``progress.jsonl``; a rerun skips them, and every run ends by rewriting
``pool.jsonl`` and sealing the manifest from what is done so far.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Iterable

from model.extraction import extractor_version
from model.sentences import context_span
from training.annotate import statements_of
from training.annotations import span_hash
from training.artifacts import ArtifactError, complete_lines, file_sha256, seal
from training.corpora import CORPUS_NAMES, Document, open_corpus
from training.dataset import SPLITS_MANIFEST, read_manifest, standoff_id

RESERVED = SPLITS_MANIFEST.parent / "reserved_documents.jsonl"
POOL = "pool.jsonl"
PROGRESS = "progress.jsonl"
KIND = "pool"
HELD_OUT_SPLITS = ("dev", "test")


def held_out_documents(splits: Path = SPLITS_MANIFEST, reserved: Path = RESERVED) -> dict[str, str]:
    """Document key -> why it may not enter the pool (``dev``, ``test`` or ``reserved``)."""
    out = {key: split for key, split in read_manifest(splits).items() if split in HELD_OUT_SPLITS}
    if reserved.is_file():
        for line in reserved.read_text(encoding="utf-8").splitlines():
            if line.strip():
                rec = json.loads(line)
                out.setdefault(f"{rec['corpus']}/{rec['doc_id']}", "reserved")
    return out


def pool_records(doc: Document) -> list[dict]:
    """The extractor's statements in one document, as standoff records (no words: offsets and a hash)."""
    out = []
    for st in statements_of(doc):
        ctx = context_span(doc.text, st.start, st.end) or (st.start, st.end)
        rec = {"corpus": doc.corpus, "doc_id": doc.doc_id, "start": st.start, "end": st.end,
               "span_hash": span_hash(doc.text[st.start:st.end]), "kind": st.kind, "speaker": st.speaker,
               "speaker_party": st.speaker_party, "target_party": st.target_party,
               "context_start": ctx[0], "context_end": ctx[1]}
        out.append({"id": standoff_id(rec), **rec})
    return out


def _read_progress(path: Path, extractor: str) -> list[dict]:
    """Finished documents from an earlier run; a torn last line (a run killed mid-write) is dropped."""
    if not path.is_file():
        path.write_text(json.dumps({"extractor": extractor}) + "\n")
        return []
    lines = complete_lines(path)
    header = json.loads(lines[0])
    if header.get("extractor") != extractor:
        raise ArtifactError(f"{path} was made by extractor {header.get('extractor')}, this code is {extractor}: "
                            f"start afresh with --restart")
    return [json.loads(line) for line in lines[1:]]


def build_pool(out: Path, corpora: Iterable[str] = (), limit_docs: int | None = None, root: str | None = None,
               restart: bool = False, report=print) -> dict:
    """Extract statements from every corpus's allowed documents into ``out``; returns the sealed manifest.

    ``limit_docs`` caps the documents *read* per corpus (held-out ones included), for quick runs.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    progress = out / PROGRESS
    if restart:
        progress.unlink(missing_ok=True)
    extractor = extractor_version()
    done = {f"{d['corpus']}/{d['doc_id']}" for d in _read_progress(progress, extractor)}
    held_out = held_out_documents()
    with progress.open("a", encoding="utf-8") as log:
        for name in corpora or CORPUS_NAMES:
            new = 0
            for i, doc in enumerate(open_corpus(name, root)):
                if limit_docs is not None and i >= limit_docs:
                    break
                key = f"{doc.corpus}/{doc.doc_id}"
                if key in done:
                    continue
                line = {"corpus": doc.corpus, "doc_id": doc.doc_id, "held_out": held_out.get(key)}
                if not line["held_out"]:
                    try:
                        line["statements"] = pool_records(doc)
                    except ValueError as e:  # an empty or oversized document: say so, keep going
                        line["skipped"] = str(e)
                log.write(json.dumps(line, ensure_ascii=False) + "\n")
                log.flush()
                os.fsync(log.fileno())
                new += 1
            report(f"{name}: {new} documents read this run")
    return finish_pool(out, extractor, limit_docs)


def finish_pool(out: Path, extractor: str, limit_docs: int | None) -> dict:
    """Write ``pool.jsonl`` from the progress log and seal it. Held-out documents are checked again here,
    against today's splits, so a document moved to dev or test since it was read is left out."""
    held_out = held_out_documents()
    counts: dict[str, Counter] = {}
    seen: set[str] = set()
    tmp = out / f".{POOL}.tmp"
    with tmp.open("w", encoding="utf-8") as f:
        for doc in _read_progress(out / PROGRESS, extractor):
            c = counts.setdefault(doc["corpus"], Counter())
            c["documents"] += 1
            why = held_out.get(f"{doc['corpus']}/{doc['doc_id']}")
            if why:
                c[f"held_out_{why}"] += 1
                continue
            c["skipped"] += "skipped" in doc
            for rec in doc.get("statements", []):
                if rec["id"] not in seen:
                    seen.add(rec["id"])
                    f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                    c["statements"] += 1
    os.replace(tmp, out / POOL)
    manifest = {"kind": KIND, "extractor": extractor, "limit_docs": limit_docs, "statements": len(seen),
                "per_corpus": {k: dict(v) for k, v in sorted(counts.items())},
                "held_out_from": {"splits": file_sha256(SPLITS_MANIFEST), "reserved": file_sha256(RESERVED)},
                "pool_sha256": file_sha256(out / POOL)}
    return seal(out, manifest, [POOL])
