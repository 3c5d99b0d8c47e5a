"""Codebook version 2 re-review: version-1 gold records plus annotators' decisions -> version-2 records.

Every version-1 record was read again by an annotator under codebook version 2, who wrote one
decision per record (``data/review-v2/*.jsonl``): keep it (with the version-2 label, parties and
``hard``), drop it (step 0, or a victim with no identifiable actor), and name extra targets where
one demand presses several parties. The version-1 files are frozen in ``data/v1/annotations/``;
this module rebuilds ``data/annotations/`` from them, so the re-review is reproducible and every
change is counted per rule by ``stance data stats --changes``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

from model.parties import canonical_party
from model.schema import CODEBOOK_VERSION, LABELS
from training.annotations import AnnotationError, read_jsonl

DATA = Path(__file__).resolve().parents[1] / "data"
V1_DIR = DATA / "v1" / "annotations"
DECISIONS_DIR = DATA / "review-v2"
DROPPED = DATA / "v1" / "dropped-under-v2.jsonl"
RULES = ("none", "step0-venue", "step0-history", "step0-situation", "step0-world", "step0-market", "victim-actor",
         "several-targets", "unnamed-speaker", "call-on-everyone", "forecast", "conditional-review", "hard-flag", "other",
         "adjudicated")  # adjudicated: replaced by the agreement study's adjudicated record (data/agreement/study-v2)
CHANGED_FIELDS = ("label", "target_party", "speaker_party", "hard")


def load_decisions(folder: Path = DECISIONS_DIR) -> dict[str, dict]:
    """Decision by record id (``FILE.jsonl:LINE`` of the version-1 file); a repeated id is an error."""
    out: dict[str, dict] = {}
    for path in sorted(folder.glob("*.jsonl")):
        for n, d, err in read_jsonl(path):
            if err:
                raise AnnotationError(f"{path}:{n}: {err}")
            if d["id"] in out:
                raise AnnotationError(f"{path}:{n}: second decision for {d['id']}")
            if d.get("action") not in ("keep", "drop") or d.get("rule") not in RULES:
                raise AnnotationError(f"{path}:{n}: action must be keep/drop and rule one of {RULES}")
            if d["action"] == "keep" and d.get("label") not in LABELS:
                raise AnnotationError(f"{path}:{n}: label {d.get('label')!r} is not one of {LABELS}")
            out[d["id"]] = d
    return out


def apply_decision(rec: dict, decision: dict) -> list[dict]:
    """The version-2 records for one version-1 record: none (dropped), it (maybe changed), plus extra targets.

    A re-reviewed record keeps its version-1 values under ``v1``; a changed one names its ``v2_rule``;
    a record added for an extra target has ``"v1": null``.
    """
    if decision["action"] == "drop":
        return []
    new = {**rec, **{k: decision[k] for k in CHANGED_FIELDS if k in decision}, "codebook": CODEBOOK_VERSION}
    new["speaker_party"], new["target_party"] = canonical_party(new["speaker_party"]), canonical_party(new["target_party"])
    new["hard"] = bool(new.get("hard"))
    new["v1"] = old = {k: rec.get(k) for k in CHANGED_FIELDS}  # kept on every re-reviewed record
    if any(bool(old[k]) != bool(new[k]) if k == "hard" else old[k] != new[k] for k in CHANGED_FIELDS):
        new["v2_rule"] = decision["rule"] if decision["rule"] != "none" else "other"
    out = [new]
    for extra in decision.get("extra_targets") or []:
        party, label = (extra, new["label"]) if isinstance(extra, str) else (extra["party"], extra.get("label", new["label"]))
        party = canonical_party(party)
        if party in (new["target_party"], new["speaker_party"]) or any(r["target_party"] == party for r in out):
            continue
        out.append({**new, "target_party": party, "label": label, "v1": None, "v2_rule": "several-targets"})
    return out


def rereview(v1_dir: Path = V1_DIR, decisions: dict[str, dict] | None = None) -> tuple[dict[str, list[dict]], list[dict]]:
    """(version-2 records by file name, dropped records with their rule); every v1 record needs a decision."""
    decisions = load_decisions() if decisions is None else decisions
    kept: dict[str, list[dict]] = defaultdict(list)
    dropped: list[dict] = []
    missing = []
    for path in sorted(v1_dir.glob("*.jsonl")):
        for n, rec, err in read_jsonl(path):
            if err:
                raise AnnotationError(f"{path}:{n}: {err}")
            rid = f"{path.name}:{n}"
            if rid not in decisions:
                missing.append(rid)
                continue
            d = decisions[rid]
            records = apply_decision(rec, d)
            if not records:
                dropped.append({**rec, "v2_rule": d["rule"], "v2_note": d.get("note", "")})
            kept[path.name].extend(records)
    if missing:
        raise AnnotationError(f"{len(missing)} version-1 record(s) have no decision, e.g. {missing[0]}")
    return dict(kept), dropped


def write_rereview(out_dir: Path, kept: dict[str, list[dict]], dropped: list[dict], dropped_path: Path = DROPPED) -> None:
    """Write the version-2 files (one per version-1 file) and the dropped records, each atomically."""
    for name, records in kept.items():
        _write_atomic(out_dir / name, records)
    _write_atomic(dropped_path, dropped)


def _write_atomic(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    tmp.replace(path)


def change_counts(records: list[dict], dropped: list[dict]) -> dict:
    """Per rule: version-1 records dropped, re-targeted, relabelled, otherwise changed, and records added."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for r in dropped:
        counts[r["v2_rule"]]["dropped"] += 1
    for r in records:
        if "v2_rule" not in r:
            continue
        if r.get("v1") is None:
            counts[r["v2_rule"]]["added"] += 1
            continue
        old = r["v1"]
        kind = ("retargeted" if old["target_party"] != r["target_party"] else
                "relabelled" if old["label"] != r["label"] else
                "speaker party changed" if old["speaker_party"] != r["speaker_party"] else "hard flag changed")
        counts[r["v2_rule"]][kind] += 1
    reviewed = sum(1 for r in records if r.get("v1")) + len(dropped)
    return {"rules": {rule: dict(c) for rule, c in sorted(counts.items())}, "v1_records_kept_or_dropped": reviewed,
            "relabel_matrix": dict(Counter(f"{r['v1']['label']} -> {r['label']}" for r in records
                                           if r.get("v1") and r["v1"]["label"] != r["label"]))}
