"""Speech mode (UN General Debate, national addresses): the whole text is one party speaking.

Every sentence that names another party is a first-person statement of the speaking party toward it.
"""

from __future__ import annotations

import re
from collections import Counter

from model.extraction.resolution import UN_PARTIES, mentions
from model.extraction.spans import strip_span
from model.schema import Statement
from model.sentences import sentence_spans, statement_context


ADVERSARY = re.compile(r"\b(?:the\s+)?(?:enemy|occupiers?|invaders?|aggressor|occupying\s+(?:forces|army|power))\b", re.I)
"""Words by which a wartime address names its adversary without naming the state."""
_LIST_GAP = re.compile(r"^(?:,\s*|\s+and\s+|,\s+and\s+)(?:the\s+)?$")


def listed_targets(sentence: str, others: list) -> list[str]:
    """The parties of a list the sentence opens with its first party ("Poland, Latvia and the U.S."), in order."""
    parties = [others[0].party]
    for prev, nxt in zip(others, others[1:]):
        if not _LIST_GAP.match(sentence[prev.end:nxt.start]):
            break
        if nxt.party not in parties:
            parties.append(nxt.party)
    return parties


def speech_statements(text: str, speaker_party: str, year: int | None) -> list[Statement]:
    """One statement per sentence naming a party other than the speaker's (and the UN, the venue).

    A list of parties ("we thank Poland, Latvia and the Netherlands") is one record per party; a
    sentence naming only "the enemy" or "the occupiers" is toward the party the speech names most.
    """
    named = Counter(m.party for m in mentions(text, year) if m.party not in (speaker_party, *UN_PARTIES))
    adversary = named.most_common(1)[0][0] if named else None
    statements = []
    for s, e in sentence_spans(text):
        s, e = strip_span(text, s, e)
        sentence = text[s:e]
        others = [m for m in mentions(sentence, year) if m.party not in (speaker_party, *UN_PARTIES)]
        if others:
            targets = listed_targets(sentence, others)
        elif adversary and ADVERSARY.search(sentence):
            targets = [adversary]
        else:
            continue
        end = e + 1 if e < len(text) and text[e] in ".!?" else e
        statements += [Statement(
            text=text[s:end], start=s, end=end, kind="direct", speaker=speaker_party, speaker_party=speaker_party,
            target_party=target, cue="speech", sentence=text[s:end], context=statement_context(text, s, end),
        ) for target in targets]
    return statements
