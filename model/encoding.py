"""The one input encoding shared by training, batch scoring and the service.

The stance is *toward* a target, so the model sees who speaks for whom and toward whom
before the words, and the sentence(s) around the statement when they are known. Party names
are canonicalised ("EU", "Brussels" -> "European Union"), so the way a user spells a party does
not change the answer. Unknown parties are written as ``?`` rather than dropped, so a statement
scored without parties looks like the party-dropped examples seen in training; a statement with
no context looks like the context-dropped ones.
"""

from __future__ import annotations

from model.parties import canonical_party

ENCODING_VERSION = "parties-canonical-context-v2"
"""Bump when ``encode_text`` changes: model versions record it and the registry refuses a mismatch."""

UNKNOWN = "?"
MAX_PARTY_CHARS = 60
"""Longer party names are cut: no real party needs more, and an endless one would leave no room for the
statement. Inputs that fit were never changed by this."""
CONTEXT_SEPARATOR = " | "


def party_header(speaker_party: str | None, target_party: str | None) -> str:
    speaker = canonical_party(" ".join((speaker_party or "").split()))[:MAX_PARTY_CHARS] or UNKNOWN
    target = canonical_party(" ".join((target_party or "").split()))[:MAX_PARTY_CHARS] or UNKNOWN
    return f"{speaker} -> {target}"


def encode_text(text: str, speaker_party: str | None = None, target_party: str | None = None,
                context: str | None = None) -> tuple[str, str]:
    """The (first, second) text pair fed to the tokenizer: the party header, then the statement followed
    by its context. Truncation (``only_second``) cuts the context's tail before any of the statement."""
    second = " ".join(text.split())
    context = " ".join((context or "").split())
    if context:
        second += CONTEXT_SEPARATOR + context
    return party_header(speaker_party, target_party), second


def tokenize_batch(tokenizer, items: list[dict], max_length: int, padding: bool | str = True):
    """Tokenize statements (dicts with ``text`` and optional parties and ``context``) as the model expects them."""
    pairs = [encode_text(it["text"], it.get("speaker_party"), it.get("target_party"), it.get("context")) for it in items]
    return tokenizer(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        truncation="only_second",
        max_length=max_length,
        padding=padding,
        return_tensors="np",
    )


def encoded_lengths(tokenizer, items: list[dict], max_length: int) -> list[int]:
    """Each item's token count as the model sees it (truncated to ``max_length``).

    Batches are sorted by this, not by the statement's characters: with its context an item is mostly
    context, and padding every item to its batch's longest is most of the CPU time."""
    return [len(ids) for ids in tokenize_batch(tokenizer, items, max_length, padding=False)["input_ids"]]


def sorted_batches(tokenizer, items: list[dict], max_length: int, batch_size: int):
    """Yield (indices, encoding) for batches of items of similar encoded length, for scoring in any order."""
    lengths = encoded_lengths(tokenizer, items, max_length)
    order = sorted(range(len(items)), key=lengths.__getitem__)
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        yield idx, tokenize_batch(tokenizer, [items[i] for i in idx], max_length)
