"""Corpus readers: one interface for Reuters-21578, the UN General Debates and plain-text folders.

Annotations point into documents by ``(corpus, doc_id, start, end)``, so the text each
reader returns is the contract: it must be deterministic. Readers normalise layout only
(hard line wraps joined, SGML entities decoded); they never change words.
"""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Iterator, Protocol

CORPORA_ENV = "STANCE_CORPORA"


def corpora_root(override: str | Path | None = None) -> Path:
    """The folder holding the corpora: an explicit path, ``$STANCE_CORPORA``, or ``../shared/corpora``."""
    if override:
        return Path(override)
    if os.environ.get(CORPORA_ENV):
        return Path(os.environ[CORPORA_ENV])
    for base in (Path.cwd(), Path(__file__).resolve().parents[1]):
        candidate = base.parent / "shared" / "corpora"
        if candidate.is_dir():
            return candidate
    return Path.cwd().parent / "shared" / "corpora"


@dataclass(frozen=True)
class Document:
    """One article or speech, with the text every offset refers to."""

    corpus: str
    doc_id: str
    text: str
    title: str = ""
    date: str = ""
    places: tuple[str, ...] = ()
    meta: dict = field(default_factory=dict, compare=False, hash=False)


class Corpus(Protocol):
    name: str

    def ids(self) -> list[str]: ...

    def get(self, doc_id: str) -> Document: ...

    def __iter__(self) -> Iterator[Document]: ...


class _IndexedCorpus:
    """Shared ``ids``/``get``/iteration on top of a ``_load`` that returns every document by id."""

    name = ""

    @cached_property
    def _docs(self) -> dict[str, Document]:
        return self._load()

    def _load(self) -> dict[str, Document]:  # pragma: no cover - overridden
        raise NotImplementedError

    def ids(self) -> list[str]:
        return list(self._docs)

    def get(self, doc_id: str) -> Document:
        try:
            return self._docs[str(doc_id)]
        except KeyError:
            raise KeyError(f"{self.name}: no document {doc_id!r}") from None

    def __iter__(self) -> Iterator[Document]:
        return iter(self._docs.values())


_REUTERS_DOC = re.compile(r"<REUTERS\b([^>]*)>(.*?)</REUTERS>", re.S)
_TAG = {t: re.compile(rf"<{t}>(.*?)</{t}>", re.S) for t in ("TITLE", "DATELINE", "BODY", "DATE", "PLACES")}
_ENTITY_CONTROL = re.compile(r"&#(?:[0-9]|[12][0-9]|3[01]|127);")


def _reuters_clean(raw: str) -> str:
    return html.unescape(_ENTITY_CONTROL.sub("", raw))


def reflow_reuters_body(body: str) -> str:
    """Join the wire's 70-column wraps; an indented line starts a new paragraph."""
    body = re.sub(r"\s*Reuter\s*$", "", body.rstrip(), flags=re.I)
    paragraphs: list[str] = []
    for line in body.split("\n"):
        if not line.strip():
            continue
        if line.startswith((" ", "\t")) or not paragraphs:
            paragraphs.append(line.strip())
        else:
            paragraphs[-1] += " " + line.strip()
    return "\n".join(re.sub(r"[ \t]+", " ", p) for p in paragraphs)


class ReutersCorpus(_IndexedCorpus):
    """Reuters-21578 SGML: text is ``TITLE`` + blank line + dateline and reflowed body."""

    name = "reuters21578"

    def __init__(self, root: Path):
        self.folder = Path(root) / "reuters21578" / "sgm"

    def _load(self) -> dict[str, Document]:
        if not self.folder.is_dir():
            raise FileNotFoundError(f"Reuters-21578 SGML folder not found: {self.folder}")
        docs: dict[str, Document] = {}
        for path in sorted(self.folder.glob("reut2-*.sgm")):
            for attrs, inner in _REUTERS_DOC.findall(path.read_text(encoding="latin-1")):
                newid = re.search(r'NEWID="(\d+)"', attrs).group(1)
                body = _TAG["BODY"].search(inner)
                if not body:
                    continue
                title = _tag_text(inner, "TITLE")
                dateline = _tag_text(inner, "DATELINE")
                text_body = reflow_reuters_body(_reuters_clean(body.group(1)))
                head = f"{title}\n\n" if title else ""
                text = head + (f"{dateline} " if dateline else "") + text_body
                places = tuple(re.findall(r"<D>(.*?)</D>", _TAG["PLACES"].search(inner).group(1)))
                docs[newid] = Document(self.name, newid, text, title, _tag_text(inner, "DATE"), places)
        return docs


