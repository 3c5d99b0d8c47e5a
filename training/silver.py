"""Silver stance labels mapped from event-coded corpora, kept apart from gold.

QuadClass (verified map: 0 irrelevant, 1 material conflict, 2 material cooperation,
3 verbal conflict, 4 verbal cooperation) and ConfliBERT PentaClass (0 statement, 1 verbal
cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict) both separate
cooperation from conflict, which maps soundly onto cooperative and confrontational.
Neither codes conditionality, so a verbal event becomes ``conditional`` only when the
sentence states a condition. Irrelevant and neutral rows are dropped. Silver items carry
no parties and are only ever used as an optional pre-training stage, never in dev or test.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from training.corpora import corpora_root

CONDITION = re.compile(r"\b(if|unless|provided that|on condition that|as long as|in exchange for)\b", re.I)
QUADCLASS = {1: "confrontational", 2: "cooperative", 3: "confrontational", 4: "cooperative"}
QUADCLASS_VERBAL = {3, 4}
PENTACLASS = {1: "cooperative", 2: "cooperative", 3: "confrontational", 4: "confrontational"}
PENTACLASS_VERBAL = {1, 3}


def _label(code: int, text: str, mapping: dict[int, str], verbal: set[int]) -> str | None:
    if code not in mapping:
        return None
    if code in verbal and CONDITION.search(text):
        return "conditional"
    return mapping[code]


def _rows(path: Path, header: bool):
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        if header:
            next(reader, None)
        for row in reader:
            if len(row) >= 2 and row[-1].strip().lstrip("-").isdigit():
                yield "\t".join(row[:-1]).strip(), int(row[-1])


def load_silver(root: Path | None = None) -> list[dict]:
    """Silver items (text, label, source) from QuadClass and ConfliBERT train; duplicates removed."""
    base = Path(root) if root else corpora_root()
    sources = [
        (base / "quadclass" / "en_annotations_quad_multiclass.tsv", True, QUADCLASS, QUADCLASS_VERBAL, "quadclass"),
        (base / "conflibert_cameo" / "train.tsv", False, PENTACLASS, PENTACLASS_VERBAL, "conflibert_cameo"),
    ]
    seen, items = set(), []
    for path, header, mapping, verbal, name in sources:
        for text, code in _rows(path, header):
            label = _label(code, text, mapping, verbal)
            key = " ".join(text.lower().split())
            if label and text and key not in seen:
                seen.add(key)
                items.append({"text": text, "speaker_party": "", "target_party": "", "label": label, "source": name})
    return items
