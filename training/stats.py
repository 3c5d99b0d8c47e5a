"""Counts that describe the gold corpus: per label, split, corpus, year and dyad; the codebook-2
re-review's changes; the agreement study; and the licences the dataset card must carry."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from model.schema import CODEBOOK_VERSION, LABELS
from training.annotations import CorpusCache, annotated_documents, read_jsonl
from training.dataset import doc_key
from training.review import DROPPED, change_counts

DATA = Path(__file__).resolve().parents[1] / "data"
STUDY_REPORT = DATA / "agreement" / "study-v2" / "report.json"
EFFORT_LOG = DATA / "annotation_log.jsonl"

SOURCES = {  # corpus -> (what, licence and attribution); from each corpus folder's SOURCE.txt
    "reuters21578": ("Reuters-21578, Distribution 1.0 (1987 newswire)",
                     "Copyright Reuters Ltd.; free distribution for research purposes only (Reuters Ltd. and Carnegie Group)."),
    "ungd": ("UN General Debate Corpus (UNGDC), Jankin, Baturo & Dasandi, sessions 2014-2023",
             "CC0 (Harvard Dataverse doi:10.7910/DVN/0TJX8Y); cite the UNGDC papers."),
    "kremlin_en": ("kremlin.ru English news of the President of Russia, 1999-2020 (via iandennismiller/valdai-transcripts)",
                   "CC BY 4.0: content of kremlin.ru, attributed to the Presidential Executive Office, kremlin.ru."),
    "ua_addresses_2022": ("Ukrainian official video addresses, Feb-May 2022 (resistinua project, Amice13/resistinua)",
                          "CC0 1.0 Universal."),
    "wikinews_2019_2021": ("English Wikinews articles 2019 - March 2021 (vanatteveldt/wikinews)",
                           "CC BY 2.5: articles by Wikinews contributors, attributed to Wikinews (en.wikinews.org)."),
    "seed": ("The project's seed article on the 2023 EU-China summit (the codebook's worked examples)",
             "Used for the codebook's worked examples only; always in train."),
}
MODERN_FROM = 2000


def dyad(rec: dict) -> str:
    return f"{rec['speaker_party'] or '(third party)'} -> {rec['target_party']}"


def gold_stats(splits: dict[str, list[dict]], cache: CorpusCache) -> dict:
    """``corpus_stats`` with each document's date read from its corpus (``cache``: the one the splits were
    loaded through, so no corpus is parsed twice)."""
    keys = {(r["corpus"], str(r["doc_id"])) for recs in splits.values() for r in recs}
    return corpus_stats(splits, {f"{c}/{d}": cache.document(c, d).date for c, d in keys})


def record_year(rec: dict, dates: dict[str, str]) -> int | None:
    m = re.search(r"(19|20)\d\d", dates.get(doc_key(rec), ""))
    return int(m.group(0)) if m else None


def corpus_stats(splits: dict[str, list[dict]], dates: dict[str, str] | None = None) -> dict:
    """Everything ``stance data stats`` prints and the dataset card shows. ``dates``: document key -> date."""
    dates = dates or {}
    records = [r for recs in splits.values() for r in recs]
    split_of = {doc_key(r): name for name, recs in splits.items() for r in recs}
    by_corpus = {}
    for c in sorted({r["corpus"] for r in records}):
        rs = [r for r in records if r["corpus"] == c]
        by_corpus[c] = {"statements": len(rs), "documents": len({doc_key(r) for r in rs}),
                        **{lab: sum(r["label"] == lab for r in rs) for lab in LABELS},
                        "splits": {s: sum(split_of[doc_key(r)] == s for r in rs) for s in splits}}
    extraction = Counter(c for c, _ in annotated_documents())
    years = [record_year(r, dates) for r in records]
    new_from_modern = sum(1 for r, y in zip(records, years) if y and y >= MODERN_FROM and "v1" not in r)
    dropped = [rec for _, rec, _ in read_jsonl(DROPPED)] if DROPPED.is_file() else []
    return {
        "codebook": CODEBOOK_VERSION,
        "statements": len(records),
        "documents": len({doc_key(r) for r in records}),
        "labels": {lab: sum(r["label"] == lab for r in records) for lab in LABELS},
        "hard": sum(bool(r.get("hard")) for r in records),
        "third_party": sum(not r["speaker_party"] for r in records),
        "new_statements_2000_2023": new_from_modern,
        "years": dict(sorted(Counter(str(y) if y else "undated" for y in years).items())),
        "splits": {s: {"statements": len(recs), "documents": len({doc_key(r) for r in recs}),
                       "labels": dict(Counter(r["label"] for r in recs))} for s, recs in splits.items()},
        "corpora": by_corpus,
        "extraction_gold_documents": dict(sorted(extraction.items())),
        "dyads": dict(Counter(dyad(r) for r in records).most_common(25)),
        "distinct_dyads": len({dyad(r) for r in records}),
        "annotators": dict(sorted(Counter(r.get("annotator", "?") for r in records).items())),
        "changes_v1_to_v2": change_counts(records, dropped),
        "agreement_study": json.loads(STUDY_REPORT.read_text())["corpora"] if STUDY_REPORT.is_file() else {},
        "effort": effort_summary(),
    }


def effort_summary(path: Path = EFFORT_LOG) -> list[dict]:
    """Annotation effort per batch as logged by the annotators (documents, statements, hours)."""
    return [rec for _, rec, _ in read_jsonl(path)] if path.is_file() else []


def _table(header: list[str], rows: list[list]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]


def dataset_card(s: dict) -> str:
    """``data/README.md``: what the gold corpus holds, how it was made, and how far to trust it."""
    labels = list(s["labels"])
    split_names = list(s["splits"])
    lines = [
        "# Dataset card: summit-stance gold statements",
        "",
        "Generated by `stance data card` from `data/annotations/` and the corpora; do not edit by hand.",
        "",
        f"- Codebook: version {s['codebook']} (`../shared/codebook.md`), refined (never contradicted) by "
        "`CODEBOOK_ADDENDUM.md`; what a statement is and what to mark: `ANNOTATION_GUIDE.md`.",
        f"- {s['statements']} gold statements from {s['documents']} documents; {s['hard']} marked hard (two labels "
        f"stay defensible); {s['third_party']} by third parties (empty speaker party); "
        f"{s['new_statements_2000_2023']} new statements from 2000-2023 sources.",
        "- Records are standoff (corpus, document id, offsets, span hash): no corpus text is stored here. "
        "`training/annotations.py` rebuilds each statement from the corpus and refuses one whose span moved, "
        "and a party that is not a canonical name in `model/parties.py`.",
        "",
        "## Labels", "",
        *_table(labels, [[s["labels"][lab] for lab in labels]]),
        "",
        "## Splits", "",
        "By document, stratified by corpus and majority label, frozen in `splits.json`. Near-duplicate documents "
        "(half of the smaller one's 5-word shingles shared) and documents holding the same statement text always "
        "share a split; `tests/test_gold_v2.py` checks both on the real data.", "",
        *_table(["split", "statements", "documents", *labels],
                [[n, sp["statements"], sp["documents"], *(sp["labels"].get(lab, 0) for lab in labels)]
                 for n, sp in s["splits"].items()]),
        "",
        "## Corpora", "",
        *_table(["corpus", "statements", "documents", *labels, *split_names, "extraction-gold documents"],
                [[n, c["statements"], c["documents"], *(c[lab] for lab in labels), *(c["splits"][sp] for sp in split_names),
                  s["extraction_gold_documents"].get(n, 0)] for n, c in s["corpora"].items()]),
        "",
        "Extraction-gold documents are annotated exhaustively (`annotated_documents.jsonl`), including those "
        "with no statement.", "",
        "Statements by year: " + ", ".join(f"{y}: {n}" for y, n in s["years"].items()) + ".",
        "",
        f"## Dyads ({s['distinct_dyads']} distinct speaker party -> target party pairs; top 25)", "",
        *_table(["dyad", "statements"], list(s["dyads"].items())),
        "",
        "## Sources, licences and attribution", "",
        *_table(["corpus", "source", "licence and attribution"], [[c, *SOURCES[c]] for c in s["corpora"] if c in SOURCES]),
        "",
        "## Codebook version 1 -> 2", "",
        f"Every version-1 record ({s['changes_v1_to_v2']['v1_records_kept_or_dropped']}) was read again under "
        "version 2 (`stance annotate rereview`: frozen version-1 files in `v1/annotations/`, decisions in "
        "`review-v2/`, dropped records in `v1/dropped-under-v2.jsonl`). Re-reviewed records keep their version-1 "
        "values under `v1`. Changes per rule:", "",
        *_table(["rule", "dropped", "re-targeted", "relabelled", "speaker party changed", "hard flag changed", "added"],
                [[rule, *(c.get(k, 0) for k in ("dropped", "retargeted", "relabelled", "speaker party changed",
                                                 "hard flag changed", "added"))]
                 for rule, c in s["changes_v1_to_v2"]["rules"].items()]),
        "",
        "Relabelled: " + ", ".join(f"{k} {v}" for k, v in sorted(s["changes_v1_to_v2"]["relabel_matrix"].items())) + ".",
        "",
        "## Annotation and agreement", "",
        "Each document was read in full and every statement marked and labelled by one annotator, following the "
        "codebook's decision order; no label comes from a rule or a model. Independent agreement study "
        "(`stance annotate study`, `agreement/study-v2/`): a second annotator marked spans, parties and labels from "
        "scratch on the same documents, seeing neither the first annotation nor any model output. Figures are "
        "before adjudication (the first annotation is frozen in `agreement/study-v2/first.jsonl`).", "",
        *_table(["corpus", "documents", "spans (1st / 2nd)", "span F1", "speaker party agr.", "target agr.",
                 "label pairs", "Cohen's kappa"],
                [[n, r["documents"], f"{r['spans_first']} / {r['spans_second']}", f"{r['span_f1']:.3f}",
                  f"{r['speaker_party_agreement']:.3f}", f"{r['target_agreement']:.3f}", r["label_pairs"],
                  "n/a" if r["kappa"] is None else f"{r['kappa']:.3f}"] for n, r in s["agreement_study"].items()]),
        "",
        "Limits: every annotator, first and second, was a language-model session working from the same codebook, "
        "so agreement measures how clearly the codebook reads to that kind of reader more than agreement between "
        "independent human coders. The version-1 blind label study (kappa 0.942 Reuters, 0.935 UN; spans and "
        "parties given) stays reproducible from `v1/agreement/first-annotation-*.jsonl`.", "",
        "## Annotation effort", "",
        *_table(["batch", "annotator", "corpus", "documents", "statements", "hours"],
                [[e["batch"], e["annotator"], e["corpus"], e["documents"], e["statements"], e["hours"]] for e in s["effort"]]),
        "",
        "## Silver data (kept apart)", "",
        "`training/silver.py` maps QuadClass and ConfliBERT CAMEO labels to cooperative/confrontational "
        "(conditional only when a condition is stated); usable only as an optional pre-training stage "
        "(`stance train --silver-epochs N`), never in dev or test.", "",
    ]
    return "\n".join(lines)
