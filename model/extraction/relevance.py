"""Is an attributed statement about a party relation? A small learned filter over extracted candidates.

The rules of the candidate finders find attributed speech with high recall, but wire copy is full of
officials and traders talking about prices, budgets and rates: attributed, yet not about
another party. A logistic regression over a few cheap features (the statement's words, who
speaks, whether and where another party is named) separates the two. Its weights are fitted
by ``stance extractor fit`` on the training split's documents only, with the threshold chosen
on the dev split, and shipped as ``relevance.json`` beside this file. Each model version carries its
own copy (``model.extraction.weights``), so what a version extracts changes only with a new version;
this package file is the default for a new version and for extraction without one.

Speech mode (a whole speech is one party speaking) has a filter of its own under the file's ``speech``
key: every sentence naming another party is a candidate there, and lists of countries, places and
situations with no actor ("wars in Syria and Yemen") are most of what is not a statement.
"""

from __future__ import annotations

import re

from model.extraction.weights import ExtractorWeights, probability
from model.parties import PartyMention

WEIGHTS_FILE = ExtractorWeights.package_default().relevance
_WORD = re.compile(r"[a-z][a-z'-]+|\d[\d.,]*")


def statement_features(text: str, speaker: str, speaker_party: str, target_named: str, cue: str, kind: str,
                       domestic: bool) -> list[str]:
    """Sparse binary features of one candidate; ``target_named`` is content/sentence/paragraph/none."""
    words = {("<num>" if w[0].isdigit() else w) for w in _WORD.findall(text.lower())}
    feats = [f"w:{w}" for w in words]
    feats += [f"s:{w}" for w in _WORD.findall(speaker.lower())]
    feats += [f"named:{target_named}", f"cue:{cue.lower()}", f"kind:{kind}",
              "third_party" if not speaker_party else "party_speaker", f"domestic:{domestic}",
              f"len:{min(len(text) // 80, 4)}"]
    return feats


def speech_features(sentence: str, speaker_party: str, target: str, named: list[PartyMention]) -> list[str]:
    """Sparse binary features of one speech sentence toward ``target``: its words, how many parties it names
    (``named``, its party mentions: a list), and the words just around the target's first mention ("in Mali",
    "Japan and")."""
    at = [m for m in named if m.party == target]
    feats = statement_features(sentence, "", speaker_party, "content" if at else "none", "speech", "direct", False)
    feats += [f"parties:{min(len({m.party for m in named}), 4)}", f"target_named:{min(len(at), 3)}"]
    if at:
        feats += [f"tpre:{w}" for w in _WORD.findall(sentence[max(0, at[0].start - 25):at[0].start].lower())[-2:]]
        feats += [f"tpost:{w}" for w in _WORD.findall(sentence[at[0].end:at[0].end + 15].lower())[:1]]
    return feats


def keep(features: list[str], weights: dict | None) -> bool:
    """Whether a candidate passes the filter (``weights`` None: none is fitted, every candidate passes)."""
    return weights is None or probability(features, weights) >= weights["threshold"]