def _tag_text(inner: str, tag: str) -> str:
    m = _TAG[tag].search(inner)
    return re.sub(r"\s+", " ", _reuters_clean(m.group(1))).strip() if m else ""


_TERMINAL = ('.', '!', '?', ':', ';', '"', '\u201d', "'", '\u2019', ')')


def reflow_pdf_lines(raw: str) -> str:
    """Join lines that a PDF extraction broke mid-sentence; keep real paragraph ends."""
    paragraphs: list[str] = []
    open_sentence = False
    for line in raw.replace("\r", "").split("\n"):
        line = re.sub(r"[ \t\u00a0]+", " ", line).strip()
        if not line:
            continue
        if open_sentence and paragraphs:
            paragraphs[-1] += " " + line
        else:
            paragraphs.append(line)
        open_sentence = not line.endswith(_TERMINAL)
    return "\n".join(paragraphs)




class UNGDCorpus(_IndexedCorpus):
    """UN General Debate speeches; ``doc_id`` is the file stem (``USA_70_2015``), the speaker is the country."""

    name = "ungd"

    def __init__(self, root: Path):
        self.folder = Path(root) / "ungd" / "TXT"

    def _load(self) -> dict[str, Document]:
        if not self.folder.is_dir():
            raise FileNotFoundError(f"UN General Debate folder not found: {self.folder}")
        docs: dict[str, Document] = {}
        for path in sorted(self.folder.glob("Session */*.txt")):
            iso3, session, year = path.stem.rsplit("_", 2)
            iso3 = iso3.rstrip("_")
            text = reflow_pdf_lines(path.read_text(encoding="utf-8", errors="replace"))
            country = country_name(iso3)
            docs[path.stem] = Document(
                self.name, path.stem, text, f"{country} at the UN General Debate {year}", year,
                (country,), {"iso3": iso3, "session": int(session), "speaker_party": country},
            )
        return docs


def clean_paragraphs(raw: str) -> str:
    """Web text as one paragraph a line: spaces (incl. no-break) collapsed, blank lines dropped."""
    lines = (re.sub(r"[ \t\u00a0]+", " ", line).strip() for line in raw.replace("\r", "").split("\n"))
    return "\n".join(line for line in lines if line)


def _unique_id(doc_id: str, taken: dict) -> str:
    """Ids repeat in some exports (the same address posted twice): the later copies get -2, -3, ..."""
    if doc_id not in taken:
        return doc_id
    n = 2
    while f"{doc_id}-{n}" in taken:
        n += 1
    return f"{doc_id}-{n}"


class _JsonlCorpus(_IndexedCorpus):
    """A corpus exported as one JSON object a line with ``id``, ``text`` and optional ``title``/``date``/``url``."""

    file = ""

    def __init__(self, root: Path):
        self.path = Path(root) / self.name / self.file

    def _load(self) -> dict[str, Document]:
        docs: dict[str, Document] = {}
        for row in _jsonl_rows(self.path):
            doc_id = _unique_id(str(row["id"]), docs)
            docs[doc_id] = self._document(doc_id, row)
        return docs

    def _document(self, doc_id: str, row: dict) -> Document:
        return Document(self.name, doc_id, clean_paragraphs(row["text"]), row.get("title", ""), row.get("date", ""),
                        (), {"url": row.get("url", "")})


class KremlinCorpus(_JsonlCorpus):
    """kremlin.ru English news 1999-2020 (CC BY 4.0); ``doc_id`` is the site's id, text the article body."""

    name = "kremlin_en"
    file = "kremlin_en.jsonl"


