"""Gold records -> train/dev/test lists split by document, frozen by ``data/splits.json``.

Plain lists, not a ``datasets.DatasetDict``: training tokenises per batch (length buckets, with
party and context dropout drawn anew each epoch), so a tokenised ``map`` would be redone every
epoch, and nothing else here needs Arrow; the dependency was dropped.

Splits are by document (no document in two splits) and stratified by each document's
majority label within its corpus. The manifest records every document's split; documents
already in it stay, so adding annotations does not reshuffle the test set. New documents are
assigned with the same stratified procedure. One exception keeps the splits honest: documents
that are near-duplicates of each other (wire copy re-filed under a new id) or that hold the
same statement text always share one split (``leakage_groups``), and ``stance data split``
moves an existing document when that requires it.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from pathlib import Path

from model.schema import LABELS
from training.annotations import CorpusCache, annotated_documents, load_annotations

SPLITS_MANIFEST = Path(__file__).resolve().parents[1] / "data" / "splits.json"
RATIOS = {"train": 0.7, "dev": 0.15, "test": 0.15}
ALWAYS_TRAIN = {"seed"}  # the codebook's worked examples teach; they are not a fair test


def doc_key(rec: dict) -> str:
    return f"{rec['corpus']}/{rec['doc_id']}"


def standoff_id(rec: dict) -> str:
    """A statement's id from its place in the corpus (``corpus/doc_id:start-end``): what artifacts are keyed by."""
    return f"{doc_key(rec)}:{rec['start']}-{rec['end']}"


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
    for key in sorted(strata):
        docs = strata[key]
        rng.shuffle(docs)
        for d in docs:
            # Give each document to the split furthest below its target share: stable and balanced.
            total = sum(counts.values()) + 1
            split = min(RATIOS, key=lambda s: (counts[s] + 1) / total - RATIOS[s])
            assigned[d] = split
            counts[split] += 1
    return assigned


DOCUMENT_SHINGLE = 5  # words per shingle when comparing whole documents
STATEMENT_SHINGLE = 3  # and when comparing statements, which are short
NEAR_DUPLICATE_SHARE = 0.5  # documents sharing half of the smaller one's shingles are one story
STATEMENT_SHARE = 0.6  # statements sharing 60% of the shorter one's shingles are one quotation (typos, re-edits)
STATEMENT_MIN_WORDS = 10  # shorter statements are formulaic ("we stand with Ukraine") and may repeat honestly


def shingles(text: str, k: int) -> set[str]:
    """The text's k-word shingles (lower-cased words)."""
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i:i + k]) for i in range(max(1, len(words) - k + 1))} if words else set()


def normalised_statement(text: str) -> str:
    """A statement's words only, lower-cased: the same quotation in two stories compares equal."""
    return " ".join(re.findall(r"\w+", text.lower()))


def _overlapping(items: dict, share: float) -> list[tuple]:
    """Pairs of keys whose shingle sets share at least ``share`` of the smaller set (an inverted index)."""
    index: dict[str, list] = defaultdict(list)
    pairs = []
    for key in sorted(items, key=str):
        hits = Counter(other for sh in items[key] for other in index.get(sh, ()))
        pairs += [(key, other) for other, n in hits.items() if n >= share * min(len(items[key]), len(items[other]))]
        for sh in items[key]:
            index[sh].append(key)
    return pairs


