"""What extraction still gets wrong on annotated documents: each failure in one category, counted per corpus.

``stance eval extraction --failures`` adds this to the metrics: every gold statement no extracted
statement matched (missed), every extracted statement that matched none (false positive), and every
matched pair whose speaker or target party differs from gold, each put in the first category of its
list that the data shows (spans, the unfiltered candidates, party mentions near the statement). The
counts of a kind sum to its failures, so two runs diff as JSON and a fix shows where it moved them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from eval.articles import DocumentMatch, same_party
from model.matching import MIN_OVERLAP, match_spans, shared
from model.sentences import context_span

MISSED = ("span_mismatch", "filtered_by_relevance", "cue_but_no_candidate", "no_speech_cue")
"""span_mismatch: an extracted statement overlaps it (too little, or it matched another gold one);
filtered_by_relevance: a candidate matches it but the relevance filter dropped it; cue_but_no_candidate:
its sentence has a quotation or speech verb but no candidate with a speaker and target came of it;
no_speech_cue: neither."""
FALSE_POSITIVE = ("overlaps_gold", "third_party_speaker", "party_speaker")
"""overlaps_gold: shares words with a gold statement matched to another span (split or duplicate);
otherwise by whether the extracted speaker speaks for a party."""
WRONG_TARGET = ("several_gold_targets", "target_not_named_nearby", "named_but_other_chosen")
"""several_gold_targets: gold gives the span more than one target; target_not_named_nearby: the gold target
is named nowhere in the statement's sentence or the two before it; named_but_other_chosen: it is."""
WRONG_SPEAKER = ("speaker_party_empty", "gold_third_party", "dateline_party", "other_party")
"""speaker_party_empty: extracted as a third party where gold has a party; gold_third_party: the reverse;
dateline_party: the extractor fell back to the dateline's country; other_party: any other mix-up."""
KINDS = {"missed": MISSED, "false_positive": FALSE_POSITIVE, "wrong_target": WRONG_TARGET,
         "wrong_speaker": WRONG_SPEAKER}
NEARBY_SENTENCES = 2
_SPEECH_CUE = re.compile(r"[\"\u201c\u201d]|\baccording to\b", re.I)


@dataclass
class DocumentText:
    """What the categories read beside a document's match: its text and the extractor's view of it."""

    text: str
    year: int | None
    speech: bool
    dateline_party: str | None
    unfiltered: list


def document_text(match: DocumentMatch, corpora) -> DocumentText:
    """Read the document again and extract it with the relevance filter off (the candidates it chose from)."""
    from model.extraction import extract_statements
    from model.extraction.layout import article_layout, dateline_party
    from training.annotate import extraction_args

    doc = corpora.document(match.corpus, match.doc_id)
    args = extraction_args(doc)
    layout = article_layout(doc.text)
    year = layout.year or args["year"]
    unfiltered = extract_statements(doc.text, **args, relevance_filter=False)
    return DocumentText(doc.text, year, "speaker_party" in args, dateline_party(layout, year), unfiltered)


def _has_speech_cue(sentence: str) -> bool:
    from model.extraction.reported import READOUT_VERBS, SAY_VERBS

    words = set(re.findall(r"[a-z]+", sentence.lower()))
    return bool(_SPEECH_CUE.search(sentence) or words & (SAY_VERBS | READOUT_VERBS))


def _sentence(text: str, start: int, end: int, previous: int = 0) -> str:
    span = context_span(text, start, end, previous)
    return text[span[0]:span[1]] if span else text[start:end]


def missed_category(gold: dict, m: DocumentMatch, d: DocumentText, min_overlap: float) -> str:
    span = (gold["start"], gold["end"])
    if any(shared(span, (s.start, s.end)) for s in m.found):
        return "span_mismatch"
    if match_spans([span], [(s.start, s.end) for s in d.unfiltered], min_overlap):
        return "filtered_by_relevance"
    if d.speech or _has_speech_cue(_sentence(d.text, *span)):
        return "cue_but_no_candidate"
    return "no_speech_cue"


def false_positive_category(found, m: DocumentMatch) -> str:
    if any(shared((g["start"], g["end"]), (found.start, found.end)) for g in m.gold):
        return "overlaps_gold"
    return "party_speaker" if found.speaker_party else "third_party_speaker"


def wrong_target_category(gold: dict, m: DocumentMatch, d: DocumentText) -> str:
    from model.extraction.resolution import mentions

    span = (gold["start"], gold["end"])
    targets = {g["target_party"].casefold() for g in m.gold if shared(span, (g["start"], g["end"]))}
    if len(targets) > 1:
        return "several_gold_targets"
    nearby = _sentence(d.text, *span, previous=NEARBY_SENTENCES)
    if any(same_party(p.party, gold["target_party"]) for p in mentions(nearby, d.year)):
        return "named_but_other_chosen"
    return "target_not_named_nearby"


def wrong_speaker_category(gold: dict, found, d: DocumentText) -> str:
    if not found.speaker_party:
        return "speaker_party_empty"
    if not gold["speaker_party"]:
        return "gold_third_party"
    if same_party(found.speaker_party, d.dateline_party):
        return "dateline_party"
    return "other_party"


def document_failures(m: DocumentMatch, d: DocumentText, min_overlap: float) -> dict[str, Counter]:
    """One document's failures counted by category, per kind."""
    counts = {kind: Counter() for kind in KINDS}
    matched_gold = {g for g, _ in m.pairs}
    matched_found = {f for _, f in m.pairs}
    for i, gold in enumerate(m.gold):
        if i not in matched_gold:
            counts["missed"][missed_category(gold, m, d, min_overlap)] += 1
    for j, found in enumerate(m.found):
        if j not in matched_found:
            counts["false_positive"][false_positive_category(found, m)] += 1
    for g, f in m.pairs:
        gold, found = m.gold[g], m.found[f]
        if not same_party(gold["target_party"], found.target_party):
            counts["wrong_target"][wrong_target_category(gold, m, d)] += 1
        if not same_party(gold["speaker_party"], found.speaker_party):
            counts["wrong_speaker"][wrong_speaker_category(gold, found, d)] += 1
    return counts


def _row(counters: list[dict[str, Counter]]) -> dict:
    row = {}
    for kind, categories in KINDS.items():
        total = sum((c[kind] for c in counters), Counter())
        row[kind] = {"total": sum(total.values()), **{cat: total[cat] for cat in categories}}
    return row


def extraction_failures(matches: list[DocumentMatch], corpora=None, min_overlap: float = MIN_OVERLAP) -> dict:
    """Failure categories with counts per corpus and overall; every category is listed, zeros included."""
    from training.annotations import CorpusCache

    corpora = corpora or CorpusCache()
    by_corpus: dict[str, list] = {}
    for m in matches:
        by_corpus.setdefault(m.corpus, []).append(document_failures(m, document_text(m, corpora), min_overlap))
    return {"per_corpus": {name: _row(cs) for name, cs in sorted(by_corpus.items())},
            "all": _row([c for cs in by_corpus.values() for c in cs])}

