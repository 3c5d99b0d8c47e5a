"""What the page shows of a workspace: statements as one analyst sees them, and article text cut into marks.

Colour and state come from here only: rows and marks carry ``data-state`` and CSS colours them, so
the server's first rendering and the script's updates after each keystroke cannot disagree.
"""

from __future__ import annotations

from model.schema import LABELS
from workbench.store import NOT_STATEMENT, Article, Statement


def state_of(decision: str | None, suggestion: str | None) -> str:
    """``cooperative`` (decided), ``suggested-cooperative`` (model only), ``not_statement`` or ``pending``."""
    if decision:
        return decision
    return f"suggested-{suggestion}" if suggestion else "pending"


def statement_view(s: Statement, annotator: str, hidden: bool) -> dict:
    """One table row for ``annotator``; ``hidden`` (evaluation slice) withholds the model's suggestion.

    Other analysts' decisions (the settled label, a dispute) are withheld too until ``annotator`` has decided
    the statement, so a second review is independent and the agreement view measures something.
    """
    mine = s.reviews.get(annotator) or {}
    suggestion = None if hidden else s.suggestion
    blind = not mine.get("decision")
    final = None if blind else s.final()
    return {
        "id": s.id, "doc_id": s.doc_id, "start": s.start, "end": s.end, "speaker": mine.get("speaker", s.speaker),
        "extracted_speaker": s.speaker, "kind": s.kind,
        "origin": s.origin, "speaker_party": mine.get("speaker_party", s.speaker_party),
        "target_party": mine.get("target_party", s.target_party), "decision": mine.get("decision"),
        "suggestion": suggestion, "confidence": None if hidden or s.confidence is None else round(s.confidence, 2),
        "state": state_of(mine.get("decision"), suggestion), "hidden": hidden,
        "reviewers": sorted(s.reviews), "final": final["decision"] if final else None, "disputed": not blind and s.disputed(),
        "label_text": decision_text(mine.get("decision") or suggestion),
    }


def decision_text(decision: str | None) -> str:
    return {NOT_STATEMENT: "not a statement", None: "\u2014"}.get(decision, decision or "")


def segments(article: Article, views: list[dict]) -> list[dict]:
    """The text cut at every statement boundary; each piece lists the statements covering it (first = colour)."""
    cuts = sorted({0, len(article.text), *(v["start"] for v in views), *(v["end"] for v in views)})
    out = []
    for a, b in zip(cuts, cuts[1:]):
        covering = [v for v in views if v["start"] <= a and b <= v["end"]]
        out.append({"text": article.text[a:b], "ids": [v["id"] for v in covering],
                    "state": covering[0]["state"] if covering else None,
                    "first": [v["id"] for v in covering if v["start"] == a]})
    return out


def parties_of(workspace_parties: list[str], views: list[dict]) -> list[str]:
    """The workspace's parties, then every party the article's statements name, for the party pickers."""
    seen = dict.fromkeys(workspace_parties)
    for v in views:
        seen.update(dict.fromkeys(p for p in (v["speaker_party"], v["target_party"]) if p))
    return list(seen)


def speakers_of(views: list[dict]) -> list[str]:
    """Every speaker name the article's statements give (extracted or corrected), for the speaker field's list."""
    return sorted({name for v in views for name in (v["speaker"], v["extracted_speaker"]) if name})


KEYS = [("j / \u2193", "next statement"), ("k / \u2191", "previous statement"),
        *((str(i + 1), lab) for i, lab in enumerate(LABELS)), ("0", "not a statement (codebook step 0)"),
        ("Enter", "accept the suggestion"), ("s", "edit the speaker's name"),
        ("p / t", "edit the speaker party / target party"), ("a", "add the selected text as a statement"),
        ("0, then a", "a wrong span (spans are not edited): mark it not a statement, then select the right "
                      "words in the text and add them"),
        ("u", "undo your last action"), ("n", "next in the queue")]