class UAAddressesCorpus(_JsonlCorpus):
    """Ukrainian official video addresses, Feb-May 2022 (CC0); every speaker speaks for Ukraine."""

    name = "ua_addresses_2022"
    file = "ua_addresses_2022.jsonl"

    def _document(self, doc_id: str, row: dict) -> Document:
        doc = super()._document(doc_id, row)
        return replace(doc, places=("Ukraine",), meta={**doc.meta, "speaker": row.get("speaker", ""),
                                                      "speaker_party": "Ukraine"})


class WikinewsCorpus(_IndexedCorpus):
    """English Wikinews 2019 - March 2021 (CC BY 2.5); ``doc_id`` is the article's URL slug.

    The text keeps Wikinews' first line (the publication date): it is the article's dateline.
    """

    name = "wikinews_2019_2021"

    def __init__(self, root: Path):
        self.folder = Path(root) / "wikinews_2019_2021"

    def _load(self) -> dict[str, Document]:
        import csv

        if not self.folder.is_dir():
            raise FileNotFoundError(f"Wikinews folder not found: {self.folder}")
        csv.field_size_limit(1 << 30)
        docs: dict[str, Document] = {}
        for path in sorted(self.folder.glob("wikinews_*.csv")):
            with path.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f):
                    doc_id = _unique_id(row["url"].rstrip("/").rsplit("/", 1)[-1], docs)
                    docs[doc_id] = Document(self.name, doc_id, clean_paragraphs(row["text"]), row.get("title", ""),
                                            row.get("date", ""), (), {"url": row["url"]})
        return docs


def _jsonl_rows(path: Path) -> Iterator[dict]:
    import json

    if not path.is_file():
        raise FileNotFoundError(f"corpus file not found: {path}")
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


class FolderCorpus(_IndexedCorpus):
    """A folder of UTF-8 ``.txt`` articles (a new summit's coverage); ``doc_id`` is the file stem."""

    def __init__(self, folder: Path, name: str | None = None):
        self.folder = Path(folder)
        self.name = name or self.folder.name

    def _load(self) -> dict[str, Document]:
        if not self.folder.is_dir():
            raise FileNotFoundError(f"article folder not found: {self.folder}")
        docs = {}
        for path in sorted(self.folder.glob("*.txt")):
            text = path.read_text(encoding="utf-8")
            title = text.strip().split("\n", 1)[0][:200]
            docs[path.stem] = Document(self.name, path.stem, text, title)
        return docs


def country_name(iso3: str) -> str:
    """The short English name of an ISO 3166 alpha-3 code (UN General Debate file names use them)."""
    from model.parties import ISO3

    return ISO3.get(iso3, iso3)


SEED = "seed"
CORPUS_NAMES = ("reuters21578", "ungd", "kremlin_en", "ua_addresses_2022", "wikinews_2019_2021", SEED)


def open_corpus(name: str, root: str | Path | None = None) -> Corpus:
    """A corpus by name (``reuters21578``, ``ungd``, ``kremlin_en``, ``ua_addresses_2022``,
    ``wikinews_2019_2021``, ``seed``), a workbench workspace (``workspace:<slug>``) or a folder of ``.txt`` files."""
    base = corpora_root(root)
    if name == ReutersCorpus.name:
        return ReutersCorpus(base)
    if name == UNGDCorpus.name:
        return UNGDCorpus(base)
    for reader in (KremlinCorpus, UAAddressesCorpus, WikinewsCorpus):
        if name == reader.name:
            return reader(base)
    if name == SEED:
        return FolderCorpus(base.parent / "seed", SEED)
    if name.startswith("workspace:"):  # a summit reviewed in the analyst workbench: text from its SQLite file
        from workbench.corpus import WorkspaceCorpus

        return WorkspaceCorpus(name)
    for folder in (Path(name), base / name):
        if folder.is_dir():
            return FolderCorpus(folder)
    raise FileNotFoundError(f"unknown corpus {name!r}: not one of {', '.join(CORPUS_NAMES)} or a folder (looked in {base})")
