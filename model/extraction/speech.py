"""Speech mode (UN General Debate, national addresses): the whole text is one party speaking.

Every sentence that names another party is a first-person statement of the speaking party toward it.
A speech to another party's parliament or people (its salutations or its title say whose) also
addresses that party: a sentence that asks, thanks or presses "you" is toward it (codebook 2, step 0:
"or when they address it").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from model.extraction.relevance import keep, speech_features
from model.extraction.resolution import UN_PARTIES, institution_party, mentions
from model.extraction.spans import strip_span
from model.extraction.speakers import ArticleContext, article_context
from model.extraction.target_scorer import TargetQuery, learned_targets
from model.parties import canonical_party
from model.schema import Statement
from model.sentences import mask_abbreviations, sentence_spans, statement_context


ADVERSARY = re.compile(r"\b(?:the\s+)?(?:enemy|occupiers?|invaders?|aggressor|occupying\s+(?:forces|army|power))\b", re.I)
"""Words by which a wartime address names its adversary without naming the state."""
_LIST_GAP = re.compile(r"^(?:,\s*|\s+and\s+|,\s+and\s+)(?:the\s+)?$")
_SALUTATION_LINES = 12
_SALUTATION_CHARS = 160
_PEOPLE = re.compile(r"\b(?:people|citizens|nation)\b", re.I)
_ADDRESS_TITLE = re.compile(r"^(?:speech|address)\b|\baddress(?:ed|es)?\b", re.I)
TO_ADDRESSEE = re.compile(
    r"\b(?:urge|call on|calling on|ask|appeal to|thank|grateful to|count on|rely on|invite|need)\s+(?:all\s+(?:of\s+)?)?you\b"
    r"|\byou\s+(?:must|should|can|could|need|have to|will)\b|\bthank you\b"
    r"|\byour\s+(?:government|state|country|parliament|companies|support|help|assistance|decision|position|ports?|sanctions)\b",
    re.I)
"""Words that put a demand, a request or thanks to the party addressed; any "you" alone added more sentences
that are not statements than statements (dev: ua_addresses_2022 precision 0.70 -> 0.60)."""
_VOCATIVE = re.compile(
    r"^(?:the\s+|to\s+(?:the\s+)?|my\s+|our\s+)?(?:dear|ladies|gentlemen|mr|mrs|ms|members|greetings|hello"
    r"|good\s+(?:morning|afternoon|evening))\b"
    r"|\b(?:people|nation|citizens|friends|compatriots|brothers|sisters|deputies|senators)\b", re.I)
_SALUTATION_WORDS = 12
_INNER_STOP = re.compile(r"[.!?]\s+\S")
_VENUE_BEFORE = re.compile(r"\bin\s+(?:the\s+)?$")


def listed_targets(sentence: str, others: list) -> list[str]:
    """The parties of a list the sentence opens with its first party ("Poland, Latvia and the U.S."), in order."""
    parties = [others[0].party]
    for prev, nxt in zip(others, others[1:]):
        if not _LIST_GAP.match(sentence[prev.end:nxt.start]):
            break
        if nxt.party not in parties:
            parties.append(nxt.party)
    return parties


@dataclass(frozen=True)
class Speech:
    """Who a speech is by and for: the speaking party, the party it calls "the enemy" and the one it addresses."""

    speaker_party: str
    year: int | None
    adversary: str | None = None
    addressee: str | None = None


def speech_scene(text: str, speaker_party: str, year: int | None, addressee: str | None = None,
                 title: str = "") -> tuple[Speech, ArticleContext]:
    """The speech's parties: its adversary (named most) and its addressee (``addressee``, else inferred)."""
    ctx = article_context(text, year)
    addressee = canonical_party(addressee, year) if addressee else speech_addressee(text, speaker_party, year, title)
    return Speech(speaker_party, year, speech_adversary(ctx, speaker_party), addressee), ctx


def speech_targets(sentence: str, speech: Speech) -> list[str]:
    """The rules' targets of one sentence of a speech: the parties it lists first, else the adversary it
    names; and the addressee when the sentence asks, thanks or presses "you" (``TO_ADDRESSEE``).

    The UN is never one here: in a UN debate it is the venue, and letting a sentence naming it be toward it
    added far more non-statements than statements (dev, ungd: extraction F1 0.729 -> 0.642)."""
    others = [m for m in mentions(sentence, speech.year) if m.party not in (speech.speaker_party, *UN_PARTIES)]
    if others:
        targets = listed_targets(sentence, others)
    else:
        targets = [speech.adversary] if speech.adversary and ADVERSARY.search(sentence) else []
    if speech.addressee and speech.addressee not in targets and TO_ADDRESSEE.search(sentence):
        targets.append(speech.addressee)

    return targets


