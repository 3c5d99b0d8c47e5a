"""Extraction run on exhaustively annotated documents and matched to their gold statements.

``extraction_metrics`` judges the extractor alone (are the statements found, with the right
parties?); ``articles_metrics`` judges the whole pipeline a user runs on raw articles (found,
then labelled right). Both rest on the same ``match_documents``, so they count the same matches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from model.matching import MIN_OVERLAP, match_spans


@dataclass
class DocumentMatch:
    corpus: str
    doc_id: str
    gold: list[dict]
    found: list
    pairs: list[tuple[int, int]]
    right: list[bool] = field(default_factory=list)
    """Per pair, whether the model labelled the extracted statement with the gold label (articles only)."""


def match_documents(records: list[dict], corpora=None, min_overlap: float = MIN_OVERLAP,
                    documents: list[tuple[str, str]] = ()) -> list[DocumentMatch]:
    """Extract statements from every document the gold records point into, and match them one-to-one.

    ``documents`` adds exhaustively annotated documents that hold no gold statement: whatever
    the extractor finds there counts against its precision.
    """
    from model.extraction import extract_statements
    from training.annotate import extraction_args
    from training.annotations import CorpusCache

    corpora = corpora or CorpusCache()
    by_doc: dict[tuple[str, str], list[dict]] = {key: [] for key in documents}
    for rec in records:
        by_doc.setdefault((rec["corpus"], str(rec["doc_id"])), []).append(rec)
    out = []
    for (corpus, doc_id), gold in by_doc.items():
        doc = corpora.document(corpus, doc_id)
        found = extract_statements(doc.text, **extraction_args(doc))
        pairs = match_spans([(g["start"], g["end"]) for g in gold], [(s.start, s.end) for s in found], min_overlap,
                            agree=lambda g, f: same_party(gold[g]["target_party"], found[f].target_party))
        out.append(DocumentMatch(corpus, doc_id, gold, found, pairs))
    return out


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def same_party(a: str | None, b: str | None) -> bool:
    return (a or "").strip().casefold() == (b or "").strip().casefold()


def _per_corpus(matches: list[DocumentMatch], row) -> dict:
    groups: dict[str, list[DocumentMatch]] = {}
    for m in matches:
        groups.setdefault(m.corpus, []).append(m)
    return {"per_corpus": {name: row(ms) for name, ms in sorted(groups.items())}, "all": row(matches)}


def _extraction_row(ms: list[DocumentMatch]) -> dict:
    gold, found = sum(len(m.gold) for m in ms), sum(len(m.found) for m in ms)
    matched = sum(len(m.pairs) for m in ms)
    precision, recall = _rate(matched, found), _rate(matched, gold)
    f1 = round(2 * precision * recall / (precision + recall), 4) if precision and recall else 0.0
    parties = {
        key: _rate(sum(same_party(m.gold[g][key], getattr(m.found[f], key)) for m in ms for g, f in m.pairs), matched)
        for key in ("speaker_party", "target_party")
    }
    return {"documents": len(ms), "gold": gold, "extracted": found, "matched": matched,
            "precision": precision, "recall": recall, "f1": f1,
            "speaker_party_accuracy": parties["speaker_party"], "target_party_accuracy": parties["target_party"]}


def extraction_metrics(matches: list[DocumentMatch], min_overlap: float = MIN_OVERLAP) -> dict:
    """Span precision/recall and party accuracy on matched pairs, per corpus and overall."""
    return {"min_overlap": min_overlap, **_per_corpus(matches, _extraction_row)}


def _articles_row(ms: list[DocumentMatch]) -> dict:
    gold, found = sum(len(m.gold) for m in ms), sum(len(m.pairs) for m in ms)
    right = sum(sum(m.right) for m in ms)
    return {"documents": len(ms), "gold": gold, "found": found, "found_rate": _rate(found, gold),
            "labelled_right": right, "labelled_right_rate": _rate(right, found), "end_to_end_rate": _rate(right, gold)}


def articles_metrics(matches: list[DocumentMatch], predictor, min_overlap: float = MIN_OVERLAP) -> dict:
    """Score the extracted statements that match gold (with the extracted parties) and count right labels."""
    pairs = [(m, g, f) for m in matches for g, f in m.pairs]
    items = [{"text": m.found[f].text, "speaker_party": m.found[f].speaker_party,
              "target_party": m.found[f].target_party} for m, _, f in pairs]
    for m in matches:
        m.right = []
    for (m, g, _), pred in zip(pairs, predictor.predict(items)):
        m.right.append(pred.label == m.gold[g]["label"])
    return {"model_version": predictor.version_name, "backend": predictor.backend, "min_overlap": min_overlap,
            **_per_corpus(matches, _articles_row)}
