"""``/v1/analyze`` after extraction: the statements scored, and who directed what at whom."""

from __future__ import annotations

from collections import Counter

from model.predictor import Prediction
from model.schema import LABELS, Statement


def scoring_items(statements: list[Statement]) -> list[dict]:
    return [{"text": s.text, "speaker_party": s.speaker_party, "target_party": s.target_party, "context": s.context}
            for s in statements]


def analyzed(statements: list[Statement], predictions: list[Prediction]) -> list[dict]:
    """Each statement's place, speaker and parties with its label and probabilities."""
    return [
        {"text": s.text, "start": s.start, "end": s.end, "kind": s.kind, "speaker": s.speaker,
         "speaker_party": s.speaker_party, "target_party": s.target_party, "cue": s.cue,
         "label": p.label, "probs": p.probs}
        for s, p in zip(statements, predictions)
    ]


def party_summary(rows: list[dict]) -> list[dict]:
    """Label counts per (speaker party, target party); third-party speakers (no speaker party) are left out."""
    counts: dict[tuple[str, str], Counter] = {}
    for row in rows:
        if row["speaker_party"] and row["target_party"]:
            counts.setdefault((row["speaker_party"], row["target_party"]), Counter())[row["label"]] += 1
    return [
        {"speaker_party": sp, "target_party": tp, "counts": {lab: c[lab] for lab in LABELS}, "total": sum(c.values())}
        for (sp, tp), c in sorted(counts.items())
    ]
