"""Counts that describe the gold corpus: per label, split, corpus and dyad, plus agreement figures."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from model.schema import CODEBOOK_VERSION, LABELS
from training.dataset import doc_key

AGREEMENT_DIR = Path(__file__).resolve().parents[1] / "data" / "agreement"


def dyad(rec: dict) -> str:
    return f"{rec['speaker_party'] or '(third party)'} -> {rec['target_party']}"


def corpus_stats(splits: dict[str, list[dict]]) -> dict:
    records = [r for recs in splits.values() for r in recs]
    by_split = {s: dict(Counter(r["label"] for r in recs)) for s, recs in splits.items()}
    by_corpus = {}
    for c in sorted({r["corpus"] for r in records}):
        rs = [r for r in records if r["corpus"] == c]
        by_corpus[c] = {"statements": len(rs), "documents": len({doc_key(r) for r in rs}),
                        **{lab: sum(r["label"] == lab for r in rs) for lab in LABELS}}
    return {
        "codebook": CODEBOOK_VERSION,
        "statements": len(records),
        "documents": len({doc_key(r) for r in records}),
        "labels": {lab: sum(r["label"] == lab for r in records) for lab in LABELS},
        "hard": sum(bool(r.get("hard")) for r in records),
        "third_party": sum(not r["speaker_party"] for r in records),
        "splits": {s: {"statements": len(recs), "documents": len({doc_key(r) for r in recs}), "labels": by_split[s]}
                   for s, recs in splits.items()},
        "corpora": by_corpus,
        "dyads": dict(Counter(dyad(r) for r in records).most_common(25)),
        "distinct_dyads": len({dyad(r) for r in records}),
        "annotators": dict(Counter(r.get("annotator", "?") for r in records)),
        "agreement": load_agreement(),
    }


def load_agreement(folder: Path = AGREEMENT_DIR) -> list[dict]:
    out = []
    for path in sorted(folder.glob("*.json")):
        report = json.loads(path.read_text())
        out.append({"file": path.name, "n": report["n"], "kappa": report["kappa"], "agreement": report["agreement"]})
    return out
