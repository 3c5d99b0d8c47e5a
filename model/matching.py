"""One-to-one matching of extracted statement spans to gold spans by character overlap.

Gold spans follow the annotation guide (the statement's own words), while an extractor may
cut a little wider or narrower; an exact-offset match would call those misses. A pair may
match when the shared characters cover at least ``min_overlap`` of the shorter span; pairs
are then taken greedily, best overlap (intersection over union) first, each span used once.
Records that share one span (a statement toward several targets) overlap equally; ``agree`` then
pairs each gold record with the extracted one that gives the same party, not the first in order.
"""

from __future__ import annotations

from typing import Callable, Sequence

Span = tuple[int, int]
MIN_OVERLAP = 0.5


def shared(a: Span, b: Span) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def match_spans(gold: Sequence[Span], found: Sequence[Span], min_overlap: float = MIN_OVERLAP,
                agree: Callable[[int, int], bool] | None = None) -> list[tuple[int, int]]:
    """(gold index, found index) pairs, sorted by gold index; among equal overlaps, pairs for which
    ``agree(gold index, found index)`` holds go first."""
    candidates = []
    for gi, g in enumerate(gold):
        for fi, f in enumerate(found):
            inter = shared(g, f)
            if inter and inter >= min_overlap * min(g[1] - g[0], f[1] - f[0]):
                union = max(g[1], f[1]) - min(g[0], f[0])
                candidates.append((-inter / union, not agree(gi, fi) if agree else False, gi, fi))
    used_gold, used_found, pairs = set(), set(), []
    for _, _, gi, fi in sorted(candidates):
        if gi not in used_gold and fi not in used_found:
            used_gold.add(gi)
            used_found.add(fi)
            pairs.append((gi, fi))
    return sorted(pairs)
