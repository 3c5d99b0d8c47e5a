"""Target choice as a learned ranking over candidate parties.

The hand-ordered rules (``targets``, ``speech``) pick one party by a fixed precedence; codebook 2
asks for the actor, not the named victim, and never the speaker's own party, which the order of
mention alone does not give. The candidates are the parties named in the statement, its sentence,
the sentence before, the headline and the party it is addressed to, plus the two parties the article
names most (the other side of its main relation); a logistic regression over cheap features of each
(where and how often it is named, the words around its mentions, whether the rules chose it) ranks
them. Its weights are fitted by ``stance extractor fit-targets`` on the training split's gold targets
and shipped as ``targets.json`` beside this module; each model version carries its own copy
(``model.extraction.weights``). Without a fitted file the rules' choice stands. The rules still decide
whether a statement has a target and how many; the scorer decides which.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from model.extraction.layout import article_layout
from model.extraction.resolution import UN_PARTIES, mentions
from model.extraction.speakers import ArticleContext
from model.extraction.weights import ExtractorWeights, probability
from model.parties import PartyMention
from model.sentences import sentence_spans

WEIGHTS_FILE = ExtractorWeights.package_default().targets
_WORD = re.compile(r"[a-z][a-z'-]*")
_PLACE_WORDS = {"in", "on", "around", "over", "across"}
_DISTANCES = (0, 50, 200, 600, 2000)


@dataclass(frozen=True)
class TargetQuery:
    """One statement (``text[start:end]``) whose target is chosen, with what the rules chose for it."""

    text: str
    start: int
    end: int
    speaker_party: str
    ctx: ArticleContext
    rules: tuple[str, ...]
    addressee: str = ""
    cue: str = ""


@lru_cache(maxsize=4)
def _sentences(text: str) -> tuple[tuple[int, int], ...]:
    return tuple(sentence_spans(text))


@lru_cache(maxsize=4)
def _mentions(text: str, year: int | None) -> tuple[PartyMention, ...]:
    return tuple(mentions(text, year))


@lru_cache(maxsize=4)
def _headline_end(text: str) -> int:
    return article_layout(text).body_start


def _regions(q: TargetQuery) -> dict[str, tuple[int, int]]:
    """Where a candidate can be named, as offsets: the statement, its sentence, the one before, its paragraph,
    the headline."""
    spans = _sentences(q.text)
    inside = [i for i, (s, e) in enumerate(spans) if e > q.start and s < q.end]
    s0, s1 = (spans[inside[0]][0], spans[inside[-1]][1]) if inside else (q.start, q.end)
    prev = spans[inside[0] - 1] if inside and inside[0] > 0 else (s0, s0)
    p0 = q.text.rfind("\n", 0, q.start) + 1
    p1 = q.text.find("\n", q.end)
    return {"content": (q.start, q.end), "sentence": (min(s0, q.start), max(s1, q.end)), "prev": prev,
            "paragraph": (p0, p1 if p1 >= 0 else len(q.text)), "headline": (0, _headline_end(q.text))}


def _words_around(text: str, m: PartyMention) -> list[str]:
    before = _WORD.findall(text[max(0, m.start - 30):m.start].lower())[-2:]
    after = _WORD.findall(text[m.end:m.end + 20].lower())[:1]
    feats = [f"pre:{before[-1]}"] if before else []
    feats += [f"pre2:{' '.join(before)}"] if len(before) == 2 else []
    feats += [f"post:{after[0]}"] if after else []
    if text[m.end:m.end + 1] == "-" or text[max(0, m.start - 1):m.start] == "-":
        feats.append("compound")
    if before and before[-1] in _PLACE_WORDS or before[-2:-1] and before[-1] == "the" and before[-2] in _PLACE_WORDS:
        feats.append("place")
    return feats


def candidate_features(q: TargetQuery) -> dict[str, list[str]]:
    """Every candidate party with its sparse binary features; the speaker's own party is never one."""
    regions = _regions(q)
    all_mentions = [m for m in _mentions(q.text, q.ctx.year) if m.party != q.speaker_party]
    named: dict[str, set[str]] = {}
    for where, (s, e) in regions.items():
        for m in all_mentions:
            if m.start >= s and m.end <= e:
                named.setdefault(m.party, set()).add(where)
    addressed = {m.party for m in mentions(q.addressee, q.ctx.year)} if q.addressee else set()
    ranked = q.ctx.ranked_parties({q.speaker_party, *q.ctx.forums()})
    ranks = {p: ranked.index(p) if p in ranked else len(ranked) for p in q.ctx.party_counts}
    main = [p for p, r in ranks.items() if r <= 1 and p != q.speaker_party]
    parties = [p for p in (*named, *addressed, *main, *q.rules) if p != q.speaker_party]
    in_content = [m.party for m in all_mentions if q.start <= m.start and m.end <= q.end]
    cue = q.cue.lower() if q.cue.lower() in ("transcript", "readout", "speech", "according to") else "verb" if q.cue else "none"
    speaker = "party" if q.speaker_party else "third"
    out = {}
    for party in dict.fromkeys(parties):
        wheres = sorted(named.get(party, ()))
        ms = [m for m in all_mentions if m.party == party]
        feats = [f"in:{w}" for w in wheres] + [f"{cue}|in:{w}" for w in wheres] + [f"{speaker}|in:{w}" for w in wheres]
        feats += [f"rank:{min(ranks.get(party, 9), 4)}", f"{cue}|rank:{min(ranks.get(party, 9), 2)}",
                  f"count:{min(q.ctx.party_counts.get(party, 0), 16).bit_length()}", f"cue:{cue}"]
        if party in q.rules:
            feats += ["rule", f"rule:{q.rules.index(party) == 0}", f"{cue}|rule"]
        if party in addressed:
            feats.append("addressed")
        if party in in_content:
            feats.append(f"order:{min(list(dict.fromkeys(in_content)).index(party), 2)}")
        if party == q.ctx.dateline_party:
            feats.append("dateline")
        if party in UN_PARTIES:
            feats.append("un")
        if ms:
            gap = min(0 if m.start < q.end and m.end > q.start else min(abs(m.start - q.end), abs(q.start - m.end))
                      for m in ms)
            feats.append(f"dist:{sum(gap > d for d in _DISTANCES)}")
        s, e = regions["sentence"]
        for m in ms:
            if s <= m.start and m.end <= e:
                feats += [f"near:{f}" for f in _words_around(q.text, m)]
        out[party] = list(dict.fromkeys(feats))
    return out


def pick(candidates: dict[str, list[str]], weights: dict, count: int) -> list[str]:
    """The ``count`` best-scoring candidates (as many targets as the rules found: a list, several addressees),
    in the order the text names them, as the rules list them.

    Adding every other candidate above a threshold lifted record F1 on dev gold statements but cost
    extraction precision and target accuracy end to end (``stance eval extraction --split dev``), so the
    rules still say how many targets a statement has; the scorer says which.
    """
    best = sorted(candidates, key=lambda p: -probability(candidates[p], weights))[:count]
    return [p for p in candidates if p in best]


def targets_from(rules: tuple[str, ...], weights: dict | None,
                 candidates: Callable[[], dict[str, list[str]]]) -> list[str]:
    """The targets of one statement: the rules' when no scorer is fitted (``weights`` None) or they find none,
    else the scorer's pick among ``candidates()`` (computed only then)."""
    if weights is None or not rules:
        return list(rules)
    return pick(candidates(), weights, len(rules))


def learned_targets(q: TargetQuery, weights: dict | None) -> list[str]:
    """The targets the extractor gives the statement of ``q``."""
    return targets_from(q.rules, weights, lambda: candidate_features(q))
