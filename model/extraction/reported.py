"""Reported speech from the dependency parse: a speech verb with a subject, whose clause is the statement.

``X said (that) ...``, ``X urged Y to ...`` (the verb phrase is the statement), ``X told Y that ...``,
``..., adding that ...`` and ``X was quoted as saying ...`` (the subject is the head verb's),
``Minister X, who said ...`` (the subject is the name the clause hangs on), ``As X noted, ...`` (the
statement is the clause the as-clause hangs on), and ``According to X, ...``.
"""

from __future__ import annotations

import re

SPEECH_ACTS = {
    "denounce", "denounced", "denounces", "decried", "decries", "deplored", "deplores", "slammed", "slams", "lambasted",
    "calling", "denouncing", "criticising", "criticizing", "accusing", "rejecting", "welcoming", "praising",
    "condemning", "blaming", "demanding", "pledging", "promising", "threatening", "pressing", "opposing",
    "claimed", "claims",
}
"""Reported speech acts whose verb phrase is the statement ("denounced the deal", "..., calling it illegal")."""
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
    "assured", "recall", "recalled", "conclude", "concluded", "concludes", "deem", "deemed", "deems",
    "forecast", "praise", "praised", "praises", "endorse", "endorsed", "hail", "hailed", "condemn", "condemned",
    "condemns", "blame", "blamed", "blames", "appeal", "appealed", "appeals", "request", "requested", "requests",
    "regret", "regretted", "protest", "protested", "object", "objected", "caution", "cautioned", "doubt",
    "doubted", "doubts", "expressed", "expresses", "repeated", "spoke",
    "tweet", "tweeted", "tweets", "wrote", "writes", "posted", "posts", "underscored", "underlined", "reaffirmed",
    "highlighted", "signalled", "signaled", "vowing", "saying", "alleged", "alleges", "retorted", "countered",
    *SPEECH_ACTS,
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
    *SPEECH_ACTS,
}
# Verbs that only report someone else's speech (CCTV reported that X urged ...).
RELAY_VERBS = {"report", "reported", "quote", "quoted"}

def subtree_span(tok) -> tuple[int, int]:
    sub = list(tok.subtree)
    return sub[0].idx, sub[-1].idx + len(sub[-1].text)


def speaker_span(subj, verb) -> tuple[int, int]:
    """The speaker phrase: the subject's subtree, without the verb's own clause when that hangs on the subject
    ("Minister X, who said ...")."""
    start, end = subtree_span(subj)
    if verb.dep_ == "relcl" and verb.head is subj:
        before = [t for t in subj.subtree if t.i < verb.left_edge.i]
        end = before[-1].idx + len(before[-1].text)
    return start, end


_ADDRESSING_PREPS = {("on", "call"), ("upon", "call"), ("to", "appe")}
"""(preposition, the verb's first four letters) that name whom a demand is addressed to: "call on", "appeal to"."""


def addressee(tok, text: str) -> str:
    """Who the speech verb is addressed to ("warned Washington that ...", "urged the EU to ...", "called on Italy
    and Egypt to ...", "appealed to Russia to ..."), as text."""
    obj = next((c for c in tok.children if c.dep_ in ("dobj", "dative")), None)
    if obj is None:
        prep = next((c for c in tok.children if c.dep_ == "prep" and (c.lower_, tok.lower_[:4]) in _ADDRESSING_PREPS),
                    None)
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None) if prep is not None else None
    if obj is None:
        return ""
    start, end = subtree_span(obj)
    return text[start:end]


def partner(subj) -> tuple[int, int] | None:
    """The second of a joint subject ("Vladimir Putin and Angela Merkel discussed ..."), as offsets: in a readout
    of a call or a meeting, the one the speaker spoke with."""
    conj = next((c for c in subj.children if c.dep_ == "conj"), None)
    return subtree_span(conj) if conj is not None else None


