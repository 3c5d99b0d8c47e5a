"""The one input encoding shared by training, batch scoring and the service.

The stance is *toward* a target, so the model sees who speaks for whom and toward whom
before the words. Unknown parties are written as ``?`` rather than dropped, so a statement
scored without parties looks like the party-dropped examples seen in training.
"""

from __future__ import annotations

ENCODING_VERSION = "parties-v1"
"""Bump when ``encode_text`` changes: model versions record it and the registry refuses a mismatch."""

UNKNOWN = "?"
MAX_PARTY_CHARS = 60
"""Longer party names are cut: no real party needs more, and an endless one would leave no room for the
statement (the tokenizer refuses to truncate the header). Inputs that fit were never changed by this."""


def encode_text(text: str, speaker_party: str | None = None, target_party: str | None = None) -> tuple[str, str]:
    """The (first, second) text pair fed to the tokenizer: a party header, then the statement."""
    speaker = " ".join((speaker_party or "").split())[:MAX_PARTY_CHARS] or UNKNOWN
    target = " ".join((target_party or "").split())[:MAX_PARTY_CHARS] or UNKNOWN
    return f"{speaker} -> {target}", " ".join(text.split())


def tokenize_batch(tokenizer, items: list[dict], max_length: int, padding: bool | str = True):
    """Tokenize statements (dicts with ``text`` and optional parties) as the model expects them."""
    pairs = [encode_text(it["text"], it.get("speaker_party"), it.get("target_party")) for it in items]
    return tokenizer(
        [p[0] for p in pairs],
        [p[1] for p in pairs],
        truncation="only_second",
        max_length=max_length,
        padding=padding,
        return_tensors="np",
    )
