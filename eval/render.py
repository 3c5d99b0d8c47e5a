"""A small document (headings, paragraphs, tables, images) written out as Markdown or standalone HTML.

Reports are built once as blocks and rendered twice, so the Markdown and HTML summaries can
never disagree about a number.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1rem}th,td{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}
.num{text-align:right}th{background:#f3f3f3}img{max-width:100%;margin:.5rem 0}
.figs{display:flex;flex-wrap:wrap;gap:1rem}.figs img{max-width:29rem}p.note{color:#555;font-size:.9rem}"""


@dataclass
class Report:
    title: str
    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(("h2", text))

    def paragraph(self, text: str, note: bool = False) -> None:
        self.blocks.append(("note" if note else "p", text))

    def table(self, header: list[str], rows: list[list]) -> None:
        """A table; columns holding only numbers are right-aligned, text columns left-aligned."""
        if not rows:
            self.paragraph("(none)", note=True)
            return
        numeric = [all(isinstance(r[i], (int, float, type(None))) for r in rows) for i in range(len(header))]
        self.blocks.append(("table", header, [[_cell(c) for c in r] for r in rows], numeric))

    def images(self, images: list[tuple[str, str]]) -> None:
        """(file name relative to the report, caption) pairs, shown side by side in HTML."""
        self.blocks.append(("images", images))

    def markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for kind, *args in self.blocks:
            if kind == "h2":
                out += [f"## {args[0]}", ""]
            elif kind in ("p", "note"):
                out += [f"_{args[0]}_" if kind == "note" else args[0], ""]
            elif kind == "table":
                header, rows, numeric = args
                out.append("| " + " | ".join(header) + " |")
                out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
                out += ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows]
                out.append("")
            elif kind == "images":
                out += [f"![{cap}]({name})" for name, cap in args[0]] + [""]
        return "\n".join(out)

    def html(self) -> str:
        e = html.escape
        out = [f"<!doctype html><html><head><meta charset='utf-8'><title>{e(self.title)}</title>",
               f"<style>{CSS}</style></head><body><h1>{e(self.title)}</h1>"]
        for kind, *args in self.blocks:
            if kind == "h2":
                out.append(f"<h2>{e(args[0])}</h2>")
            elif kind in ("p", "note"):
                out.append(f"<p class='{kind}'>{e(args[0])}</p>")
            elif kind == "table":
                header, rows, numeric = args
                cls = ["num" if n else "txt" for n in numeric]
                out.append("<table><tr>" + "".join(f"<th class='{c}'>{e(h)}</th>" for c, h in zip(cls, header)) + "</tr>")
                out += ["<tr>" + "".join(f"<td class='{c}'>{e(v)}</td>" for c, v in zip(cls, r)) + "</tr>" for r in rows]
                out.append("</table>")
            elif kind == "images":
                out.append("<div class='figs'>" + "".join(
                    f"<figure><img src='{e(name)}' alt='{e(cap)}'><figcaption>{e(cap)}</figcaption></figure>"
                    for name, cap in args[0]) + "</div>")
        out.append("</body></html>")
        return "\n".join(out)


def _cell(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def _md_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def interval(ci: list[float] | None) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "–"
