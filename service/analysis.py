"""``/v1/analyze`` in two steps: statements out of an article, then who directed what at whom."""

from __future__ import annotations

import logging
import threading
from collections import Counter

from model.predictor import Prediction
from model.schema import LABELS, Statement
from service.errors import ServiceError

log = logging.getLogger("stance.service")

_ONE_AT_A_TIME = threading.Lock()
"""spaCy pipelines are not documented as thread-safe; extraction holds the GIL mostly, so serialising costs little."""

WARMUP_ARTICLE = "\u201cWe are ready to cooperate with the European Union,\u201d the Chinese premier said."


def extract(text: str, year: int | None, speaker_party: str | None) -> list[Statement]:
    """The article's attributed statements (run it in a thread: extraction is CPU work)."""
    from model.extract import extract_statements

    try:
        with _ONE_AT_A_TIME:
            return extract_statements(text, year=year, speaker_party=speaker_party)
    except ValueError as e:  # the extractor's own input checks, e.g. NUL bytes
        raise ServiceError(422, "validation", f"text: {e}") from None


def warm_up() -> None:
    """Load the extractor's language model at start-up, so the first ``/v1/analyze`` is not seconds slower."""
    try:
        extract(WARMUP_ARTICLE, 2023, None)
    except Exception:  # the first real request will report the problem to its client
        log.exception("article extractor failed to warm up")


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