def speech_statements(text: str, speaker_party: str, year: int | None, scorer: dict | None,
                      addressee: str | None = None, relevance: dict | None = None,
                      with_features: bool = False) -> list[Statement]:
    """One statement per sentence naming a party other than the speaker's (and the UN, the venue).

    A list of parties ("we thank Poland, Latvia and the Netherlands") is one record per party; a
    sentence naming only "the enemy" or "the occupiers" is toward the party the speech names most.
    A sentence asking or thanking "you" is also toward the party addressed (``addressee``, else
    ``speech_addressee``); greeting lines ("Greek people!") are not statements. ``relevance`` is the speech
    filter's fitted weights (None: every record is kept); ``with_features`` keeps its inputs in ``extra``.
    The learned target scorer's fitted ``scorer`` (None: not fitted) chooses among the candidates instead
    (``target_scorer``).
    """
    speech, ctx = speech_scene(text, speaker_party, year, addressee)
    statements = []
    for s, e in sentence_spans(text):
        s, e = strip_span(text, s, e)
        if is_salutation(text[s:e]):
            continue
        targets = learned_targets(speech_query(text, s, e, speech, ctx), scorer)
        if not targets:
            continue
        end = e + 1 if e < len(text) and text[e] in ".!?" else e
        named = mentions(text[s:end], year)
        for target in targets:
            features = speech_features(text[s:end], speaker_party, target, named)
            if not keep(features, relevance):
                continue
            statements.append(Statement(
                text=text[s:end], start=s, end=end, kind="direct", speaker=speaker_party, speaker_party=speaker_party,
                target_party=target, cue="speech", sentence=text[s:end], context=statement_context(text, s, end),
                extra={"features": features} if with_features else {}))
    return statements


def speech_adversary(ctx: ArticleContext, speaker_party: str) -> str | None:
    """The party a speech names most besides the speaker's own and the UN: who "the enemy" is."""
    return next(iter(ctx.ranked_parties({speaker_party, *UN_PARTIES})), None)


def speech_query(text: str, start: int, end: int, speech: Speech, ctx: ArticleContext) -> TargetQuery:
    """The target scorer's query for one sentence of a speech."""
    rules = tuple(speech_targets(text[start:end], speech))
    spoken_to = speech.addressee if speech.addressee and TO_ADDRESSEE.search(text[start:end]) else ""
    return TargetQuery(text, start, end, speech.speaker_party, ctx, rules, spoken_to, cue="speech")


def _one_call(line: str) -> bool:
    """A line that is one exclamation or form of address ("Dear Mr. Speaker!"), not sentences that go on."""
    return line.endswith(("!", ",")) and not _INNER_STOP.search(mask_abbreviations(line))


def is_salutation(sentence: str) -> bool:
    """A greeting line ("**Dear members of the Greek Parliament!**", "Greek people!"): it names a party but
    says nothing toward it."""
    line = sentence.strip().strip("*").strip()
    return (len(line.split()) <= _SALUTATION_WORDS and _one_call(line)
            and bool(_VOCATIVE.search(line.rstrip("!,").strip())))


def salutations(text: str) -> list[str]:
    """The short lines a speech opens with ("Dear Mr. Speaker!", "People of Finland!"), before its first paragraph."""
    lines = []
    for line in text.split("\n")[:_SALUTATION_LINES]:
        line = line.strip().strip("*").strip()
        if not line:
            continue
        if len(line) > _SALUTATION_CHARS or not _one_call(line):
            break
        lines.append(line)
    return lines


def speech_addressee(text: str, speaker_party: str, year: int | None, title: str = "") -> str | None:
    """The party a speech is addressed to: the people its salutations greet ("People of Finland!"), else the
    parliament or body its title names ("Speech ... in the Knesset", "... at the NATO Summit"), else any party
    a salutation names. None for a speech to the speaker's own people or to the UN, its venue."""
    def named(phrase: str, venue_ok: bool = True) -> str | None:
        for m in mentions(phrase, year):
            if m.party in (speaker_party, *UN_PARTIES):
                continue
            if not venue_ok and (_VENUE_BEFORE.search(phrase[:m.start]) and m.surface.lower() != m.party.lower()
                                 or phrase[m.end:m.end + 2] in ("'s", "\u2019s")):
                continue  # "... Conference in Warsaw", "... day of Russia's attacks": a venue or a topic
            return m.party
        return None

    def institution(phrase: str) -> str | None:
        party = institution_party(phrase, year)
        return party if party not in (None, speaker_party, *UN_PARTIES) else None

    lines = salutations(text)
    for line in lines:
        if _PEOPLE.search(line) and (party := named(line)):
            return party
    if title and _ADDRESS_TITLE.search(title) and (party := institution(title) or named(title, venue_ok=False)):
        return party
    for line in lines:
        if party := named(line) or institution(line):
            return party
    return None
