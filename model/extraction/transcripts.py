"""Transcripts: speech under a speaker heading ("President of Russia Vladimir Putin: Mr Prime Minister, ...").

Press statements, news conferences and interviews are published as paragraphs of first-person
speech, each turn opened by its speaker's name and title and a colon. Every paragraph of a turn is
a candidate statement of that speaker; turns of questioners ("Question:", a journalist's name)
are not, because their speaker's party is none (the pipeline drops them at attribution).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(?P<who>[A-Z][^:\n.!?\u201c\u201d\"]{1,160}?)(?:\s*\((?:re-?translated|via interpreter)\))?:[ \t]+",
                      re.M)
_TRAILER = re.compile(r"^(?:Publication date|Direct link|Published in sections?|Tags?|See also)\b", re.I)
_SMALL_WORDS = {"of", "the", "and", "de", "von", "der", "al", "bin", "el", "da", "di", "van", "la", "le", "du"}
MAX_HEADING_WORDS = 24
MIN_PARAGRAPH_WORDS = 5


@dataclass(frozen=True)
class Turn:
    """One paragraph of a speaker's turn: its span and the heading that names the speaker."""

    start: int
    end: int
    speaker: str
    speaker_at: int


def is_heading(who: str) -> bool:
    """A speaker heading is a short run of capitalised words (names and titles), not a sentence."""
    words = who.replace("(", " ").replace(")", " ").split()
    return 0 < len(words) <= MAX_HEADING_WORDS and not _TRAILER.match(who) and all(
        w[:1].isupper() or w.lower() in _SMALL_WORDS or w[:1].isdigit() for w in words)


def transcript_turns(text: str, body_start: int = 0) -> list[Turn]:
    """Every paragraph spoken under a speaker heading, up to the next heading or a trailer line."""
    turns, speaker, speaker_at = [], None, 0
    for para in re.finditer(r"[^\n]+", text):
        if para.end() <= body_start:
            continue
        line, p0 = para.group(0), para.start()
        if _TRAILER.match(line):
            speaker = None
            continue
        m = _HEADING.match(line)
        start = p0
        if m and is_heading(m.group("who")):
            speaker, speaker_at = m.group("who").strip(), p0
            start = p0 + m.end()
        if speaker is None or len(text[start:para.end()].split()) < MIN_PARAGRAPH_WORDS:
            continue
        turns.append(Turn(start, para.end(), speaker, speaker_at))
    return turns
