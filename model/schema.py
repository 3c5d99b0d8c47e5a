"""The statement record every part of summit-stance shares, and the label set."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

LABELS: tuple[str, ...] = ("cooperative", "confrontational", "conditional")
"""Codebook labels (unchanged in version 2), in the model's output order. Changing this breaks every model version."""

CODEBOOK_VERSION = 2


def surrogate_problem(value, where: str = "text") -> str | None:
    """Where ``value`` (a string, or any JSON value) holds a lone surrogate, which valid JSON may carry
    (``"\\ud800"``) but no tokenizer or UTF-8 writer accepts; None if it holds none."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            return f"{where} holds an unpaired surrogate (U+{ord(value[e.start]):04X} at character {e.start + 1})"
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        problem = surrogate_problem(key, f"a key of {where}") or surrogate_problem(item, f"{where}.{key}")
        if problem:
            return problem
    return None

Kind = Literal["direct", "reported"]


@dataclass
class Statement:
    """One attributed statement in an article: what was said, by whom, for whom, toward whom.

    ``start``/``end`` are character offsets of the statement's own words in the article
    text; ``sentence`` is the enclosing sentence (or sentences, for a long quotation), and
    ``context`` the previous sentence plus that one (``model.sentences.statement_context``), which
    the stance model reads beside the statement. An empty ``speaker_party`` marks a third party (analyst, company, academic).
    """

    text: str
    start: int
    end: int
    kind: Kind
    speaker: str
    speaker_party: str
    target_party: str
    cue: str
    sentence: str = ""
    context: str = ""
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        d = asdict(self)
        if not d.pop("extra"):
            return d
        return {**d, **self.extra}
