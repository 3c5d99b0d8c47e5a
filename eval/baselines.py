"""Honest baselines on the frozen test split, next to the fine-tuned model, in one report.

Each baseline is what a user might use instead of summit-stance: the majority label, a
TF-IDF + logistic regression classifier, logistic regression on frozen MiniLM sentence
embeddings, and a CAMEO dictionary coder. All see the same party-encoded input as the
fine-tuned model, tune any hyperparameter on dev only, and are scored on test with the
same bootstrap intervals.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np

from eval.cameo_coder import CameoCoder
from model.metrics import classification_metrics, macro_f1
from model.encoding import encode_text
from model.schema import LABELS

Items = list[dict]


def joined(items: Items) -> list[str]:
    """The fine-tuned model's input as one string, so every baseline sees the parties too."""
    return [" | ".join(encode_text(it["text"], it.get("speaker_party"), it.get("target_party"), it.get("context"))) for it in items]


def gold(items: Items) -> np.ndarray:
    return np.array([LABELS.index(it["label"]) for it in items])


def majority(train: Items, dev: Items, test: Items) -> np.ndarray:
    counts = np.bincount(gold(train), minlength=len(LABELS)).astype(float)
    return np.tile(counts / counts.sum(), (len(test), 1))


def _tuned_logreg(x_train, y_train, x_dev, y_dev, x_test) -> np.ndarray:
    """Logistic regression with C chosen on dev macro-F1; class-balanced like the fine-tuned model."""
    from sklearn.linear_model import LogisticRegression

    best = None
    for c in (0.25, 1.0, 4.0, 16.0):
        clf = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        clf.fit(x_train, y_train)
        score = macro_f1(y_dev, clf.predict(x_dev), len(LABELS))
        if best is None or score > best[0]:
            best = (score, clf)
    clf = best[1]
    probs = np.zeros((x_test.shape[0], len(LABELS)))
    probs[:, clf.classes_] = clf.predict_proba(x_test)
    return probs


def tfidf_logreg(train: Items, dev: Items, test: Items) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    x_train = vec.fit_transform(joined(train))
    return _tuned_logreg(x_train, gold(train), vec.transform(joined(dev)), gold(dev), vec.transform(joined(test)))


def sentence_embeddings(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """Mean-pooled, normalised all-MiniLM-L6-v2 embeddings (the backbone, frozen)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from training.train import backbone_path

    tok = AutoTokenizer.from_pretrained(backbone_path())
    model = AutoModel.from_pretrained(backbone_path()).eval()
    out = []
    with torch.inference_mode():
        for s in range(0, len(texts), batch_size):
            enc = tok(texts[s:s + batch_size], padding=True, truncation=True, max_length=128, return_tensors="pt")
            hidden = model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).float()
            emb = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out.append(torch.nn.functional.normalize(emb, dim=-1).numpy())
    return np.concatenate(out) if out else np.zeros((0, 384))


def embedding_logreg(train: Items, dev: Items, test: Items) -> np.ndarray:
    return _tuned_logreg(sentence_embeddings(joined(train)), gold(train), sentence_embeddings(joined(dev)), gold(dev),
                         sentence_embeddings(joined(test)))


def cameo_dictionary(cameo_file: Path) -> Callable[[Items, Items, Items], np.ndarray]:
    def run(train: Items, dev: Items, test: Items) -> np.ndarray:
        coder = CameoCoder(cameo_file)
        return np.eye(len(LABELS))[[LABELS.index(coder.label(it["text"])) for it in test]]

    return run


def run_baselines(splits: dict[str, Items], cameo_file: Path, finetuned: Callable[[Items], np.ndarray] | None = None,
                  bootstrap: int = 1000) -> dict:
    """Metrics on the test split for every baseline and (if given) the fine-tuned model."""
    train, dev, test = splits["train"], splits["dev"], splits["test"]
    systems: dict[str, Callable[[], np.ndarray]] = {
        "majority": lambda: majority(train, dev, test),
        "tfidf_logreg": lambda: tfidf_logreg(train, dev, test),
        "minilm_embeddings_logreg": lambda: embedding_logreg(train, dev, test),
        "cameo_dictionary": lambda: cameo_dictionary(cameo_file)(train, dev, test),
    }
    if finetuned is not None:
        systems["fine_tuned"] = lambda: finetuned(test)
    y = gold(test)
    return {name: classification_metrics(y, make(), LABELS, bootstrap=bootstrap) for name, make in systems.items()}


def report_markdown(results: dict, header: str = "") -> str:
    lines = [f"# Baselines on the gold test split{header}", "",
             "| system | macro-F1 (95% CI) | " + " | ".join(f"F1 {l} (95% CI)" for l in LABELS) + " | ECE |",
             "|---|---|" + "---|" * len(LABELS) + "---|"]
    for name, m in results.items():
        per = " | ".join(f"{m['per_label'][l]['f1']:.3f} {m['per_label'][l]['f1_ci95']}" for l in LABELS)
        lines.append(f"| {name} | {m['macro_f1']:.3f} {m['macro_f1_ci95']} | {per} | {m['ece']:.3f} |")
    return "\n".join(lines) + "\n"


def write_report(results: dict, out: Path, header: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "baselines.json").write_text(json.dumps(results, indent=2) + "\n")
    (out / "baselines.md").write_text(report_markdown(results, header))
