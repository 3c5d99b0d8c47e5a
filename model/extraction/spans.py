"""Character-span helpers shared by the candidate finders and the pipeline."""

from __future__ import annotations


def strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim spaces, quote marks and trailing commas/periods off a span's edges."""
    while start < end and text[start] in " \n\t\"'\u201c\u201d\u2018\u2019,:;":
        start += 1
    while end > start and text[end - 1] in " \n\t\"'\u201c\u201d\u2018\u2019,:;.":
        end -= 1
    return start, end


def overlaps(a: tuple[int, int], spans: list[tuple[int, int]], share: float = 0.5) -> bool:
    """Whether ``a`` shares at least ``share`` of the shorter span with any of ``spans``."""
    for s, e in spans:
        inter = min(a[1], e) - max(a[0], s)
        if inter > 0 and inter >= share * min(a[1] - a[0], e - s):
            return True
    return False
