"""Active learning: pick the statements in new articles the current model is least sure of."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.predictor import Predictor
from model.schema import CODEBOOK_VERSION
from training.annotate import statements_of, with_context
from training.annotations import span_hash
from training.corpora import FolderCorpus, corpora_root


def corpus_name_for(folder: Path) -> str:
    """How records should name a pool folder: by name when it sits in the corpora root, else by path."""
    folder = folder.resolve()
    root = corpora_root().resolve()
    return folder.name if folder.parent == root else str(folder)


def select_uncertain(pool: Path, n: int, model: str | None = None, models: Path | None = None,
                     backend: str = "onnx") -> list[dict]:
    """The ``n`` extracted statements with the smallest margin between the model's top two labels."""
    if n < 1:
        raise ValueError("-n must be at least 1")
    corpus = FolderCorpus(pool, corpus_name_for(pool))
    predictor = Predictor.from_registry(model, backend, models)
    candidates = []
    for doc in corpus:
        for st in statements_of(doc):
            rec = {"corpus": corpus.name, "doc_id": doc.doc_id, "start": st.start, "end": st.end,
                   "span_hash": span_hash(doc.text[st.start:st.end]), "kind": st.kind, "speaker": st.speaker,
                   "speaker_party": st.speaker_party, "target_party": st.target_party, "label": None, "hard": False,
                   "annotator": "", "codebook": CODEBOOK_VERSION}
            candidates.append((rec, doc, st))
    if not candidates:
        raise ValueError(f"no statements found in the .txt files of {pool}")
    probs = predictor.predict_proba([{"text": st.text, "speaker_party": st.speaker_party,
                                      "target_party": st.target_party} for _, _, st in candidates])
    top2 = np.sort(probs, axis=1)[:, -2:]
    margin = top2[:, 1] - top2[:, 0]
    order = np.argsort(margin, kind="stable")[:n]
    out = []
    for rank, i in enumerate(order):
        rec, doc, _ = candidates[i]
        out.append({**with_context(rec, doc), "candidate_id": rank, "model_version": predictor.version_name,
                    "model_probs": {lab: round(float(p), 4) for lab, p in zip(predictor.labels, probs[i])},
                    "margin": round(float(margin[i]), 4)})
    return out
