"""A dictionary event coder from the PETRARCH CAMEO verb patterns, mapped to the three stance labels.

This is the rule-based tool a political-event analyst would reach for, rebuilt as a
baseline: find the statement's verbs in the CAMEO verb dictionary (with inflections), take
the code of the first verb (or of a more specific pattern that matches the words after it),
and map the CAMEO root to a stance. It never sees our gold labels.

Root -> label, following the corpus README: 02 APPEAL and 10 DEMAND ask something of the
target (conditional); 13 THREATEN is conditional when a condition is stated, otherwise
confrontational; 03-09 lean cooperative; 11-12 and 14-20 confrontational; 01 (a neutral
statement) and no verb found fall back to cooperative, the codebook's default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

CONDITION = re.compile(r"\b(if|unless|provided|until|as long as)\b", re.I)


@dataclass(frozen=True)
class Pattern:
    words: tuple[str, ...]
    code: str


def _forms(verb: str, irregular: list[str]) -> set[str]:
    v = verb.lower().replace("_", " ")
    forms = {v, *(w.lower().replace("_", " ") for w in irregular)}
    stem = v[:-1] if v.endswith("e") else v
    forms |= {v + "s", v + "es", stem + "ed", stem + "ing", v + "d"}
    if v.endswith("y"):
        forms |= {v[:-1] + "ies", v[:-1] + "ied"}
    return forms


def load_dictionary(path: Path) -> tuple[dict[str, str], dict[str, list[Pattern]]]:
    """(verb form -> code, verb form -> patterns) from a PETRARCH verb-pattern file."""
    verbs: dict[str, str] = {}
    patterns: dict[str, list[Pattern]] = {}
    block_code, block_forms = None, []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        head = re.match(r"^---\s*(\S+)\s*\[([0-9:-]*)\]\s*---", line)
        if head:
            code = head.group(2).split(":")[0]
            block_code = code if code.isdigit() else None
            block_forms = []
            continue
        if line.startswith("-"):
            m = re.match(r"^-\s*(.*?)\[([0-9:-]+)\]", line)
            if m and block_forms:
                code = m.group(2).split(":")[0]
                words = tuple(w.lower().replace("_", " ") for w in m.group(1).split()
                              if w not in ("*", "+", "$", "^") and not w.startswith("&") and code.isdigit())
                if code.isdigit() and words:
                    for form in block_forms:
                        patterns.setdefault(form, []).append(Pattern(words, code))
            continue
        m = re.match(r"^([A-Z][A-Z_'-]*)\s*(?:\{([^}]*)\})?\s*(?:\[([0-9:-]+)\])?", line.strip())
        if not m:
            continue
        code = (m.group(3) or "").split(":")[0] or block_code
        forms = _forms(m.group(1), (m.group(2) or "").split())
        block_forms = list(forms)
        if code and code.isdigit():
            for f in forms:
                verbs.setdefault(f, code)
    return verbs, patterns


def root_to_label(code: str, text: str) -> str:
    root = int(code[:2]) if len(code) >= 2 else int(code)
    if root in (2, 10):
        return "conditional"
    if root == 13:
        return "conditional" if CONDITION.search(text) else "confrontational"
    if root in (11, 12) or root >= 14:
        return "confrontational"
    return "cooperative"


def _in_order(needles: tuple[str, ...], words: list[str]) -> bool:
    """True if every pattern word occurs in ``words`` in the pattern's order."""
    it = iter(words)
    return all(any(w == n for w in it) for n in needles)


class CameoCoder:
    """Code a statement's stance from its first CAMEO verb (or most specific matching pattern)."""

    def __init__(self, path: Path):
        self.verbs, self.patterns = load_dictionary(path)

    def code(self, text: str) -> str | None:
        words = re.findall(r"[a-z][a-z'-]*", text.lower())
        for i, w in enumerate(words):
            pair = f"{w} {words[i + 1]}" if i + 1 < len(words) else None
            form = pair if pair in self.verbs else w if w in self.verbs else None
            if form is None:
                continue
            rest = words[i + 1:i + 12]
            for p in self.patterns.get(form, []):
                if len(p.words) >= 2 and _in_order(p.words, rest):
                    return p.code
            return self.verbs[form]
        return None

    def label(self, text: str) -> str:
        code = self.code(text)
        return root_to_label(code, text) if code else "cooperative"
