"""Fit the extractor's target scorer (``model/extraction/targets.json``) on gold targets, and judge it.

Each gold statement (a span with its gold speaker party; several records on one span are its several
targets, codebook 2) gets the candidates the extractor would rank for it, with the cue and addressee
of the extractor's own statement over that span where there is one. Weights are fitted on the train
split's documents; the regularisation is chosen on dev. The
report gives target accuracy (the first target is a gold one) and record precision/recall per corpus
for the rules and the scorer on dev, and leave-one-corpus-out: fitted on the train documents of every
other corpus, judged on the held-out corpus's dev and test documents.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from model.extraction import extract_statements
from model.extraction.layout import article_layout, dateline_party
from model.extraction.speakers import article_context
from model.extraction.speech import speech_query, speech_scene
from model.extraction.target_scorer import WEIGHTS_FILE, TargetQuery, candidate_features, targets_from
from model.extraction.weights import fitted_weights, save_weights
from model.extraction.targets import rule_targets
from model.matching import match_spans
from training.annotate import extraction_args
from training.annotations import CorpusCache, load_annotations
from training.dataset import document_split, read_manifest

C_GRID = (0.03, 0.1, 0.3, 1.0)


@dataclass(frozen=True)
class Example:
    """One gold statement: its gold targets, the rules' targets and every candidate's features."""

    corpus: str
    split: str
    gold: frozenset[str]
    rules: tuple[str, ...]
    candidates: dict[str, list[str]]


Found = list[tuple[int, int, str, str]]
"""The extractor's unfiltered statements in one article: (start, end, cue, addressee)."""


def found_statements(doc) -> Found:
    """What the extractor attributes in an article (speeches have no cues to borrow)."""
    args = extraction_args(doc)
    if args.get("speaker_party"):
        return []
    return [(s.start, s.end, s.cue, s.extra["addressee"])
            for s in extract_statements(doc.text, **args, relevance_filter=False)]


def document_examples(doc, gold: dict[tuple, set], found: Found, split: str) -> list[Example]:
    """The examples of one document; ``gold`` maps (start, end, speaker_party) to the span's targets."""
    text, args = doc.text, extraction_args(doc)
    spans = list(gold)
    if args.get("speaker_party"):
        speech, ctx = speech_scene(text, args["speaker_party"], args["year"], args["addressee"])
        cues = {i: ("speech", "") for i in range(len(spans))}
    else:
        layout = article_layout(text)
        year = layout.year or args["year"]
        ctx = article_context(text, year, dateline_party(layout, year))
        pairs = match_spans([(s, e) for s, e, _ in spans], [(s, e) for s, e, _, _ in found])
        cues = {g: found[f][2:] for g, f in pairs}
    out = []
    for i, (start, end, speaker_party) in enumerate(spans):
        cue, addressee = cues.get(i, ("", ""))
        if cue == "speech":
            q = speech_query(text, start, end, replace(speech, speaker_party=speaker_party), ctx)
        else:
            rules = rule_targets(text[start:end], speaker_party, ctx, addressee, cue)
            q = TargetQuery(text, start, end, speaker_party, ctx, tuple(rules), addressee, cue)
        out.append(Example(doc.corpus, split, frozenset(gold[spans[i]]), q.rules, candidate_features(q)))
    return out


def collect(corpora: CorpusCache, limit: int | None = None, cache: Path | None = None,
            annotations: list[Path] | None = None) -> list[Example]:
    """Examples of every gold statement (of ``annotations``, default all); the extractor's pass over the
    documents (the slow part) is kept in ``cache`` when given."""
    by_doc: dict[tuple[str, str], dict[tuple, set]] = defaultdict(lambda: defaultdict(set))
    for r in load_annotations(annotations, corpora):
        by_doc[(r["corpus"], str(r["doc_id"]))][(r["start"], r["end"], r["speaker_party"] or "")].add(r["target_party"])
    stored = json.loads(cache.read_text()) if cache and cache.is_file() else {}
    manifest = read_manifest()
    examples = []
    for corpus, doc_id in sorted(by_doc)[:limit]:
        key = f"{corpus}/{doc_id}"
        doc = corpora.document(corpus, doc_id)
        if key not in stored:
            stored[key] = found_statements(doc)
        found = [tuple(f) for f in stored[key]]
        examples += document_examples(doc, by_doc[(corpus, doc_id)], found, document_split(key, manifest))
    if cache:
        cache.write_text(json.dumps(stored))
    return examples