def leakage_groups(records: list[dict], texts: dict[str, str]) -> list[set[str]]:
    """Documents that must share a split, closed transitively: near-duplicate documents, and documents
    holding the same statement (equal normalised text, or a long statement re-filed with small edits)."""
    parent = {d: d for d in texts} | {doc_key(r): doc_key(r) for r in records}

    def find(d: str) -> str:
        while parent[d] != d:
            parent[d] = parent[parent[d]]
            d = parent[d]
        return d

    for a, b in _overlapping({d: shingles(t, DOCUMENT_SHINGLE) for d, t in texts.items()}, NEAR_DUPLICATE_SHARE):
        parent[find(a)] = find(b)
    owner: dict[str, str] = {}
    for r in records:
        parent[find(owner.setdefault(normalised_statement(r["text"]), doc_key(r)))] = find(doc_key(r))
    long_statements = {i: shingles(r["text"], STATEMENT_SHINGLE) for i, r in enumerate(records)
                       if len(r["text"].split()) >= STATEMENT_MIN_WORDS}
    for i, j in _overlapping(long_statements, STATEMENT_SHARE):
        parent[find(doc_key(records[i]))] = find(doc_key(records[j]))
    groups: dict[str, set[str]] = defaultdict(set)
    for d in parent:
        groups[find(d)].add(d)
    return [g for g in groups.values() if len(g) > 1]


_TIE_ORDER = ("test", "dev", "train")  # a tied group keeps the evaluation side, so test items rarely move


def resolve_leaks(assignment: dict[str, str], groups: list[set[str]], weight: Counter) -> dict[str, str]:
    """Moves that put every group in one split: the split holding most of the group's statements."""
    moves = {}
    for group in groups:
        splits = {assignment[d] for d in group if d in assignment}
        if len(splits) < 2:
            continue
        share = Counter()
        for d in group:
            if d in assignment:
                share[assignment[d]] += weight[d] or 1
        target = max(share, key=lambda s: (share[s], -_TIE_ORDER.index(s)))
        moves.update({d: target for d in group if d in assignment and assignment[d] != target})
    return moves


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
    body = {"about": "document -> split; frozen: an entry changes only to keep near-duplicate documents and repeated statement texts in one split (training/dataset.py)",
            "documents": dict(sorted(documents.items()))}
    path.write_text(json.dumps(body, indent=1) + "\n")


def split_records(records: list[dict], manifest_path: Path = SPLITS_MANIFEST, update: bool = False,
                  texts: dict[str, str] | None = None) -> dict[str, list[dict]]:
    """Records grouped by split; documents missing from the manifest are assigned (and saved if ``update``).

    With ``texts`` (document key -> text), near-duplicate documents and documents sharing a statement
    text are moved into one split first (``leakage_groups``), and the moves are saved with the rest.
    """
    frozen = read_manifest(manifest_path)
    new = assign_new_documents(records, frozen)
    assignment = {**frozen, **new}
    if texts is not None:
        # Annotated documents with no statement are in the manifest too (extraction gold), by a stable hash.
        new.update({d: document_split(d, {}) for d in texts if d not in assignment})
        assignment.update(new)
        moves = resolve_leaks(assignment, leakage_groups(records, texts), Counter(doc_key(r) for r in records))
        assignment.update(moves)
        new.update(moves)
    if new and update:
        write_manifest(assignment, manifest_path)
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
         "context": r.get("context", ""),
         "speaker": r.get("speaker", ""), "id": standoff_id(r), "corpus": r["corpus"]}
        for r in records
    ]


def load_gold_splits(update_manifest: bool = False, check_leaks: bool = False,
                     corpora: CorpusCache | None = None) -> dict[str, list[dict]]:
    """Gold annotations from the repository, checked against the corpora and split by the manifest.

    ``check_leaks`` reads every annotated document to keep near-duplicates together (``stance data
    split`` does it and saves the result; training reads the saved manifest).
    """
    cache = corpora or CorpusCache()
    records = load_annotations(corpora=cache)
    texts = document_texts(records, cache) if check_leaks else None
    return split_records(records, update=update_manifest, texts=texts)


def document_texts(records: list[dict], cache: CorpusCache) -> dict[str, str]:
    """Text of every document with a gold statement or listed as exhaustively annotated."""
    keys = {(r["corpus"], str(r["doc_id"])) for r in records} | set(annotated_documents())
    return {f"{c}/{d}": cache.text(c, d) for c, d in sorted(keys)}
