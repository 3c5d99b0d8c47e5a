"""Agreement between two annotators who marked the same documents from scratch.

A blind re-labelling of given spans (``annotate.agreement``) only measures labels. Here the second
annotator also chose the spans and the parties, so agreement is measured in three layers, per
corpus: span F1 (one-to-one overlap matching, as the extraction evaluation does), party agreement
on matched spans, and Cohen's kappa of the labels on matched spans toward the same target.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from model.matching import match_spans
from model.schema import LABELS
from training.annotate import cohen_kappa


def _spans(records: Iterable[dict]) -> dict[tuple, dict]:
    """(corpus, doc) -> {(start, end): {"speaker_party": ..., "targets": {target: label}}}."""
    out: dict[tuple, dict] = defaultdict(dict)
    for r in records:
        span = out[(r["corpus"], str(r["doc_id"]))].setdefault(
            (r["start"], r["end"]), {"speaker_party": r.get("speaker_party") or "", "targets": {}})
        span["targets"][r["target_party"]] = r["label"]
    return out


def study(first: list[dict], second: list[dict], documents: Iterable[tuple[str, str]]) -> dict:
    """Per-corpus and overall agreement of ``second`` with ``first`` on the given (corpus, doc_id) documents."""
    a_spans, b_spans = _spans(first), _spans(second)
    rows: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    labels: dict[str, tuple[list, list]] = defaultdict(lambda: ([], []))
    disagreements = []
    for corpus, doc in sorted({(c, str(d)) for c, d in documents}):
        a, b = a_spans.get((corpus, doc), {}), b_spans.get((corpus, doc), {})
        a_keys, b_keys = sorted(a), sorted(b)
        pairs = match_spans(a_keys, b_keys)
        for key in (corpus, "all"):
            row = rows[key]
            row["documents"] += 1
            row["spans_first"] += len(a_keys)
            row["spans_second"] += len(b_keys)
            row["matched"] += len(pairs)
        for ai, bi in pairs:
            sa, sb = a[a_keys[ai]], b[b_keys[bi]]
            same_speaker = sa["speaker_party"] == sb["speaker_party"]
            same_targets = set(sa["targets"]) == set(sb["targets"])
            for key in (corpus, "all"):
                rows[key]["speaker_party_same"] += same_speaker
                rows[key]["targets_same"] += same_targets
            for target in sorted(set(sa["targets"]) & set(sb["targets"])):
                la, lb = sa["targets"][target], sb["targets"][target]
                for key in (corpus, "all"):
                    labels[key][0].append(la)
                    labels[key][1].append(lb)
                if la != lb:
                    disagreements.append({"corpus": corpus, "doc_id": doc, "first_span": a_keys[ai],
                                          "second_span": b_keys[bi], "target_party": target, "first": la, "second": lb})
    report = {}
    for key, row in rows.items():
        la, lb = labels[key]
        report[key] = {
            **row,
            "span_precision": round(row["matched"] / row["spans_second"], 4) if row["spans_second"] else 0.0,
            "span_recall": round(row["matched"] / row["spans_first"], 4) if row["spans_first"] else 0.0,
            "span_f1": round(2 * row["matched"] / (row["spans_first"] + row["spans_second"]), 4)
            if row["spans_first"] + row["spans_second"] else 0.0,
            "speaker_party_agreement": round(row["speaker_party_same"] / row["matched"], 4) if row["matched"] else 0.0,
            "target_agreement": round(row["targets_same"] / row["matched"], 4) if row["matched"] else 0.0,
            "label_pairs": len(la),
            "kappa": round(cohen_kappa(la, lb, LABELS), 4) if la else None,
            "label_agreement": round(sum(x == y for x, y in zip(la, lb)) / len(la), 4) if la else None,
        }
    return {"corpora": dict(sorted(report.items(), key=lambda kv: kv[0] == "all")), "label_disagreements": disagreements}
