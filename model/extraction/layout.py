"""An article's layout before its body: headline, dateline, and the place and year they give.

Wire and web copy open with a headline line and a dateline ("MOSCOW, April 8 (Reuters) -",
"WASHINGTON (AP) --", "Friday, January 3, 2020"); neither is a statement, so spans start after
them, while the dateline's city still tells which country unnamed officials speak for and its
date which year the article was written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from model.extraction.resolution import city_party

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_DATE = rf"(?:{_WEEKDAY},?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:,\s*(?:19|20)\d\d)?|\d{{1,2}}\s+{_MONTH}(?:\s+(?:19|20)\d\d)?)"
_DATELINE = re.compile(
    rf"(?P<city>[A-Z][A-Za-z .'-]{{1,40}}?)\s*(?:,\s*(?P<date>{_DATE}))?\s*(?:\((?P<agency>[^)\n]{{1,40}})\)\s*)?"
    rf"(?:[-\u2013\u2014]{{1,2}}|:)\s*")
_DATE_LINE = re.compile(rf"^\s*{_DATE}\s*$")
_YEAR = re.compile(r"\b(19[4-9]\d|20[0-4]\d)\b")
HEADLINE_MAX = 200


@dataclass(frozen=True)
class Layout:
    """Where the body starts, and what the headline and dateline say."""

    title_end: int
    """Offset after the headline (0 when the article has none)."""
    body_start: int
    """Offset after the headline and the dateline: no statement starts before it."""
    city: str | None
    year: int | None


def _headline_end(text: str) -> int:
    """The end of a first line that is a headline: short, no sentence end, followed by more lines."""
    first = text.split("\n", 1)[0]
    rest = text[len(first):]
    if not rest.strip() or not first.strip() or len(first) > HEADLINE_MAX:
        return 0
    stripped = first.strip()
    if stripped.isupper() or (not re.search(r"[.!?,:;\"\u201d]$", stripped) and not re.search(r"[\"\u201c]|: ", stripped)):
        return len(first) + len(rest) - len(rest.lstrip("\n"))
    return 0


def article_layout(text: str) -> Layout:
    """The headline, then an optional date line, then a "CITY, Date (Agency) -" dateline."""
    title_end = _headline_end(text)
    pos = title_end
    year = None
    line_end = text.find("\n", pos)
    if line_end > pos and _DATE_LINE.match(text[pos:line_end]):
        year = _year_of(text[pos:line_end])
        pos = line_end + 1 + len(text[line_end + 1:]) - len(text[line_end + 1:].lstrip("\n"))
    m = _DATELINE.match(text, pos)
    city = None
    if m and (m.group("date") or m.group("agency") or m.group("city").isupper()):
        city = m.group("city").strip()
        year = year or _year_of(m.group("date") or "")
        pos = m.end()
    return Layout(title_end, pos, city, year)


def _year_of(date: str) -> int | None:
    m = _YEAR.search(date)
    return int(m.group(0)) if m else None


def dateline_party(layout: Layout, year: int | None) -> str | None:
    """The country of the dateline's city, if the article has one."""
    return city_party(layout.city, year) if layout.city else None
