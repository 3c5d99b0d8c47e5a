"""Target choice: which party a statement is about.

The party the statement names (other than the speaker's), else the other side of the article's
main relation; the party spoken to ("warned Washington that ...") comes before both.
"""

from __future__ import annotations

import re

from model.extraction.resolution import UN_PARTIES, mentions, party_in
from model.extraction.speakers import ArticleContext

_PLACE_BEFORE = re.compile(r"\b(?:in|on|around|over|across)\s+(?:the\s+)?$")
"""A party named as a place ("the situation in Syria") is a topic of talks, not the side they are held with."""
_BETWEEN = re.compile(
    r"\b(?:agreements?|deals?|accords?|treat(?:y|ies)|memorand(?:um|a)|pacts?|demarcation)\b[^.;]{0,40}?\bbetween\s+"
    r"(?P<pair>[^.;,]{2,60}?\s+and\s+(?:the\s+)?[A-Z][\w-]*)")
"""An agreement and the two parties it binds ("the border agreement signed between Turkey and Libya")."""
RELATION_WORDS = re.compile(
    r"\b(summit|talks|negotiations?|relations(?:hip)?|dispute|row|rift|tensions?|friction|retaliation|sanctions|"
    r"trade war|bilateral|confrontation|agreement|accord|pact)\b", re.I)


def choose_target(content: str, speaker_party: str, ctx: ArticleContext, addressee: str = "",
                  relation_first: bool = False) -> str | None:
    """The party spoken to, else the party the statement names, else the article's main other party.

    ``relation_first`` (talks, readouts, press statements): the other side of the article's main
    relation comes first unless the statement names other parties as actors, not as places
    ("we discussed the situation in Ukraine" with Hungary's prime minister is toward Hungary).

    A name inside a dyad compound ("EU-China relations") names the relation, not the target,
    so a party named on its own comes first. A third party (analyst, company) has a target
    only when it names one or speaks of the relation itself (the summit, the talks, the
    dispute): otherwise it is talking about markets, not about a party.
    """
    spoken_to = party_in(addressee, ctx.year, exclude=speaker_party or None) if addressee else None
    if spoken_to:
        return spoken_to
    forums = ctx.forums()
    named = [m for m in mentions(content, ctx.year) if m.party != speaker_party and m.party not in forums]
    main = _main_other(speaker_party, ctx)
    actors = [m for m in named if not _PLACE_BEFORE.search(content[max(0, m.start - 12):m.start])]
    if relation_first and main and (not actors or main in {m.party for m in actors}):
        return main
    if named:
        alone = [m for m in named if content[m.end:m.end + 1] != "-" and content[max(0, m.start - 1):m.start] != "-"]
        return (alone or named)[0].party
    if not speaker_party and not RELATION_WORDS.search(content):
        return None
    return main


def _main_other(speaker_party: str, ctx: ArticleContext) -> str | None:
    """The party the article names most, other than the speaker's (ties: the first named)."""
    return next(iter(ctx.ranked_parties({speaker_party, *ctx.forums()})), None)


RELATION_CUES = ("transcript", "readout")
"""Cues whose statements are toward the other side of the article's main relation first."""


def rule_targets(content: str, speaker_party: str, ctx: ArticleContext, addressee: str = "", cue: str = "") -> list[str]:
    """The hand-ordered rules' targets: every party a demand is addressed to, else ``choose_target``'s one."""
    targets = addressed_parties(addressee, speaker_party, ctx.year)
    if len(targets) < 2:
        targets = signatories(content, speaker_party, ctx.year)
    if len(targets) < 2:
        target = choose_target(content, speaker_party, ctx, addressee, relation_first=cue in RELATION_CUES)
        targets = [target] if target else []
    return targets


def signatories(content: str, speaker_party: str, year: int | None) -> list[str]:
    """The parties of an agreement "between X and Y" the statement is about: a statement against (or for) a
    bilateral agreement is toward each signatory (codebook addendum), the speaker's own party left out."""
    m = _BETWEEN.search(content)
    return addressed_parties(m.group("pair"), speaker_party, year) if m else []


def addressed_parties(addressee: str, speaker_party: str, year: int | None) -> list[str]:
    """Every party a demand is addressed to ("urged Washington and Tehran to ..."): one record each."""
    parties = []
    for m in mentions(addressee, year):
        if m.party != speaker_party and m.party not in UN_PARTIES and m.party not in parties:
            parties.append(m.party)
    return parties


def where_named(text: str, start: int, end: int, sentence: str, speaker_party: str, year: int | None) -> str:
    """The closest place another party is named: in the statement, its sentence, its paragraph, or nowhere."""
    p0 = text.rfind("\n", 0, start) + 1
    p1 = text.find("\n", end)
    paragraph = text[p0:p1 if p1 >= 0 else None]
    for where, span in (("content", text[start:end]), ("sentence", sentence), ("paragraph", paragraph)):
        if party_in(span, year, exclude=speaker_party or None):
            return where
    return "none"