def reported_spans(sent):
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
        if subj is None and tok.dep_ == "pcomp" and tok.head.lower_ == "as":
            # "X was quoted as saying ...": the subject is the one quoted.
            subj = next((c for c in tok.head.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
        if subj is not None and subj.lower_ == "who" and tok.dep_ == "relcl":
            subj = tok.head  # "Minister X, who said ...": the speaker is the name the clause describes
        if subj is None or subj.lower_ in ("that", "which", "who"):
            continue
        comps = [c for c in tok.children if c.dep_ in ("ccomp", "xcomp", "advcl", "dobj", "prep", "conj", "dative", "oprd")]
        ccomps = [c for c in tok.children if c.dep_ == "ccomp"]
        if tok.lower_ in RELAY_VERBS and ccomps:
            continue  # the relayed clause has its own speaker and verb
        if ccomps:
            starts, ends = zip(*(subtree_span(c) for c in ccomps))
            start, end = min(starts), max(ends)
            if end > tok.idx:  # "X said (that) CONTENT"; otherwise "CONTENT, X said" keeps the clause as is
                first = min(ccomps, key=lambda c: c.i)
                mark = next((c for c in first.children if c.dep_ == "mark" and c.lower_ in ("that", "if", "whether")), None)
                start = mark.idx + len(mark.text) if mark is not None and mark.i < first.i else start
        elif as_clause := as_clause_content(tok):
            start, end = as_clause
        elif tok.lower_ in VP_VERBS and comps:
            start = tok.idx
            end = max(subtree_span(c)[1] for c in comps if c.i > tok.i) if any(c.i > tok.i for c in comps) else tok.idx + len(tok.text)
        elif tok.lower_ in ("told", "tell", "tells"):
            obj = next((c for c in tok.children if c.dep_ in ("dobj", "dative")), None)
            rel = next((g for g in (obj.children if obj is not None else []) if g.dep_ in ("relcl", "acl")
                        and any(m.dep_ == "mark" and m.lower_ == "that" for m in g.children)), None)
            if rel is None:
                continue
            mark = next(m for m in rel.children if m.dep_ == "mark" and m.lower_ == "that")
            start, end = mark.idx + len(mark.text), subtree_span(rel)[1]
        else:
            continue
        if end - start < 12:
            continue
        found.append((tok, subj, start, end))
    return found


def as_clause_content(tok) -> tuple[int, int] | None:
    """"As X noted, CONTENT" / "CONTENT, as X stressed": the clause the as-clause hangs on, without it."""
    if tok.dep_ != "advcl" or not any(c.dep_ == "mark" and c.lower_ == "as" for c in tok.children):
        return None
    head0, head1 = subtree_span(tok.head)
    as0, as1 = subtree_span(tok)
    return (as1, head1) if as0 <= head0 else (head0, as0)


def according_to(sent):
    """``According to X, CONTENT`` and ``CONTENT, according to X``."""
    m = re.search(r"\b[Aa]ccording to ([^,]{2,90})", sent.text)
    if not m:
        return None
    s0 = sent.start_char
    source = according_to_source(m.group(1))
    at = s0 + m.start(1) + m.group(1).find(source)
    if m.start() < 3:
        rest = sent.text[m.end():]
        return source, at, s0 + m.end() + (len(rest) - len(rest.lstrip(" ,"))), sent.end_char
    return source, at, s0, s0 + m.start()


# Verbs of a meeting or call readout: the whole sentence is what the parties said to each other.
READOUT_VERBS = {
    "discussed", "agreed", "exchanged", "emphasised", "emphasized", "stressed", "noted", "expressed", "reaffirmed",
    "confirmed", "informed", "thanked", "reviewed", "focused", "underscored", "underlined", "welcomed",
    "congratulated", "briefed", "touched", "highlighted", "pointed", "voiced", "conveyed", "reiterated", "praised",
    "considered", "addressed", "wished", "extended", "invited", "accepted", "condemned", "supported", "called",
    "spoke", "talked", "shared", "assured", "offered", "proposed", "declared", "outlined", "appreciated",
    "studied", "examined", "assessed", "commended",
}
PASSIVE_READOUT_VERBS = {
    "discussed", "agreed", "decided", "noted", "stressed", "emphasised", "emphasized", "reaffirmed", "confirmed",
    "reviewed", "considered", "expressed", "underlined", "underscored", "highlighted", "touched", "addressed",
    "exchanged", "voiced", "welcomed", "praised",
}
"""Readout verbs whose passive ("... was noted", "it was agreed to ...") is still the parties' account of the talks."""
ADDRESSED_VERBS = {"informed", "thanked", "congratulated", "invited", "assured", "briefed", "called", "urged"}
"""Readout verbs whose object is the party spoken to; the object of the others is a topic ("discussed Syria")."""
_STATEMENT_FROM = re.compile(r"^(?:an?|the)\s+(?:joint\s+)?(?:statement|communiqu\w*|readout|release)\s+(?:from|by|of)\s+",
                             re.I)


def readout_span(sent):
    """(verb, subject) when the sentence's main verb reports a meeting ("the leaders discussed ..."); the subject is
    None when the readout is passive ("the situation in Syria was discussed", "it was agreed to ...")."""
    root = sent.root
    if root.lower_ in PASSIVE_READOUT_VERBS and root.tag_ == "VBN" and any(c.dep_ == "auxpass" for c in root.children):
        return root, None
    if root.lower_ not in READOUT_VERBS or root.tag_ not in ("VBD", "VBZ", "VBP"):
        return None
    subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
    if subj is None or subj.lower_ in ("that", "which", "who", "it", "this"):
        return None
    return root, subj


def according_to_source(phrase: str) -> str:
    """The source in "according to a statement from the Kremlin": the Kremlin, not the statement."""
    return _STATEMENT_FROM.sub("", phrase.strip())
