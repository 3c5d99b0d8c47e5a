"""Retraining on a new summit's annotations: train a candidate, compare, promote only if it earns it.

The candidate trains on the gold train split plus part of the new batches (split by
document) and is compared with the current model on two held-out sets: the frozen gold test
split (it must not lose more than ``MAX_TEST_LOSS`` macro-F1) and the new batches' own
held-out documents (it must gain). Both comparisons use a paired bootstrap.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval.metrics import paired_bootstrap
from model.predictor import Predictor
from model.registry import Registry
from model.schema import LABELS
from training.annotations import CorpusCache, load_annotations, record_key
from training.dataset import doc_key, fingerprint, hash_share, load_gold_splits, to_items
from training.train import TrainConfig, train_model

MAX_TEST_LOSS = 0.01
NEW_HELDOUT_SHARE = 0.3


def split_new_batches(records: list[dict]) -> tuple[list[dict], list[dict]]:
    """(train part, held-out part) of new records, by document, stable under re-runs."""
    def held_out(r: dict) -> bool:
        return hash_share(doc_key(r)) < NEW_HELDOUT_SHARE

    docs = sorted({doc_key(r) for r in records})
    heldout = [r for r in records if held_out(r)]
    if len(docs) >= 2 and (not heldout or len(heldout) == len(records)):
        # Too few documents for the hash to split: hold out the last document instead.
        heldout = [r for r in records if doc_key(r) == docs[-1]]
    keys = {record_key(r) for r in heldout}
    return [r for r in records if record_key(r) not in keys], heldout


@dataclass
class Decision:
    promote: bool
    reason: str
    test: dict
    new: dict

    def to_dict(self) -> dict:
        return {"promote": self.promote, "reason": self.reason, "test": self.test, "new": self.new}


def decide(y_test: np.ndarray, current_test: np.ndarray, candidate_test: np.ndarray,
           y_new: np.ndarray, current_new: np.ndarray, candidate_new: np.ndarray, rounds: int = 1000) -> Decision:
    """Promote iff the candidate loses at most 1 macro-F1 point on the frozen test split and gains on new data."""
    test = paired_bootstrap(y_test, current_test, candidate_test, len(LABELS), rounds)
    new = paired_bootstrap(y_new, current_new, candidate_new, len(LABELS), rounds)
    if test["delta"] < -MAX_TEST_LOSS:
        return Decision(False, f"loses {-test['delta']:.3f} macro-F1 on the frozen test split (limit {MAX_TEST_LOSS})",
                        test, new)
    if new["delta"] <= 0:
        return Decision(False, f"no gain on the new data's held-out part (delta {new['delta']:+.3f})", test, new)
    return Decision(True, f"test delta {test['delta']:+.3f}, new-data delta {new['delta']:+.3f} "
                          f"(P(no gain) {new['p_b_not_better']:.2f})", test, new)


def retrain(batches: list[Path], registry: Registry, cfg: TrainConfig, dry_run: bool = False,
            limit: int | None = None, backend: str = "onnx") -> dict:
    """Train a candidate with the new batches, compare it with current, promote it if it earns it."""
    corpora = CorpusCache()
    new_records = load_annotations(batches, corpora)
    if not new_records:
        raise ValueError("the new batches hold no statements")
    new_keys = {record_key(r) for r in new_records}
    gold = {k: [r for r in v if record_key(r) not in new_keys] for k, v in load_gold_splits().items()}
    new_train, new_heldout = split_new_batches(new_records)
    if not new_heldout:
        raise ValueError("need statements from at least two documents to hold some out")
    splits = {"train": gold["train"] + new_train, "dev": gold["dev"], "test": gold["test"]}
    if limit:
        splits = {k: v[:limit] for k, v in splits.items()}
    items = {k: to_items(v) for k, v in splits.items()}
    current = Predictor.from_registry(None, backend, registry.root)
    candidate_version = train_model(items, cfg, registry, fingerprint(splits) | {"new_batches": [str(b) for b in batches]})
    candidate = Predictor(candidate_version, backend)
    test_items, new_items = items["test"], to_items(new_heldout)
    y_test = np.array([LABELS.index(it["label"]) for it in test_items])
    y_new = np.array([LABELS.index(it["label"]) for it in new_items])
    decision = decide(y_test, current.predict_proba(test_items).argmax(1), candidate.predict_proba(test_items).argmax(1),
                      y_new, current.predict_proba(new_items).argmax(1), candidate.predict_proba(new_items).argmax(1))
    outcome = {"current": current.version_name, "candidate": candidate_version.name, "dry_run": dry_run,
               "new_statements": {"train": len(new_train), "held_out": len(new_heldout)},
               "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **decision.to_dict()}
    if decision.promote and not dry_run:
        registry.promote(candidate_version.name, reason=f"stance retrain: {decision.reason}")
    log = registry.root / "retrain.jsonl"
    with log.open("a") as f:
        f.write(json.dumps(outcome) + "\n")
    return outcome
