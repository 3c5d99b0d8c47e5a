"""Fit the extractor's relevance filter (``model/extraction/relevance.json``) on exhaustively annotated articles.

Candidates come from the rule-based extractor with the filter off; a candidate is relevant if
it is matched to a gold statement of its document one-to-one (``model.matching``, as the extraction
evaluation counts), so several candidates over one gold statement count one hit, not several.
Weights are fitted on the train split's documents, the threshold is the one with the best
one-to-one statement F1 on dev, and the report gives precision and recall on test, all by the
frozen document split.

Speeches (UN debates, Ukrainian addresses) get a filter of their own, fitted the same way on their
sentence candidates and stored under the file's ``speech`` key.

The codebook's worked examples (``seed-codebook-examples.jsonl``) are statements by definition, so
they bind the news fit: their documents are always read (also under ``limit``), their candidates weigh
more in the regression, and only a (C, threshold) that keeps every one of them is chosen. Where none
does, the one keeping the most is, and the report says how many are kept.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from model.extraction import extract_statements
from model.extraction.relevance import WEIGHTS_FILE, keep
from model.extraction.weights import fitted_weights, save_weights
from model.matching import match_spans
from training.annotate import extraction_args
from training.annotations import ANNOTATIONS_DIR, CorpusCache, annotated_documents, load_annotations
from training.dataset import document_split, read_manifest

ARTICLE_CORPORA = ("reuters21578", "seed", "kremlin_en", "wikinews_2019_2021")
SPEECH_CORPORA = ("ungd", "ua_addresses_2022")
WORKED_EXAMPLES = ANNOTATIONS_DIR / "seed-codebook-examples.jsonl"
WORKED_WEIGHT = 3.0
"""Sample weight of a worked example's candidate against 1 for the others."""


def annotated_articles(names: tuple[str, ...] = ARTICLE_CORPORA) -> list[tuple[str, str]]:
    """Exhaustively annotated documents of the corpora ``names`` (news articles by default)."""
    return [d for d in annotated_documents() if d[0] in names]


Candidate = tuple[list[str], bool, str, tuple[int, int]]
"""(features, matched to gold one-to-one, document key, span)."""


def _gold_spans(records: list[dict]) -> dict[tuple[str, str], list[tuple[int, int]]]:
    spans = defaultdict(list)
    for r in records:
        spans[(r["corpus"], str(r["doc_id"]))].append((r["start"], r["end"]))
    return spans


def candidates_by_split(corpora: CorpusCache, limit: int | None = None,
                        names: tuple[str, ...] = ARTICLE_CORPORA) -> dict[str, list]:
    """Every unfiltered candidate of the documents of corpora ``names`` grouped by split (``Candidate``s), each
    split's gold spans by document, and under ``"worked"`` the candidates matched one-to-one to the codebook's
    worked examples in those corpora (the seed article's: news only)."""
    gold = _gold_spans(load_annotations(corpora=corpora))
    worked = {key: spans for key, spans in _gold_spans(load_annotations([WORKED_EXAMPLES], corpora)).items()
              if key[0] in names}
    manifest = read_manifest()
    out: dict[str, list] = defaultdict(list)
    documents = annotated_articles(names)[:limit]
    for corpus, doc_id in documents + [d for d in worked if d not in documents]:
        doc = corpora.document(corpus, doc_id)
        key = f"{corpus}/{doc_id}"
        split = document_split(key, manifest)
        found = extract_statements(doc.text, **extraction_args(doc), relevance_filter=False)
        spans = [(st.start, st.end) for st in found]
        hits = {f for _, f in match_spans(gold[(corpus, doc_id)], spans)}
        cands = [(st.extra["features"], i in hits, key, (st.start, st.end)) for i, st in enumerate(found)]
        out[split] += cands
        out[f"{split}_gold"].append((key, gold[(corpus, doc_id)]))
        out["worked"] += [cands[f] for _, f in match_spans(worked.get((corpus, doc_id), []), spans)]
    out["worked_gold"] = [s for spans in worked.values() for s in spans]
    return out


def _rows(cands: list[Candidate]) -> list[dict]:
    """Candidates as binary feature dicts for the vectoriser."""
    return [dict.fromkeys(features, 1) for features, _, _, _ in cands]


