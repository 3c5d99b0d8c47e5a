"""Retraining on a new summit's annotations: train a candidate, compare, promote only if it earns it.

The candidate trains on the gold train split plus part of the new batches (split by whole
document; a new statement from a document of the gold dev or test split never trains) and is
compared with the current model on two held-out sets, each by a paired bootstrap of the macro-F1
difference: on the frozen gold test split the lower bound of the 95% interval must be at least
``-MAX_TEST_LOSS`` (not worse), and on the new batches' held-out documents it must be above 0
(better). Too few held-out statements to tell is said plainly, with about how many would do.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model.metrics import paired_bootstrap
from model.predictor import Predictor
from model.registry import Registry
from model.schema import LABELS
from model.timestamps import now
from training.annotations import CorpusCache, load_annotations, record_key
from training.dataset import doc_key, fingerprint, hash_share, load_gold_splits, read_manifest, to_items
from training.train import TrainConfig, announce, train_model

MAX_TEST_LOSS = 0.005
NEW_HELDOUT_SHARE = 0.3
MIN_HELDOUT = 30
"""Below this many held-out new statements a macro-F1 interval is too wide to show any gain."""


def split_new_batches(records: list[dict], gold_manifest: dict[str, str] | None = None) -> tuple[list[dict], list[dict]]:
    """(train part, held-out part) of new records, by whole document, stable under re-runs.

    A document the gold manifest puts in dev or test is always held out, so its statements never train.
    """
    gold_manifest = gold_manifest or {}

    def held_out(r: dict) -> bool:
        return gold_manifest.get(doc_key(r)) in ("dev", "test") or hash_share(doc_key(r)) < NEW_HELDOUT_SHARE

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


def statements_needed(n: int, delta: float, interval: list[float]) -> int | None:
    """About how many held-out statements would make this gain's interval clear 0 (width ~ 1/sqrt(n))."""
    half_width = (interval[1] - interval[0]) / 2
    if delta <= 0 or half_width <= 0:
        return None
    return max(MIN_HELDOUT, int(np.ceil(n * (half_width / delta) ** 2)))


def decide(y_test: np.ndarray, current_test: np.ndarray, candidate_test: np.ndarray,
           y_new: np.ndarray, current_new: np.ndarray, candidate_new: np.ndarray, rounds: int = 1000) -> Decision:
    """Promote iff the candidate is not worse on the gold test (interval lower bound >= -MAX_TEST_LOSS)
    and better on the new data's held-out part (interval lower bound > 0)."""
    test = paired_bootstrap(y_test, current_test, candidate_test, len(LABELS), rounds)
    new = paired_bootstrap(y_new, current_new, candidate_new, len(LABELS), rounds)
    test_line = (f"gold test macro-F1 {test['macro_f1_a']:.4f} -> {test['macro_f1_b']:.4f} "
                 f"(delta {test['delta']:+.3f}, 95% interval [{test['delta_ci95'][0]:+.3f}, {test['delta_ci95'][1]:+.3f}])")
    new_line = (f"new held-out macro-F1 {new['macro_f1_a']:.4f} -> {new['macro_f1_b']:.4f} "
                f"(delta {new['delta']:+.3f}, 95% interval [{new['delta_ci95'][0]:+.3f}, {new['delta_ci95'][1]:+.3f}], "
                f"n={len(y_new)})")
    if test["delta_ci95"][0] < -MAX_TEST_LOSS:
        return Decision(False, f"may be worse on the gold test: {test_line}; the lower bound must be at least "
                               f"{-MAX_TEST_LOSS:+.3f}; {new_line}", test, new)
    if len(y_new) < MIN_HELDOUT:
        return Decision(False, f"too few held-out statements to tell: {len(y_new)} held out, need about "
                               f"{statements_needed(len(y_new), new['delta'], new['delta_ci95']) or MIN_HELDOUT}; "
                               f"{test_line}; {new_line}", test, new)
    if new["delta_ci95"][0] <= 0:
        need = statements_needed(len(y_new), new["delta"], new["delta_ci95"])
        more = f"; a gain this size needs about {need} held-out statements" if need else ""
        return Decision(False, f"no clear gain on the new data: {new_line}{more}", test, new)
    return Decision(True, f"{test_line}; {new_line}", test, new)


def retrain(batches: list[Path], registry: Registry, cfg: TrainConfig, dry_run: bool = False,
            limit: int | None = None, backend: str = "onnx") -> dict:
    """Train a candidate with the new batches, compare it with current, promote it if it earns it."""
    corpora = CorpusCache()
    new_records = load_annotations(batches, corpora)
    if not new_records:
        raise ValueError("the new batches hold no statements")
    new_keys = {record_key(r) for r in new_records}
    gold = {k: [r for r in v if record_key(r) not in new_keys] for k, v in load_gold_splits().items()}
    new_train, new_heldout = split_new_batches(new_records, read_manifest())
    if not new_heldout:
        raise ValueError("need statements from at least two documents to hold some out")
    splits = {"train": gold["train"] + new_train, "dev": gold["dev"], "test": gold["test"]}
    if limit:
        splits = {k: v[:limit] for k, v in splits.items()}
    items = {k: to_items(v) for k, v in splits.items()}
    current = Predictor.from_registry(None, backend, registry.root)
    candidate_version = train_model(items, cfg, registry, fingerprint(splits) | {"new_batches": [str(b) for b in batches]})
    candidate = Predictor(candidate_version, backend)
    announce("comparing the candidate with the current model on the gold test and the held-out new statements")
    test_items, new_items = items["test"], to_items(new_heldout)
    y_test = np.array([LABELS.index(it["label"]) for it in test_items])
    y_new = np.array([LABELS.index(it["label"]) for it in new_items])
    decision = decide(y_test, current.predict_proba(test_items).argmax(1), candidate.predict_proba(test_items).argmax(1),
                      y_new, current.predict_proba(new_items).argmax(1), candidate.predict_proba(new_items).argmax(1))
    outcome = {"current": current.version_name, "candidate": candidate_version.name, "dry_run": dry_run,
               "new_statements": {"train": len(new_train), "held_out": len(new_heldout)},
               "when": now(), **decision.to_dict()}
    if decision.promote and not dry_run:
        registry.promote(candidate_version.name, reason=f"stance retrain: {decision.reason}")
    elif decision.promote:
        outcome["promote_with"] = f"stance promote {candidate_version.name} -m 'retrain dry run: promote'"
    log = registry.root / "retrain.jsonl"
    with log.open("a") as f:
        f.write(json.dumps(outcome) + "\n")
    return outcome
