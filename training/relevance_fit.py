"""Fit the extractor's relevance filter (``model/extraction/relevance.json``) on exhaustively annotated articles.

Candidates come from the rule-based extractor with the filter off; a candidate is relevant if
it is matched to a gold statement of its document one-to-one (``model.matching``, as the extraction
evaluation counts), so several candidates over one gold statement count one hit, not several.
Weights are fitted on the train split's documents, the threshold is the one with the best
one-to-one statement F1 on dev, and the report gives precision and recall on test, all by the
frozen document split.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from model.extraction import extract_statements
from model.extraction.relevance import WEIGHTS_FILE
from model.extraction.weights import fitted_weights, save_weights
from model.matching import match_spans
from training.annotate import extraction_args
from training.annotations import CorpusCache, annotated_documents, load_annotations
from training.dataset import document_split, read_manifest

ARTICLE_CORPORA = ("reuters21578", "seed", "kremlin_en", "wikinews_2019_2021")


def annotated_articles() -> list[tuple[str, str]]:
    """Exhaustively annotated news articles (speeches need no filter)."""
    return [d for d in annotated_documents() if d[0] in ARTICLE_CORPORA]


Candidate = tuple[list[str], bool, str, tuple[int, int]]
"""(features, matched to gold one-to-one, document key, span)."""


def candidates_by_split(corpora: CorpusCache, limit: int | None = None) -> dict[str, list]:
    """Every unfiltered candidate grouped by split (``Candidate``s), and each split's gold spans by document."""
    gold = defaultdict(list)
    for r in load_annotations(corpora=corpora):
        gold[(r["corpus"], r["doc_id"])].append((r["start"], r["end"]))
    manifest = read_manifest()
    out: dict[str, list] = defaultdict(list)
    for corpus, doc_id in annotated_articles()[:limit]:
        doc = corpora.document(corpus, doc_id)
        key = f"{corpus}/{doc_id}"
        split = document_split(key, manifest)
        found = extract_statements(doc.text, **extraction_args(doc), relevance_filter=False)
        hits = {f for _, f in match_spans(gold[(corpus, doc_id)], [(st.start, st.end) for st in found])}
        out[split] += [(st.extra["features"], i in hits, key, (st.start, st.end)) for i, st in enumerate(found)]
        out[f"{split}_gold"].append((key, gold[(corpus, doc_id)]))
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


def fit_relevance(corpora: CorpusCache | None = None, out: Path = WEIGHTS_FILE, limit: int | None = None) -> dict:
    """Fit, choose the threshold on dev, write the weights; returns precision/recall/F1 on dev and test."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    data = candidates_by_split(corpora or CorpusCache(), limit)
    vec = DictVectorizer()
    x_train = vec.fit_transform(_rows(data["train"]))
    y_train = np.array([hit for _, hit, _, _ in data["train"]])
    best = None
    for c in (0.1, 0.3, 1.0):
        clf = LogisticRegression(C=c, max_iter=2000, class_weight="balanced").fit(x_train, y_train)
        dev_probs = clf.predict_proba(vec.transform(_rows(data["dev"])))[:, 1]
        for t in np.linspace(0.2, 0.8, 25):
            score = one_to_one_f1(data["dev"], dev_probs, t, data["dev_gold"])
            if best is None or score[2] > best[0][2]:
                best = (score, c, float(t), clf)
    (dev_p, dev_r, dev_f), c, threshold, clf = best
    fitted = {**fitted_weights(vec.get_feature_names_out(), clf.coef_[0], clf.intercept_[0]),
              "threshold": round(threshold, 4), "C": c}
    test_probs = clf.predict_proba(vec.transform(_rows(data["test"])))[:, 1]
    prf = ("precision", "recall", "f1")
    report = {"dev": dict(zip(prf, (dev_p, dev_r, dev_f))),
              "test": dict(zip(prf, one_to_one_f1(data["test"], test_probs, threshold, data["test_gold"]))),
              "test_unfiltered": dict(zip(prf, one_to_one_f1(data["test"], np.ones(len(test_probs)), 0.5,
                                                             data["test_gold"]))),
              "candidates": {s: len(data[s]) for s in ("train", "dev", "test")}}
    fitted["report"] = {k: {m: round(v, 4) for m, v in d.items()} if k != "candidates" else d for k, d in report.items()}
    save_weights(fitted, out)
    return fitted["report"]
