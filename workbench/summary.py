"""Who directed what at whom in a summit: label shares per party pair and per article date, as a table,
an SVG chart and CSV.

A statement counts with the analysts' settled decision where there is one, else with the model's
suggestion; the ``reviewed`` column says how many of each row's statements an analyst settled.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from html import escape

from model.schema import LABELS
from workbench.store import Statement

COLOURS = {"cooperative": "#1a7f37", "confrontational": "#b42318", "conditional": "#b54708"}
CSV_FIELDS = ("row", "speaker_party", "target_party", "date", *LABELS, "total", "reviewed")


def _counted(s: Statement) -> tuple[str, str, str, bool] | None:
    """(label, speaker party, target party, reviewed?) or None when the statement does not count."""
    final = s.final()
    if final is not None:
        if final["decision"] not in LABELS:
            return None
        return final["decision"], final["speaker_party"], final["target_party"], True
    if s.decided() or s.suggestion is None:  # disputed, or never scored: nothing settled to count
        return None
    return s.suggestion, s.speaker_party, s.target_party, False


def _row(key: dict, counts: Counter, reviewed: int) -> dict:
    total = sum(counts[lab] for lab in LABELS)
    return {**key, "counts": {lab: counts[lab] for lab in LABELS}, "total": total, "reviewed": reviewed,
            "shares": {lab: round(counts[lab] / total, 4) if total else 0.0 for lab in LABELS}}


def summarise(statements: list[Statement], dates: dict[str, str]) -> dict:
    """Rows per (speaker party, target party), largest first, and per article date, in date order."""
    dyads: dict[tuple[str, str], Counter] = defaultdict(Counter)
    days: dict[str, Counter] = defaultdict(Counter)
    for s in statements:
        counted = _counted(s)
        if counted is None or not counted[1]:  # third-party speakers have no dyad
            continue
        label, speaker_party, target_party, reviewed = counted
        for counter in (dyads[(speaker_party, target_party)], days[dates.get(s.doc_id, "")[:10]]):
            counter[label] += 1
            counter["_reviewed"] += reviewed
    by_dyad = [_row({"speaker_party": sp, "target_party": tp}, c, c["_reviewed"]) for (sp, tp), c in dyads.items()]
    by_dyad.sort(key=lambda r: (-r["total"], r["speaker_party"], r["target_party"]))
    by_date = [_row({"date": d}, c, c["_reviewed"]) for d, c in sorted(days.items()) if d]
    return {"dyads": by_dyad, "dates": by_date if len(by_date) > 1 else []}


def summary_csv(summary: dict) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_FIELDS, lineterminator="\n")
    writer.writeheader()
    for kind in ("dyads", "dates"):
        for r in summary[kind]:
            writer.writerow({"row": kind[:-1], "speaker_party": r.get("speaker_party", ""),
                             "target_party": r.get("target_party", ""), "date": r.get("date", ""),
                             **r["counts"], "total": r["total"], "reviewed": r["reviewed"]})
    return out.getvalue()


def share_chart(rows: list[dict], names: list[str], title: str) -> str:
    """A horizontal stacked bar per row (shares of the three labels), with counts, as accessible inline SVG."""
    label_w, bar_w, bar_h, gap, top = 250, 420, 22, 10, 34
    height = top + len(rows) * (bar_h + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_w + bar_w + 70} {height}" role="img" '
             f'aria-labelledby="chart-{id(rows)}" class="chart"><title id="chart-{id(rows)}">{escape(title)}</title>']
    x = label_w
    for lab in LABELS:  # the legend
        parts.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLOURS[lab]}"/>'
                     f'<text x="{x + 16}" y="16" font-size="12">{lab}</text>')
        x += 130
    for i, (row, name) in enumerate(zip(rows, names)):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="{label_w - 8}" y="{y + 15}" font-size="12" text-anchor="end">{escape(name)}</text>')
        x = float(label_w)
        for lab in LABELS:
            w = row["shares"][lab] * bar_w
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[lab]}">'
                             f'<title>{escape(name)}: {lab} {row["counts"][lab]} of {row["total"]}</title></rect>')
                if w > 26:
                    parts.append(f'<text x="{x + w / 2:.1f}" y="{y + 15}" font-size="11" fill="#fff" '
                                 f'text-anchor="middle">{row["shares"][lab]:.0%}</text>')
            x += w
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 15}" font-size="12">n={row["total"]}</text>')
    parts.append("</svg>")
    return "".join(parts)
