"""Leave-one-corpus-out: how the stance model does on a source it has never seen.

For each corpus with enough gold statements, the fine-tuned model and TF-IDF + logistic regression
train on every *other* corpus (their train split; dev split for epoch choice and TF-IDF's C) and are
tested on *all* gold statements of the held-out corpus. The random test split mixes sources the model
trained on; this is the measure that guides modelling choices.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable

import numpy as np

from eval.baselines import tfidf_logreg
from model.metrics import classification_metrics
from model.predictor import softmax
from model.schema import LABELS

MIN_STATEMENTS = 300


def folds(splits: dict[str, list[dict]], min_statements: int = MIN_STATEMENTS) -> list[str]:
    """Corpora with at least ``min_statements`` gold statements (the seed examples never count)."""
    counts: dict[str, int] = {}
    for recs in splits.values():
        for r in recs:
            counts[r["corpus"]] = counts.get(r["corpus"], 0) + 1
    return sorted(c for c, n in counts.items() if n >= min_statements and c != "seed")


def fold_data(splits: dict[str, list[dict]], held_out: str, max_train: int | None, seed: int) -> dict[str, list[dict]]:
    """Train/dev from the other corpora (train capped at ``max_train``, a seeded sample), test = the held-out corpus."""
    train = [r for r in splits["train"] if r["corpus"] != held_out]
    if max_train and len(train) > max_train:
        train = random.Random(seed).sample(train, max_train)
    return {"train": train, "dev": [r for r in splits["dev"] if r["corpus"] != held_out],
            "test": [r for recs in splits.values() for r in recs if r["corpus"] == held_out]}


def run_loco(splits: dict[str, list[dict]], cfg, corpora: list[str] | None = None, max_train: int | None = None,
             bootstrap: int = 1000, progress: bool = True, on_fold: Callable[[dict], None] | None = None) -> dict:
    """Metrics JSON: per held-out corpus, the fine-tuned model and TF-IDF + LR, with 95% intervals.

    ``on_fold`` gets the results so far after every fold: a run of an hour or more leaves its finished folds behind.
    """
    from training.train import fine_tune, fit_temperature, predict_logits

    results = {"config": asdict(cfg), "max_train": max_train, "folds": {}}
    for corpus in corpora or folds(splits):
        started = time.time()
        data = fold_data(splits, corpus, max_train, cfg.seed)
        y_test = np.array([LABELS.index(r["label"]) for r in data["test"]])
        model, tokenizer, history = fine_tune(data["train"], data["dev"], replace(cfg), progress)
        dev_logits = predict_logits(model, tokenizer, data["dev"], cfg.max_length)
        temperature = fit_temperature(dev_logits, np.array([LABELS.index(r["label"]) for r in data["dev"]]))
        probs = softmax(predict_logits(model, tokenizer, data["test"], cfg.max_length), temperature)
        tfidf = tfidf_logreg(data["train"], data["dev"], data["test"])
        fine_tuned = classification_metrics(y_test, probs, LABELS, bootstrap)
        baseline = classification_metrics(y_test, tfidf, LABELS, bootstrap)
        results["folds"][corpus] = {
            "sizes": {k: len(v) for k, v in data.items()}, "history": history, "seconds": round(time.time() - started),
            "fine_tuned": fine_tuned, "tfidf_logreg": baseline,
            "gap_macro_f1": round(fine_tuned["macro_f1"] - baseline["macro_f1"], 4),
        }
        if on_fold:
            on_fold(results)
    return results


def loco_table(results: dict) -> str:
    """Markdown: one row per held-out corpus."""
    lines = ["| held-out corpus | test statements | fine-tuned macro-F1 [95% CI] | TF-IDF + LR macro-F1 [95% CI] | gap | "
             "conditional F1 (fine-tuned) |", "|---|---|---|---|---|---|"]
    for corpus, f in results["folds"].items():
        ft, tf = f["fine_tuned"], f["tfidf_logreg"]
        lines.append(f"| {corpus} | {f['sizes']['test']} | {ft['macro_f1']:.3f} {ft['macro_f1_ci95']} | "
                     f"{tf['macro_f1']:.3f} {tf['macro_f1_ci95']} | {f['gap_macro_f1']:+.3f} | "
                     f"{ft['per_label']['conditional']['f1']:.3f} |")
    return "\n".join(lines) + "\n"


def write_loco(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "loco.json").write_text(json.dumps(results, indent=1) + "\n")
    (out / "loco.md").write_text(loco_table(results))
