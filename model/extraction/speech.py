"""Speech mode (UN General Debate, national addresses): the whole text is one party speaking.

Every sentence that names another party is a first-person statement of the speaking party toward it.
"""

from __future__ import annotations

import re

from model.extraction.resolution import UN_PARTIES, mentions
from model.extraction.spans import strip_span
from model.extraction.speakers import ArticleContext, article_context
from model.extraction.target_scorer import TargetQuery, learned_targets
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


def speech_targets(sentence: str, speaker_party: str, adversary: str | None, year: int | None) -> list[str]:
    """The rules' targets of one sentence of a speech: the parties it lists first, else the adversary it names."""
    others = [m for m in mentions(sentence, year) if m.party not in (speaker_party, *UN_PARTIES)]
    if others:
        return listed_targets(sentence, others)
    return [adversary] if adversary and ADVERSARY.search(sentence) else []


def speech_statements(text: str, speaker_party: str, year: int | None, scorer: dict | None) -> list[Statement]:
    """One statement per sentence naming a party other than the speaker's (and the UN, the venue).

    A list of parties ("we thank Poland, Latvia and the Netherlands") is one record per party; a
    sentence naming only "the enemy" or "the occupiers" is toward the party the speech names most.
    The learned target scorer's fitted ``scorer`` (None: not fitted) chooses among the candidates instead
    (``target_scorer``).
    """
    ctx = article_context(text, year)
    adversary = speech_adversary(ctx, speaker_party)
    statements = []
    for s, e in sentence_spans(text):
        s, e = strip_span(text, s, e)
        rules = speech_targets(text[s:e], speaker_party, adversary, year)
        targets = learned_targets(TargetQuery(text, s, e, speaker_party, ctx, tuple(rules), cue="speech"), scorer)
        if not targets:
            continue
        end = e + 1 if e < len(text) and text[e] in ".!?" else e
        statements += [Statement(
            text=text[s:end], start=s, end=end, kind="direct", speaker=speaker_party, speaker_party=speaker_party,
            target_party=target, cue="speech", sentence=text[s:end], context=statement_context(text, s, end),
        ) for target in targets]
    return statements


def speech_adversary(ctx: ArticleContext, speaker_party: str) -> str | None:
    """The party a speech names most besides the speaker's own and the UN: who "the enemy" is."""
    named = {p: n for p, n in ctx.party_counts.items() if p not in (speaker_party, *UN_PARTIES)}
    return min(named, key=lambda p: (-named[p], ctx.first_seen[p]), default=None)
