"""Gold records -> a ``datasets.DatasetDict`` split by document, frozen by ``data/splits.json``.

Splits are by document (no document in two splits) and stratified by each document's
majority label within its corpus. The manifest records every document's split; documents
already in it never move, so adding annotations never changes an existing test item. Only
new documents are assigned, with the same stratified procedure.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from pathlib import Path

from model.schema import LABELS
from training.annotations import load_annotations

SPLITS_MANIFEST = Path(__file__).resolve().parents[1] / "data" / "splits.json"
RATIOS = {"train": 0.7, "dev": 0.15, "test": 0.15}
ALWAYS_TRAIN = {"seed"}  # the codebook's worked examples teach; they are not a fair test


def doc_key(rec: dict) -> str:
    return f"{rec['corpus']}/{rec['doc_id']}"


def _majority_label(labels: list[str]) -> str:
    return Counter(labels).most_common(1)[0][0]


def assign_new_documents(records: list[dict], frozen: dict[str, str], seed: int = 13) -> dict[str, str]:
    """Split assignment for documents not yet in ``frozen``, stratified by corpus and majority label."""
    by_doc: dict[str, list[str]] = defaultdict(list)
    corpus_of: dict[str, str] = {}
    for r in records:
        by_doc[doc_key(r)].append(r["label"])
        corpus_of[doc_key(r)] = r["corpus"]
    new = {d: labs for d, labs in by_doc.items() if d not in frozen}
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    assigned = {}
    for d, labs in sorted(new.items()):
        if corpus_of[d] in ALWAYS_TRAIN:
            assigned[d] = "train"
        else:
            strata[(corpus_of[d], _majority_label(labs))].append(d)
    rng = random.Random(seed)
    counts = Counter(frozen.values())
    twin_of = _near_duplicates(records)
    for key in sorted(strata):
        docs = strata[key]
        rng.shuffle(docs)
        for d in docs:
            twin = twin_of.get(d)
            if twin in frozen or twin in assigned:
                # Wire copy repeats stories under new ids: a near-duplicate follows its twin's split.
                assigned[d] = frozen.get(twin) or assigned[twin]
                counts[assigned[d]] += 1
                continue
            # Give each document to the split furthest below its target share: stable and balanced.
            total = sum(counts.values()) + 1
            split = min(RATIOS, key=lambda s: (counts[s] + 1) / total - RATIOS[s])
            assigned[d] = split
            counts[split] += 1
    return assigned


def _near_duplicates(records: list[dict]) -> dict[str, str]:
    """document -> an earlier document sharing at least half of its statement spans (by text hash)."""
    spans: dict[str, set[str]] = defaultdict(set)
    for r in records:
        spans[doc_key(r)].add(r["span_hash"])
    owner: dict[str, str] = {}
    twins = {}
    for d in sorted(spans):
        hits = Counter(owner[h] for h in spans[d] if h in owner)
        if hits:
            other, shared = hits.most_common(1)[0]
            if shared * 2 >= len(spans[d]):
                twins[d] = other
        for h in spans[d]:
            owner.setdefault(h, d)
    return twins


def hash_share(key: str) -> float:
    """A stable number in [0, 1] for a document key: splits that must not move between runs use it."""
    return int(hashlib.sha1(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF


def document_split(key: str, manifest: dict[str, str]) -> str:
    """The frozen split, or for a document with no statements (not in the manifest) a stable hash split."""
    if key in manifest:
        return manifest[key]
    share = hash_share(key)
    return "train" if share < RATIOS["train"] else "dev" if share < RATIOS["train"] + RATIOS["dev"] else "test"


def read_manifest(path: Path = SPLITS_MANIFEST) -> dict[str, str]:
    if not path.is_file():
        return {}
    return json.loads(path.read_text())["documents"]


def write_manifest(documents: dict[str, str], path: Path = SPLITS_MANIFEST) -> None:
    body = {"about": "document -> split; frozen: existing entries never change (training/dataset.py)",
            "documents": dict(sorted(documents.items()))}
    path.write_text(json.dumps(body, indent=1) + "\n")


def split_records(records: list[dict], manifest_path: Path = SPLITS_MANIFEST, update: bool = False) -> dict[str, list[dict]]:
    """Records grouped by split; documents missing from the manifest are assigned (and saved if ``update``)."""
    frozen = read_manifest(manifest_path)
    new = assign_new_documents(records, frozen)
    if new and update:
        write_manifest({**frozen, **new}, manifest_path)
    assignment = {**frozen, **new}
    splits: dict[str, list[dict]] = {s: [] for s in RATIOS}
    for r in records:
        splits[assignment[doc_key(r)]].append(r)
    return splits


def fingerprint(splits: dict[str, list[dict]]) -> dict:
    """A hash per split over (document, span, label): two models with equal fingerprints saw the same data."""
    out = {}
    for name, recs in splits.items():
        rows = sorted(f"{doc_key(r)}:{r['start']}-{r['end']}:{r['label']}" for r in recs)
        out[name] = {"n": len(recs), "sha256": hashlib.sha256("\n".join(rows).encode()).hexdigest()[:16]}
    return out


def to_items(records: list[dict]) -> list[dict]:
    """The fields the model trains on, plus provenance for error analysis."""
    return [
        {"text": r["text"], "speaker_party": r["speaker_party"], "target_party": r["target_party"], "label": r["label"],
         "speaker": r.get("speaker", ""), "id": f"{doc_key(r)}:{r['start']}-{r['end']}", "corpus": r["corpus"]}
        for r in records
    ]


def build_dataset_dict(splits: dict[str, list[dict]]):
    """The splits as a ``datasets.DatasetDict`` with a ClassLabel ``label_id`` column."""
    from datasets import ClassLabel, Dataset, DatasetDict

    dd = {}
    for name, recs in splits.items():
        ds = Dataset.from_list(to_items(recs)) if recs else Dataset.from_dict({k: [] for k in ("text", "label")})
        ds = ds.map(lambda r: {"label_id": LABELS.index(r["label"])})
        dd[name] = ds.cast_column("label_id", ClassLabel(names=list(LABELS)))
    return DatasetDict(dd)


def load_gold_splits(update_manifest: bool = False) -> dict[str, list[dict]]:
    """Gold annotations from the repository, checked against the corpora and split by the manifest."""
    return split_records(load_annotations(), update=update_manifest)
