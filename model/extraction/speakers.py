"""Attribution: who a speaker phrase is ("she", "Michel", "Italian government sources") and their party.

The article is read once for its people (PERSON entities, with the party the words around their
first mention give them: titles, appositions, demonyms, the leader table), its main parties and
its dateline; a speaker phrase is then resolved to the person named earlier (pronouns, bare
surnames) or to the institution or group it names.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from model.extraction.resolution import (GOVERNMENT_WORDS, THIRD_PARTY_WORDS, UN_PARTIES, institution_party,
                                         mentions, party_in, phrase_party)

PRONOUNS = {"he", "she", "they", "it", "we", "i"}
COLLECTIVE = re.compile(r"^(?:the |both |all )?(?:two |both |three )?(?:leaders|presidents|sides|parties|heads of state|"
                        r"prime ministers|interlocutors|delegations|ministers)$", re.I)
DOCUMENT = re.compile(r"^(?:the|this|that|his|her|their|its)\s+(?:message|letter|telegram|document|statement|"
                      r"communiqu[eé]|declaration)$", re.I)
"""A text that speaks ("The message said, in part: ..."): on a government's own site the message is that
government's (the person named just before it is as often its addressee); elsewhere whoever the article last quoted."""


@dataclass
class Speaker:
    """A resolved speaker: a name and the party they speak for ("" for a third party)."""

    name: str
    party: str


@dataclass
class ArticleContext:
    """What the article tells us beyond one sentence: people's parties, the dateline, the main parties."""

    text: str
    year: int | None
    people: dict[str, str] = field(default_factory=dict)  # full name -> party ("" for third parties)
    surnames: dict[str, str] = field(default_factory=dict)  # surname -> full name
    dateline_party: str | None = None
    party_counts: Counter = field(default_factory=Counter)
    first_seen: dict[str, int] = field(default_factory=dict)
    person_mentions: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, name), text order
    last_speaker: Speaker | None = None
    last_institution: Speaker | None = None
    host: Speaker | None = None
    """The first person the article gives a party: who "the leaders" of a readout are reported through."""
    publisher: Speaker | None = None
    """The government whose own site published the article: who an opening "I", "we" or "they" is."""

    def main_party(self) -> str | None:
        """The party the article names most."""
        return self.party_counts.most_common(1)[0][0] if self.party_counts else None

    def forums(self) -> set[str]:
        """Organisations named as a forum ("at the UN", "a UN resolution"), never a target: the UN, unless someone
        in the article speaks for it (the Secretary-General meeting a president), which makes it a side."""
        return UN_PARTIES - set(self.people.values())

    def ranked_parties(self, exclude: set[str]) -> list[str]:
        """The parties the article names, most named first (ties: the first named), without ``exclude``."""
        ranked = sorted(self.party_counts.items(), key=lambda kv: (-kv[1], self.first_seen.get(kv[0], 0)))
        return [p for p, _ in ranked if p not in exclude]

    def guest_party(self) -> str | None:
        """On a government's own site, the party it names most besides its own: who the visitor, caller or
        correspondent of its readout speaks for. None elsewhere."""
        if self.publisher is None:
            return None
        return next(iter(self.ranked_parties({self.publisher.party})), None)

    def speaker_party(self, phrase: str) -> str | None:
        """The party a speaker phrase speaks for; unnamed officials ("the President") speak for the government
        whose own site published the article, else for the dateline's country."""
        default = self.publisher.party if self.publisher else None
        return phrase_party(phrase, self.year, default or self.dateline_party or self.main_party())


_HONORIFIC = re.compile(r"^(?:Mr|Mrs|Ms|Dr|Messrs)\.?\s+(?=[A-Z])")
"""A title the tagger takes into a PERSON ("Ms Lund"): without it the surname finds the person introduced earlier."""
_NAME_PARTICLE = re.compile(r"^(?:\s+(?:von|van|der|den|de|du|da|di|del|la|le|al|bin|ibn|el)\b)+\s+[A-Z][\w'-]+")


def _people(doc, text: str) -> list[tuple[int, int, str]]:
    """PERSON entities, extended over name particles ("Ursula von" + "der Leyen")."""
    out = []
    for ent in doc.ents:
        if ent.label_ != "PERSON" or len(ent.text) < 2:
            continue
        start, end = ent.start_char, ent.end_char
        title = _HONORIFIC.match(ent.text)
        start += title.end() if title and title.end() < len(ent.text) else 0
        m = _NAME_PARTICLE.match(text[end:end + 40])
        if m:
            end += m.end()
        out.append((start, end, text[start:end].strip()))
    return out


def _short_names(name: str) -> list[str]:
    """Ways a later sentence may refer to a person: surname ("Michel", "von der Leyen") or, for Chinese and
    Korean order, the family name first ("Xi")."""
    parts = name.split()
    if len(parts) < 2:
        return []
    out = [parts[-1]]
    lower = [i for i, p in enumerate(parts) if p.islower()]
    if lower:
        out.append(" ".join(parts[lower[0]:]))
    if len(parts) == 2 and len(parts[0]) <= 4:
        out.append(parts[0])
    return out