def one_to_one_f1(cands: list[Candidate], probs, threshold: float,
                  gold: list[tuple[str, list]]) -> tuple[float, float, float]:
    """Precision, recall and F1 of the kept candidates, matched to gold one-to-one per document."""
    kept = defaultdict(list)
    for (_, _, key, span), p in zip(cands, probs):
        if p >= threshold:
            kept[key].append(span)
    tp = sum(len(match_spans(spans, kept[key])) for key, spans in gold)
    n_kept = sum(len(v) for v in kept.values())
    n_gold = sum(len(spans) for _, spans in gold)
    p, r = tp / max(n_kept, 1), tp / max(n_gold, 1)
    return p, r, 2 * p * r / max(p + r, 1e-9)


def best_threshold(cands: list[Candidate], probs, gold: list[tuple[str, list]],
                   worked_probs) -> tuple[tuple[int, float], float, tuple[float, float, float]]:
    """The threshold that keeps the most worked examples (``worked_probs``: all of them, where one does) and,
    among those, has the best one-to-one F1 on ``cands``; with that rank, and its precision, recall and F1."""
    scored = [(float(t), one_to_one_f1(cands, probs, t, gold)) for t in np.linspace(0.2, 0.8, 25)]
    ranked = [((int((worked_probs >= t).sum()), prf[2]), t, prf) for t, prf in scored]
    return max(ranked, key=lambda r: r[0])


def fit_filter(data: dict[str, list]) -> dict:
    """One filter (``candidates_by_split``'s ``data``): fitted on train, C and threshold chosen on dev; its weights
    with a ``report`` of precision, recall and F1 on dev and test."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = DictVectorizer()
    x_train = vec.fit_transform(_rows(data["train"]))
    y_train = np.array([hit for _, hit, _, _ in data["train"]])
    worked_spans = {(key, span) for _, _, key, span in data["worked"]}
    sample_weight = [WORKED_WEIGHT if (key, span) in worked_spans else 1.0 for _, _, key, span in data["train"]]
    fits = []
    for c in (0.1, 0.3, 1.0):
        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x_train, y_train, sample_weight)
        dev_probs = clf.predict_proba(vec.transform(_rows(data["dev"])))[:, 1]
        worked_probs = clf.predict_proba(vec.transform(_rows(data["worked"])))[:, 1] if data["worked"] else np.ones(0)
        fits.append((*best_threshold(data["dev"], dev_probs, data["dev_gold"], worked_probs), c, clf))
    _, threshold, (dev_p, dev_r, dev_f), c, clf = max(fits, key=lambda fit: fit[0])
    fitted = {**fitted_weights(vec.get_feature_names_out(), clf.coef_[0], clf.intercept_[0]),
              "threshold": round(threshold, 4), "C": c}
    test_probs = clf.predict_proba(vec.transform(_rows(data["test"])))[:, 1]
    prf = ("precision", "recall", "f1")
    report = {"dev": dict(zip(prf, (dev_p, dev_r, dev_f))),
              "test": dict(zip(prf, one_to_one_f1(data["test"], test_probs, threshold, data["test_gold"]))),
              "test_unfiltered": dict(zip(prf, one_to_one_f1(data["test"], np.ones(len(test_probs)), 0.5,
                                                             data["test_gold"]))),
              "candidates": {s: len(data[s]) for s in ("train", "dev", "test")}}
    if data["worked_gold"]:
        report["worked_examples"] = {"gold": len(data["worked_gold"]), "found": len(data["worked"]),
                                     "kept": sum(keep(features, fitted) for features, _, _, _ in data["worked"])}
    fitted["report"] = {k: {m: round(v, 4) for m, v in d.items()} if k in ("dev", "test", "test_unfiltered") else d
                        for k, d in report.items()}
    return fitted


def fit_relevance(corpora: CorpusCache | None = None, out: Path = WEIGHTS_FILE, limit: int | None = None) -> dict:
    """Fit the news filter and the speech filter, write both to ``out``; returns their reports (the speech one
    under ``speech``)."""
    corpora = corpora or CorpusCache()
    fitted = fit_filter(candidates_by_split(corpora, limit))
    fitted["speech"] = fit_filter(candidates_by_split(corpora, limit, SPEECH_CORPORA))
    save_weights(fitted, out)
    return {**fitted["report"], "speech": fitted["speech"]["report"]}
