"""Two model versions on the same items: is B really better than A, and where do they differ?"""

from __future__ import annotations

import numpy as np

from eval.evaluate import gold_indices
from model.metrics import classification_metrics, paired_bootstrap

HEADLINE = ("accuracy", "macro_f1", "ece", "brier")


def _view(item: dict) -> dict:
    """The fields a person needs to judge an item: what was said, by whom, toward whom, and the gold label."""
    return {k: item.get(k) for k in ("id", "text", "speaker", "speaker_party", "target_party")} | {"gold": item["label"]}


def largest_errors(items: list[dict], probs: np.ndarray, labels: list[str], top: int) -> list[dict]:
    """Wrong predictions, the most confidently wrong first (lowest probability on the gold label)."""
    y = gold_indices(items, labels)
    pred = probs.argmax(axis=1)
    p_gold = probs[np.arange(len(y)), y]
    wrong = [i for i in np.argsort(p_gold, kind="stable") if pred[i] != y[i]][:top]
    return [_view(items[i]) | {"pred": labels[pred[i]], "p_gold": round(float(p_gold[i]), 4),
                               "probs": {lab: round(float(p), 4) for lab, p in zip(labels, probs[i])}} for i in wrong]


def compare_versions(items: list[dict], names: tuple[str, str], probs: tuple[np.ndarray, np.ndarray],
                     labels: list[str], data: str, top: int = 10, rounds: int = 1000) -> dict:
    """Headline metrics of both, a paired bootstrap of the macro-F1 difference, disagreements, largest errors."""
    y = gold_indices(items, labels)
    pred_a, pred_b = (p.argmax(axis=1) for p in probs)
    metrics = {side: classification_metrics(y, p, labels, bootstrap=0) for side, p in zip("ab", probs)}
    disagree = [_view(items[i]) | {"a": labels[pred_a[i]], "b": labels[pred_b[i]]}
                for i in np.flatnonzero(pred_a != pred_b)]
    return {
        "data": data, "n": len(items), "a": names[0], "b": names[1], "top": top,
        "metrics": {side: {k: m[k] for k in HEADLINE} for side, m in metrics.items()},
        "paired_bootstrap": paired_bootstrap(y, pred_a, pred_b, len(labels), rounds=rounds),
        "disagreements": disagree,
        "largest_errors": {side: largest_errors(items, p, labels, top) for side, p in zip("ab", probs)},
    }
