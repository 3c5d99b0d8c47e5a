"""Reviewed statements as standoff records (codebook version 2): what ``stance retrain`` and ``annotate`` read.

One record per statement and target, as codebook version 2 asks (a statement toward two parties
is two rows in the workspace, each reviewed). Only settled decisions go out: a label, not "not a
statement", and not two analysts still disagreeing; what is left out is counted and said. The
speaker and parties are the settled decision's (an analyst's correction), not the extractor's.
"""

from __future__ import annotations

import json
from pathlib import Path

from model.schema import CODEBOOK_VERSION, LABELS
from training.annotate import STANDOFF_FIELDS
from training.annotations import record_problems, span_hash
from workbench.store import Workspace


def export_records(workspace: Workspace) -> tuple[list[dict], list[str]]:
    """(records, why each reviewed statement that is not exported was left out)."""
    texts = {a.doc_id: a.text for a in workspace.articles()}
    records, skipped = [], []
    for s in workspace.statements():
        final = s.final()
        if final is None:
            if s.disputed():
                skipped.append(f"statement {s.id} ({s.doc_id}): analysts disagree; adjudicate it")
            continue
        if final["decision"] not in LABELS:
            continue
        annotator = final["annotator"] if s.adjudication else ",".join(sorted(s.decided()))
        rec = {"corpus": workspace.corpus, "doc_id": s.doc_id, "start": s.start, "end": s.end,
               "span_hash": span_hash(texts[s.doc_id][s.start:s.end]), "kind": s.kind, "speaker": final["speaker"],
               "speaker_party": final["speaker_party"], "target_party": final["target_party"],
               "label": final["decision"], "hard": False, "annotator": annotator, "codebook": CODEBOOK_VERSION}
        problems = record_problems(rec)
        if problems:
            skipped.append(f"statement {s.id} ({s.doc_id}): " + "; ".join(problems))
            continue
        records.append({k: rec[k] for k in STANDOFF_FIELDS})
    return records, skipped


def write_records(records: list[dict], out: Path) -> Path:
    """JSONL written beside and renamed over ``out``, so a reader never sees half an export."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    tmp.replace(out)
    return out
