"""Direct quotations and the attribution beside them.

Quotations are found from the quote marks (straight or curly; an unclosed one runs to its
paragraph's end, as wire copy does for quotes over several paragraphs) and kept only when an
attribution sits next to them (``"...," Michel said`` / ``She added, "..."`` / ``"...," said
U.S. Trade Representative Clayton Yeutter``), or closes the paragraph before one that opens
with the quotation (``The message said, in part:`` on its own line), or they continue the previous
speaker's quotation (the next paragraph, or the next quotation after ``"...," he said.``).
Patterns run over the text with abbreviation dots masked, so "U.S." and "Mr." do not end a phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from model.sentences import mask_abbreviations

_QUOTE_OPEN = "\u201c"
_QUOTE_CLOSE = "\u201d"
MIN_QUOTE_WORDS = 3
MAX_ATTRIBUTION_GAP = 120
"""Characters between two quotations of one paragraph that the first's attribution (``," he said. "``) may take."""

_VERB_ALT = ("said|says|added|adds|told|tells|stated|declared|warned|asked|insisted|stressed|noted|argued|replied|"
             "explained|continued|wrote|writes|complained|acknowledged|commented|remarked|predicted|concluded|tweeted|"
             "posted|announced|responded|answered|cautioned|emphasised|emphasized|urged|vowed|claimed|recalled|"
             "observed|pointed out|went on|according to|read|reads")
_AFTER = re.compile(
    rf"^[ \t,]*(?:(?P<v1>{_VERB_ALT})\s+(?P<s1>[^\"\u201c\u201d.;]{{1,140}}?)(?=[.,;\n]|$)"
    rf"|(?P<s2>[^\"\u201c\u201d.;,\n]{{1,80}}?)\s+(?:also\s+|later\s+|then\s+|further\s+)?(?P<v2>{_VERB_ALT})\b)")
_BEFORE = re.compile(
    rf"(?P<s>[A-Z][^\"\u201c\u201d.;]{{0,120}}?)\s+(?:also\s+)?(?P<v>{_VERB_ALT})\b[^\"\u201c\u201d.;]{{0,60}}?[:,]\s*$")


@dataclass(frozen=True)
class Quote:
    """The inside of one quotation and, when found, who it is attributed to."""

    start: int
    end: int
    speaker: str | None = None
    cue: str | None = None
    speaker_at: int | None = None


def find_quotes(text: str) -> list[tuple[int, int]]:
    """(start, end) of the inside of every quotation; an unclosed one runs to its paragraph's end."""
    spans = []
    for para in re.finditer(r"[^\n]+", text):
        p0, ptext = para.start(), para.group(0)
        marks = [(m.start(), m.group(0)) for m in re.finditer(r"[\"\u201c\u201d]", ptext)]
        open_at = None
        for pos, ch in marks:
            straight = ch == '"'
            if open_at is None and (ch == _QUOTE_OPEN or straight or pos == 0):  # "\u201d" opening a paragraph: a typo
                open_at = pos
            elif open_at is not None and (ch == _QUOTE_CLOSE or straight):
                spans.append((p0 + open_at + 1, p0 + pos))
                open_at = None
        if open_at is not None:
            spans.append((p0 + open_at + 1, p0 + len(ptext)))
    return [s for s in spans if s[1] - s[0] > 1]


def attribute_quotes(text: str, quotes: list[tuple[int, int]]) -> list[Quote]:
    """Each quotation with the attribution after it (``"...," X said``) or before it (``X said: "..."``)."""
    masked = mask_abbreviations(text)
    out = []
    for qs, qe in quotes:
        close = qe + 1 if qe < len(text) and text[qe] in "\"\u201d" else qe
        m = _AFTER.match(masked[close:close + 160])
        if m and (m.group("s1") or m.group("s2")):
            group = "s1" if m.group("s1") else "s2"
            at = close + m.start(group)
            out.append(Quote(qs, qe, text[at:close + m.end(group)].strip(), m.group("v1") or m.group("v2"), at))
            continue
        line_start = text.rfind("\n", 0, qs) + 1
        if not text[line_start:qs].strip(" \t\"\u201c") and text[:line_start].rstrip().endswith(":"):
            line_start = text.rfind("\n", 0, len(text[:line_start].rstrip())) + 1  # a lead-in line "X said:"
        b0 = max(line_start, qs - 200)
        m = _BEFORE.search(masked[b0:max(line_start, qs - 1)].rstrip())
        if m:
            out.append(Quote(qs, qe, text[b0 + m.start("s"):b0 + m.end("s")].strip(), m.group("v"), b0 + m.start("s")))
            continue
        out.append(Quote(qs, qe))
    return out


def attribution_only(gap: str) -> bool:
    """Whether the text between two quotations of a paragraph is one attribution clause (``," he said. "``), so the
    second quotation goes on in the same voice; a further sentence (``... said. Another said "``) has its own."""
    inner = mask_abbreviations(gap).strip(" \"\u201c\u201d,")
    return ("\n" not in gap and len(gap) <= MAX_ATTRIBUTION_GAP and inner.endswith((".", ","))
            and not re.search(r"[.!?;]", inner[:-1]))


def quote_candidates(text: str, body_start: int) -> list[Quote]:
    """Attributed quotations of the body, and unattributed ones that continue the previous speaker's."""
    out = []
    prev_end, prev_quote = -10, None
    for q in attribute_quotes(text, find_quotes(text)):
        if q.start < body_start:
            continue
        if q.speaker is None:
            next_paragraph = text[:q.start].rstrip(" \"\u201c").endswith("\n") and q.start - prev_end < 400
            follows = q.start - prev_end <= 4 or next_paragraph or attribution_only(text[prev_end:q.start])
            if not (follows and prev_quote):
                continue
            q = Quote(q.start, q.end, prev_quote.speaker, "continued", prev_quote.speaker_at)
        if len(text[q.start:q.end].split()) < MIN_QUOTE_WORDS:
            continue
        out.append(q)
        prev_end, prev_quote = q.end, q
    return out