def fit(examples: list[Example], c: float) -> dict:
    """Logistic regression over (statement, candidate) pairs, a gold target or not; returned as weights."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = [(dict.fromkeys(f, 1), party in ex.gold) for ex in examples for party, f in ex.candidates.items()]
    vec = DictVectorizer()
    x = vec.fit_transform([r for r, _ in rows])
    clf = LogisticRegression(C=c, max_iter=3000).fit(x, np.array([y for _, y in rows]))
    return {**fitted_weights(vec.get_feature_names_out(), clf.coef_[0], clf.intercept_[0]), "C": c}


def predict(ex: Example, weights: dict | None) -> list[str]:
    """The scorer's targets for one example (the rules' when ``weights`` is None), as the extractor picks them."""
    return targets_from(ex.rules, weights, lambda: ex.candidates)


def scores(examples: list[Example], weights: dict | None) -> dict:
    """Target accuracy (first target is gold) and record precision/recall/F1 over gold statements; also the
    accuracy over those the rules give a target at all (where there is none, the extractor emits nothing)."""
    right = tp = n_pred = n_gold = unreachable = ruled = 0
    for ex in examples:
        pred = predict(ex, weights)
        right += bool(pred) and pred[0] in ex.gold
        ruled += bool(ex.rules)
        tp += len(set(pred) & ex.gold)
        n_pred += len(pred)
        n_gold += len(ex.gold)
        unreachable += not ex.gold & set(ex.candidates)
    p, r = tp / max(n_pred, 1), tp / max(n_gold, 1)
    return {"statements": len(examples), "accuracy": round(right / max(len(examples), 1), 4),
            "with_rule_target": ruled, "accuracy_with_rule_target": round(right / max(ruled, 1), 4),
            "record_precision": round(p, 4), "record_recall": round(r, 4),
            "record_f1": round(2 * p * r / max(p + r, 1e-9), 4), "unreachable": unreachable}


def compare(examples: list[Example], weights: dict) -> dict:
    """Rules against the scorer, per corpus and over all."""
    groups = defaultdict(list)
    for ex in examples:
        groups[ex.corpus].append(ex)
    groups["all"] = examples
    return {name: {"rules": scores(exs, None), "learned": scores(exs, weights)}
            for name, exs in sorted(groups.items())}


def choose_settings(train: list[Example], dev: list[Example]) -> dict:
    """The weights whose C gives the best target accuracy on dev (ties: the stronger regularisation)."""
    fits = [fit(train, c) for c in C_GRID]
    return max(fits, key=lambda w: (scores(dev, w)["accuracy"], -w["C"]))


def leave_one_corpus_out(examples: list[Example], settings: dict) -> dict:
    """Per corpus: fitted on the train documents of all the others, judged on its own dev and test documents."""
    out = {}
    for corpus in sorted({ex.corpus for ex in examples if ex.split != "train"}):
        train = [ex for ex in examples if ex.corpus != corpus and ex.split == "train"]
        held = [ex for ex in examples if ex.corpus == corpus and ex.split != "train"]
        if not train:
            continue
        out[corpus] = compare(held, fit(train, settings["C"]))[corpus]
    return out


def fit_targets(corpora: CorpusCache | None = None, out: Path = WEIGHTS_FILE, limit: int | None = None,
                cache: Path | None = None, annotations: list[Path] | None = None) -> dict:
    """Fit on train, choose settings on dev, write the weights; returns the dev and leave-one-corpus-out report."""
    examples = collect(corpora or CorpusCache(), limit, cache, annotations)
    train = [ex for ex in examples if ex.split == "train"]
    dev = [ex for ex in examples if ex.split == "dev"]
    weights = choose_settings(train, dev)
    report = {"dev": compare(dev, weights), "loco": leave_one_corpus_out(examples, weights),
              "settings": {"C": weights["C"]},
              "examples": {s: sum(ex.split == s for ex in examples) for s in ("train", "dev", "test")}}
    fitted = {**weights, "report": {"dev_all": report["dev"]["all"], "examples": report["examples"]}}
    save_weights(fitted, out)
    return report
