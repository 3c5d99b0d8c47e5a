"""Party resolution for speakers: which party a speaker phrase, a person or an institution speaks for.

Names of states, capitals and organisations come from ``model.parties``; people and institutions
whose name alone gives their party away (``Lavrov``, ``the State Department``) come from the data
files beside this module, each row with its source and, for people, the years they held office,
so the table is maintained as data ("Stoltenberg" is West Germany in 1987, NATO in 2019).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from model.parties import PartyMention, find_party_mentions, resolve_party

DATA = Path(__file__).with_name("data")

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
PROPER_NAME_HEADS = re.compile(
    r"^\s*(?:'s\s+)?(?:Agreement|Agreements|agreement|agreements|Accord|Accords|Agenda|Declaration|Protocol|Pathway|"
    r"Framework|Convention|Programme|Program|Process|Principles|Plan|Conference|Summit|Charter|Statute|Round|"
    r"Action|Consensus|format|Format|Peace|Commitment|Call|Communiqu|Vision|Treaty|Strategy|Club|Group)\b")
UN_PARTIES = {"United Nations"}


@dataclass(frozen=True)
class Leader:
    """One office holder: every name they go by, their party, and the years the entry holds."""

    names: tuple[str, ...]
    party: str
    from_year: int
    to_year: int


def _rows(name: str) -> list[dict]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=1)
def leaders() -> tuple[Leader, ...]:
    """The leader table (``data/leaders.csv``): name, aliases, party, from_year, to_year, source."""
    out = []
    for row in _rows("leaders.csv"):
        names = [row["name"], *(a for a in row["aliases"].split(";") if a)]
        if not resolve_party(row["party"]):
            raise ValueError(f"leaders.csv: {row['name']}: unknown party {row['party']!r}")
        out.append(Leader(tuple(names), row["party"], int(row["from_year"]), int(row["to_year"])))
    return tuple(out)


@lru_cache(maxsize=1)
def institutions() -> dict[str, str]:
    """Institution phrase (lower case) -> party, from ``data/institutions.csv``."""
    return {row["phrase"]: row["party"] for row in _rows("institutions.csv")}


@lru_cache(maxsize=1)
def cities() -> dict[str, str]:
    """Non-capital cities that place a dateline in a country, from ``data/cities.csv``."""
    return {row["city"]: row["party"] for row in _rows("cities.csv")}


@lru_cache(maxsize=1)
def publishers() -> dict[str, str]:
    """Government and organisation web domains -> the party that publishes there (``data/publishers.csv``)."""
    return {row["domain"]: row["party"] for row in _rows("publishers.csv")}


def publisher_party(source: str | None) -> str | None:
    """The party whose own site ``source`` (a URL or domain) is: its readouts speak for it."""
    if not source:
        return None
    host = re.sub(r"^[a-z]+://", "", source.strip().lower()).split("/")[0].split(":")[0]
    parts = host.split(".")
    for i in range(len(parts) - 1):
        party = publishers().get(".".join(parts[i:]))
        if party:
            return party
    return None


def leader_party(phrase: str, year: int | None) -> str | None:
    """The party of an office holder named in ``phrase`` in ``year`` (the latest entry when no year is known)."""
    best = None
    for leader in leaders():
        if year is not None and not leader.from_year <= year <= leader.to_year:
            continue
        if any(re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", phrase) for n in leader.names):
            if best is None or leader.to_year > best.to_year:
                best = leader
    return resolve_party(best.party, year) if best else None


def institution_party(phrase: str, year: int | None = None) -> str | None:
    """The party an institution or an office holder named in ``phrase`` belongs to, or None. An office that
    other states have too is theirs when the phrase says so ("Canadian secretary of state", "trade
    representative of the Soviet Union"); the table gives the party of the office unqualified."""
    low = phrase.lower()
    for key, party in institutions().items():
        found = re.search(rf"\b{re.escape(key)}\b", low)
        if found:
            return qualifier_party(phrase, found.start(), found.end(), year) or resolve_party(party, year)
    return leader_party(phrase, year)


def qualifier_party(phrase: str, start: int, end: int, year: int | None) -> str | None:
    """The party named right before ``phrase[start:end]`` ("Canadian ...", "Japan's ...") or right after it
    as "of (the) X"."""
    for m in mentions(phrase, year):
        if phrase[m.end:start].strip() in ("", "'s", "’s") and m.end <= start \
                or re.fullmatch(r"\s+of\s+(?:the\s+)?", phrase[end:m.start]):
            return m.party
    return None


def city_party(city: str, year: int | None) -> str | None:
    """A dateline city's country: a listed city, else a capital or a country named as the place."""
    key = city.strip().lower()
    party = cities().get(key)
    return resolve_party(party, year) if party else resolve_party(key.title(), year)


def is_name_part(text: str, mention: PartyMention) -> bool:
    """True where a country name is only part of another proper name (the Paris Agreement, Samoa Pathway)."""
    return bool(PROPER_NAME_HEADS.match(text[mention.end:mention.end + 30]))


def mentions(text: str, year: int | None) -> list[PartyMention]:
    """Party mentions, without names that are only part of another proper name (the Uruguay Round)."""
    return [m for m in find_party_mentions(text, year) if not is_name_part(text, m)]


def party_in(phrase: str, year: int | None, exclude: str | None = None) -> str | None:
    """The first party ``phrase`` names, other than ``exclude``."""
    for m in mentions(phrase, year):
        if m.party != exclude:
            return m.party
    return None


def phrase_party(phrase: str, year: int | None, default: str | None) -> str | None:
    """The party a speaker phrase speaks for, "" for a third party, or None when it says nothing.

    ``default`` is the party an unnamed government speaker is taken to speak for (the dateline's).
    """
    if THIRD_PARTY_WORDS.search(phrase) and not GOVERNMENT_WORDS.search(phrase):
        return ""
    party = institution_party(phrase, year) or party_in(phrase, year)
    if party:
        return party
    if GOVERNMENT_WORDS.search(phrase):
        return default
    return None