def learn_people(doc, ctx: ArticleContext) -> None:
    """Map every PERSON in the article to a party from the words around their first mentions."""
    ctx.person_mentions = _people(doc, ctx.text)
    for start, end, name in ctx.person_mentions:
        for short in _short_names(name):
            ctx.surnames.setdefault(short, name)
            ctx.surnames.setdefault(short[:1].upper() + short[1:], name)
        full = ctx.surnames.get(name, name)
        if ctx.people.get(full):
            continue
        sent = next(s for s in doc.sents if s.start_char <= start < s.end_char)
        left = ctx.text[max(sent.start_char, start - 70):start]
        left = re.split(r"[\n,;:.\"\u201c\u201d()]|\b(?:and|said|told|with|met|between)\b", left)[-1]
        right = ctx.text[end:min(sent.end_char, end + 90)]
        appos = re.match(r"^\s*,\s*([^,;\"\u201c\u201d]{3,90})", right)
        context = left + " " + name + (" " + appos.group(1) if appos else "")
        cued = (GOVERNMENT_WORDS.search(context) or THIRD_PARTY_WORDS.search(context) or party_in(left, ctx.year)
                or institution_party(context, ctx.year))
        party = institution_party(name, ctx.year) or (ctx.speaker_party(context) if cued else None)
        if party is not None:
            ctx.people[full] = party
        if party and ctx.host is None:
            ctx.host = Speaker(full, party)


_DATELINE_PREFIX = re.compile(r"^(?:[A-Z][A-Z .'-]+,\s*)?(?:[A-Z][a-z]+\.? \d+\s*)?[-\u2013\u2014]\s*|^[A-Z][A-Z .'-]+\s+[-\u2013\u2014]\s*")


def resolve_speaker(phrase: str, doc, offset: int | None, ctx: ArticleContext) -> Speaker | None:
    """A speaker phrase (``she``, ``Michel``, ``Italian government sources``) -> full name and party."""
    phrase = _DATELINE_PREFIX.sub("", phrase.strip(" ,"))
    phrase = re.sub(r"^(?:but|and|however|meanwhile|also)\s+", "", phrase, flags=re.I)
    if not phrase:
        return None
    low = phrase.lower()
    if COLLECTIVE.match(low):
        return ctx.host
    if DOCUMENT.match(low):
        return ctx.publisher or ctx.last_speaker or ctx.host
    if low in PRONOUNS:
        if low == "it" and ctx.last_institution:
            return ctx.last_institution
        if low in ("i", "we", "they") and ctx.last_speaker is None and ctx.publisher:
            return ctx.publisher  # "I ..." of a message, "They discussed ..." of a readout the article opens with
        if low in ("he", "she") and offset is not None:
            topic = paragraph_person(ctx, offset)
            if topic is not None:
                return resolve_speaker(topic, None, None, ctx)
        if ctx.last_speaker or low not in ("he", "she") or offset is None:
            return ctx.last_speaker
        before = [name for s, _, name in ctx.person_mentions if s < offset]
        return resolve_speaker(before[-1], None, None, ctx) if before else None
    person = None
    if doc is not None and offset is not None:
        person = next((name for s, _, name in ctx.person_mentions if offset <= s < offset + len(phrase) + 1), None)
    if person is None:
        for name in sorted([*ctx.people, *ctx.surnames], key=len, reverse=True):
            if re.search(rf"\b{re.escape(name)}\b", phrase):
                person = name
                break
    if person is not None:
        full = ctx.surnames.get(person, person)
        # "Mr Putin and Mr Netanyahu": the words around the first person, not the second's title.
        own_words = next((p for p in re.split(r"\s+and\s+", phrase) if person in p), phrase).replace(person, "")
        # Only words that name a party (or a third party) beat what the article already said of the person:
        # a bare title ("President Putin", "Mr Putin") does not make Putin speak for the article's main party.
        own = phrase_party(own_words, ctx.year, None)
        party = own if own is not None else ctx.people.get(full)
        if party is None:
            # An official the article never introduces (wire copy: "Wang urged ...") most often speaks for the
            # dateline's country; on a government's own site a person who is not its own office holder is its guest.
            party = (institution_party(full, ctx.year) or ctx.speaker_party(own_words) or ctx.dateline_party
                     or ctx.guest_party() or "")
        return Speaker(full, party)
    party = ctx.speaker_party(phrase)
    if party is None:
        if re.fullmatch(r"(?:[A-Z][\w'.-]+\s?){1,4}", phrase):  # a name the tagger missed: treat as a person
            return Speaker(phrase, institution_party(phrase, ctx.year) or ctx.dateline_party or "")
        return None
    name = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.I) if len(phrase.split()) > 1 else phrase
    return Speaker(name[:1].upper() + name[1:], party)


def paragraph_person(ctx: ArticleContext, offset: int) -> str | None:
    """Who "he" or "she" at ``offset`` is when its paragraph has moved on from the last speaker: the first person
    the paragraph names before it. News copy opens a paragraph with a new speaker ("On Tuesday, Greek prime minister
    X, speaking to ..., called ...") whose own verb the parse may miss; the pronouns after it are still that person's.
    None when the paragraph names the last speaker, or nobody, before ``offset``."""
    p0 = ctx.text.rfind("\n", 0, offset) + 1
    named = [ctx.surnames.get(name, name) for s, _, name in ctx.person_mentions if p0 <= s < offset]
    if not named or ctx.last_speaker is not None and _names(ctx.last_speaker.name, ctx.text[p0:offset]):
        return None
    return named[0]


def _names(person: str, text: str) -> bool:
    """Whether ``text`` names ``person`` in full or by a short name (the tagger misses some mentions)."""
    return any(re.search(rf"\b{re.escape(n)}\b", text) for n in (person, *_short_names(person)))


def article_context(text: str, year: int | None, dateline_party: str | None = None) -> ArticleContext:
    """The context with every party the text names counted (``party_counts``, ``first_seen``)."""
    ctx = ArticleContext(text, year, dateline_party=dateline_party)
    for m in mentions(text, year):
        ctx.party_counts[m.party] += 1
        ctx.first_seen.setdefault(m.party, m.start)
    return ctx
