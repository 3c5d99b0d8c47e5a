"""Labelled evaluation data (a gold split or a JSONL file) and a model version's metrics on it."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from eval.inputs import JsonlSource
from model.errors import InputError
from model.metrics import classification_metrics, reliability_bins
from model.schema import LABELS

SPLITS = ("train", "dev", "test")


def label_problem(record: dict) -> str | None:
    if record.get("label") not in LABELS:
        return f"field 'label' is {record.get('label')!r}, not one of {list(LABELS)}"
    return None


def load_labelled(path: Path) -> list[dict]:
    """Labelled statements from JSONL; the first bad line stops with file:line and why.

    Unlike batch scoring, evaluation refuses broken lines: metrics on a silently shrunk set mislead.
    """
    items = []
    for row in JsonlSource(path, require_label=True).rows():
        reason = row.reason or label_problem(row.record)
        if reason:
            raise InputError(f"{path}:{row.where['line']}: {reason}")
        items.append(row.record)
    if not items:
        raise InputError(f"{path}: no statements to evaluate on")
    return items


def load_eval_items(data: str) -> list[dict]:
    """Items for ``--data``: a gold split name (train/dev/test) or a labelled JSONL file."""
    if data in SPLITS:
        from training.dataset import load_gold_splits, to_items

        items = to_items(load_gold_splits()[data])
        if not items:
            raise InputError(f"the gold {data} split is empty")
        return items
    path = Path(data)
    if not path.is_file():
        raise InputError(f"--data {data}: neither a split name ({', '.join(SPLITS)}) nor a file")
    return load_labelled(path)


def gold_indices(items: list[dict], labels: list[str]) -> np.ndarray:
    return np.array([labels.index(it["label"]) for it in items], dtype=int)


def evaluation(predictor, items: list[dict], data: str, probs: np.ndarray | None = None,
               bootstrap: int = 1000) -> dict:
    """Every metric of one version on one item set, plus what produced it, as one JSON-ready dict."""
    probs = predictor.predict_proba(items) if probs is None else probs
    y = gold_indices(items, predictor.labels)
    return {
        "model_version": predictor.version_name, "backend": predictor.backend, "data": data,
        **classification_metrics(y, probs, predictor.labels, bootstrap=bootstrap),
        "reliability": reliability_bins(y, probs),
    }
