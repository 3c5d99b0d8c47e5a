"""Speech mode (UN General Debate, national addresses): the whole text is one party speaking.

Every sentence that names another party is a first-person statement of the speaking party toward it.
"""

from __future__ import annotations

from model.extraction.resolution import UN_PARTIES, mentions
from model.extraction.spans import strip_span
from model.schema import Statement
from model.sentences import sentence_spans, statement_context


def speech_statements(text: str, speaker_party: str, year: int | None) -> list[Statement]:
    """One statement per sentence naming a party other than the speaker's (and the UN, the venue)."""
    statements = []
    for s, e in sentence_spans(text):
        s, e = strip_span(text, s, e)
        sentence = text[s:e]
        others = [m for m in mentions(sentence, year) if m.party not in (speaker_party, *UN_PARTIES)]
        if not others:
            continue
        end = e + 1 if e < len(text) and text[e] in ".!?" else e
        statements.append(Statement(
            text=text[s:end], start=s, end=end, kind="direct", speaker=speaker_party, speaker_party=speaker_party,
            target_party=others[0].party, cue="speech", sentence=text[s:end], context=statement_context(text, s, end),
        ))
    return statements
