"""Classification metrics with bootstrap intervals, calibration error and Brier score.

Everything takes integer gold labels ``y`` (index into ``labels``) and a probability
matrix ``probs`` (rows sum to 1), so the same code judges any model or baseline.
"""

from __future__ import annotations

import numpy as np


def per_label_prf(y: np.ndarray, pred: np.ndarray, n_labels: int) -> np.ndarray:
    """(n_labels, 3) precision, recall, F1; 0 where undefined."""
    out = np.zeros((n_labels, 3))
    for k in range(n_labels):
        tp = np.sum((pred == k) & (y == k))
        fp = np.sum((pred == k) & (y != k))
        fn = np.sum((pred != k) & (y == k))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        out[k] = (p, r, 2 * p * r / (p + r) if p + r else 0.0)
    return out


def macro_f1(y: np.ndarray, pred: np.ndarray, n_labels: int) -> float:
    return float(per_label_prf(y, pred, n_labels)[:, 2].mean())


def confusion(y: np.ndarray, pred: np.ndarray, n_labels: int) -> np.ndarray:
    """Rows are gold labels, columns predictions."""
    m = np.zeros((n_labels, n_labels), dtype=int)
    np.add.at(m, (y, pred), 1)
    return m


def expected_calibration_error(y: np.ndarray, probs: np.ndarray, n_bins: int = 10) -> float:
    """Top-label ECE with equal-width confidence bins."""
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        mask = bins == b
        if mask.any():
            ece += mask.mean() * abs(correct[mask].mean() - conf[mask].mean())
    return float(ece)


def reliability_bins(y: np.ndarray, probs: np.ndarray, n_bins: int = 10) -> list[dict]:
    conf = probs.max(axis=1)
    correct = probs.argmax(axis=1) == y
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    return [
        {"bin": b, "count": int((bins == b).sum()),
         "confidence": float(conf[bins == b].mean()) if (bins == b).any() else None,
         "accuracy": float(correct[bins == b].mean()) if (bins == b).any() else None}
        for b in range(n_bins)
    ]


def brier(y: np.ndarray, probs: np.ndarray) -> float:
    """Multi-class Brier score: mean squared distance to the one-hot gold vector."""
    onehot = np.eye(probs.shape[1])[y]
    return float(np.mean(np.sum((probs - onehot) ** 2, axis=1)))


def bootstrap_indices(n: int, rounds: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, n, size=(rounds, n))


def _interval(values: np.ndarray) -> list[float]:
    return [round(float(np.percentile(values, 2.5)), 4), round(float(np.percentile(values, 97.5)), 4)]


def classification_metrics(y: np.ndarray, probs: np.ndarray, labels, bootstrap: int = 1000, seed: int = 0) -> dict:
    """Accuracy, macro-F1 and per-label P/R/F1 with 95% bootstrap intervals, confusion, ECE, Brier."""
    y = np.asarray(y)
    n_labels = len(labels)
    pred = probs.argmax(axis=1)
    prf = per_label_prf(y, pred, n_labels)
    idx = bootstrap_indices(len(y), bootstrap, seed) if bootstrap and len(y) else np.zeros((0, 0), dtype=int)
    boot_prf = np.array([per_label_prf(y[i], pred[i], n_labels) for i in idx]) if len(idx) else None
    boot_acc = np.array([(pred[i] == y[i]).mean() for i in idx]) if len(idx) else None

    def ci(values):
        return _interval(values) if values is not None else None

    per_label = {}
    for k, lab in enumerate(labels):
        per_label[lab] = {
            "precision": round(float(prf[k, 0]), 4), "recall": round(float(prf[k, 1]), 4),
            "f1": round(float(prf[k, 2]), 4), "support": int((y == k).sum()),
            "f1_ci95": ci(boot_prf[:, k, 2] if boot_prf is not None else None),
        }
    return {
        "n": int(len(y)),
        "accuracy": round(float((pred == y).mean()), 4) if len(y) else 0.0,
        "accuracy_ci95": ci(boot_acc),
        "macro_f1": round(float(prf[:, 2].mean()), 4),
        "macro_f1_ci95": ci(boot_prf[:, :, 2].mean(axis=1) if boot_prf is not None else None),
        "per_label": per_label,
        "confusion": {"labels": list(labels), "rows_gold_cols_pred": confusion(y, pred, n_labels).tolist()},
        "ece": round(expected_calibration_error(y, probs), 4),
        "brier": round(brier(y, probs), 4),
    }


def paired_bootstrap(y: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray, n_labels: int,
                     rounds: int = 1000, seed: int = 0) -> dict:
    """Macro-F1 difference B - A with a 95% interval and the share of resamples where B is not better."""
    idx = bootstrap_indices(len(y), rounds, seed)
    diffs = np.array([macro_f1(y[i], pred_b[i], n_labels) - macro_f1(y[i], pred_a[i], n_labels) for i in idx])
    return {
        "macro_f1_a": round(macro_f1(y, pred_a, n_labels), 4),
        "macro_f1_b": round(macro_f1(y, pred_b, n_labels), 4),
        "delta": round(macro_f1(y, pred_b, n_labels) - macro_f1(y, pred_a, n_labels), 4),
        "delta_ci95": _interval(diffs),
        "p_b_not_better": round(float((diffs <= 0).mean()), 4),
    }
