"""The three evaluation figures (confusion matrix, reliability diagram, per-label F1), drawn from metrics JSON.

Each takes the metrics dict ``eval.evaluate.evaluation`` returns, so a report can be redrawn
from a saved ``metrics.json`` without the model.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402

DPI = 120


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def confusion_png(metrics: dict, path: Path) -> Path:
    """Counts with row shares as colour, so a small class's errors are as visible as a large one's."""
    labels = metrics["confusion"]["labels"]
    m = np.array(metrics["confusion"]["rows_gold_cols_pred"])
    share = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for i in range(len(labels)):
        for j in range(len(labels)):
            ax.text(j, i, f"{m[i, j]}\n{share[i, j]:.0%}", ha="center", va="center", fontsize=10,
                    color="white" if share[i, j] > 0.6 else "black")
    ax.set_xticks(range(len(labels)), labels, rotation=20)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("gold")
    ax.set_title(f"Confusion matrix (n={metrics['n']}, accuracy {metrics['accuracy']:.2f})")
    return _save(fig, path)


def reliability_png(metrics: dict, path: Path) -> Path:
    """Accuracy against confidence per bin; bar width shows how many statements each bin holds."""
    bins = [b for b in metrics["reliability"] if b["count"]]
    n_bins = len(metrics["reliability"])
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", label="perfect calibration")
    centers = [(b["bin"] + 0.5) / n_bins for b in bins]
    widths = [0.9 / n_bins * (0.3 + 0.7 * b["count"] / max(x["count"] for x in bins)) for b in bins]
    ax.bar(centers, [b["accuracy"] for b in bins], width=widths, color="#4c78a8", alpha=0.8, label="accuracy")
    ax.plot(centers, [b["confidence"] for b in bins], "_", color="#e45756", markersize=14, markeredgewidth=2.5,
            label="mean confidence (gap to bar = miscalibration)")
    for c, b in zip(centers, bins):
        ax.text(c, 0.01, str(b["count"]), ha="center", va="bottom", fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("confidence of the predicted label (numbers: statements per bin)")
    ax.set_ylabel("share correct")
    ax.set_title(f"Reliability (ECE {metrics['ece']:.3f}, Brier {metrics['brier']:.3f})")
    ax.legend(loc="upper left", fontsize=8)
    return _save(fig, path)


def per_label_f1_png(metrics: dict, path: Path) -> Path:
    """F1 per label with its 95% bootstrap interval and the macro-F1 as a reference line."""
    labels = list(metrics["per_label"])
    f1 = np.array([metrics["per_label"][k]["f1"] for k in labels])
    cis = [metrics["per_label"][k]["f1_ci95"] or [v, v] for k, v in zip(labels, f1)]
    err = np.array([[v - lo for v, (lo, _) in zip(f1, cis)], [hi - v for v, (_, hi) in zip(f1, cis)]])
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    ticks = [f"{k}\n(n={metrics['per_label'][k]['support']})" for k in labels]
    ax.bar(ticks, f1, yerr=np.clip(err, 0, None), capsize=6, color="#72b7b2")
    for i, v in enumerate(f1):  # beside the error bar, not on it
        ax.text(i - 0.2, v + 0.01, f"{v:.2f}", ha="center", va="bottom", fontsize=10)
    ax.axhline(metrics["macro_f1"], ls="--", color="#e45756", label=f"macro-F1 {metrics['macro_f1']:.2f}")
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("F1 (bars: 95% bootstrap interval)")
    ax.set_title("F1 per label")
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)
