"""Sentence boundaries and the context a statement is read in.

One regex splitter (no parser) so training, extraction and serving cut sentences the same way and
fast; titles and abbreviations ("Mr.", "U.S.", "Gen.", "Jan.") and initials do not end a sentence.
"""

from __future__ import annotations

import re

ABBREVIATIONS = ("Mr", "Mrs", "Ms", "Dr", "St", "No", "Nos", "Art", "para", "paras", "vs", "Jr", "Sr", "Gen", "Sen",
                 "Rep", "Gov", "Lt", "Col", "Capt", "Prof", "Rev", "Amb", "Messrs", "Co", "Corp", "Inc", "Ltd", "approx",
                 "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
                 "U.S", "U.K", "U.N", "E.U", "H.E", "U.S.S.R", "E.C")
_ABBREVIATION_END = re.compile(r"(?:\b(?:" + "|".join(re.escape(a) for a in ABBREVIATIONS) + r"|[A-Z])\.)$")
_ABBREVIATION_DOT = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(a) for a in sorted(ABBREVIATIONS, key=len, reverse=True)) + r"|[A-Z])(?=\.)")
ABBREVIATION_MARK = "\u2024"
"""What ``mask_abbreviations`` puts in place of an abbreviation's dot (one character, so offsets hold)."""
_BOUNDARY = re.compile(r"(?<=[.!?])[\"\u201d\u2019)]*\s+(?=[A-Z\u201c\"(\u2018'])|\n+")
CONTEXT_CHARS = 600
"""A context longer than this is cut around the statement: the model reads 128 tokens in all."""


def mask_abbreviations(text: str) -> str:
    """``text`` with the dots of titles, initials and abbreviations ("Mr.", "U.S.", "Gen.", "Jan.") replaced by
    ``ABBREVIATION_MARK``, same length: patterns that stop at a full stop then read "U.S. officials" whole."""
    chars = list(text)
    for m in _ABBREVIATION_DOT.finditer(text):
        for i in range(m.start(), m.end() + 1):
            if text[i] == ".":
                chars[i] = ABBREVIATION_MARK
    return "".join(chars)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; a paragraph break always ends one."""
    spans, start = [], 0
    for m in _BOUNDARY.finditer(text):
        if m.group(0).strip() == "" and "\n" not in m.group(0) and _ABBREVIATION_END.search(text[max(0, m.start() - 8):m.start()]):
            continue
        end = m.start() + len(m.group(0).rstrip())
        if text[start:end].strip():
            spans.append((start, end))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text.rstrip())))
    return spans


def context_span(text: str, start: int, end: int, previous: int = 1) -> tuple[int, int] | None:
    """Offsets of the sentence(s) holding ``text[start:end]`` and the ``previous`` sentence(s) before them:
    what ``statement_context`` reads, as standoff offsets (artifacts store these, never the words)."""
    spans = sentence_spans(text)
    inside = [i for i, (s, e) in enumerate(spans) if e > start and s < end]
    if not inside:
        return None
    return spans[max(0, inside[0] - previous)][0], spans[inside[-1]][1]


def statement_context(text: str, start: int, end: int, previous: int = 1) -> str:
    """The sentence(s) holding ``text[start:end]`` and the ``previous`` sentence(s) before them, on one line.

    A label often hangs on words outside the span ("warned that ... unless", a demand in the sentence
    before), so training and serving both give the model this context next to the statement.
    """
    span = context_span(text, start, end, previous)
    if span is None:
        return ""
    ctx = " ".join(text[span[0]:span[1]].split())
    return ctx[-CONTEXT_CHARS:] if len(ctx) > CONTEXT_CHARS else ctx
