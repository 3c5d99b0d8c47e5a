"""Statement inputs read as a stream: a JSONL file, a CSV file, or a folder of article texts.

Batch scoring must handle files far larger than memory and continue after a crash, so every
source yields one ``Row`` at a time and says, with each row, where to continue after it (a
``cursor``). A broken input becomes a row with a ``reason`` instead of an exception: one bad
line never stops a run over a million good ones.
"""

from __future__ import annotations

import codecs
import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Protocol

from model.errors import InputError
from model.extraction.weights import ExtractorWeights
from model.schema import surrogate_problem

STRING_FIELDS = ("speaker", "speaker_party", "target_party", "context")
COUNT_CHUNK = 1 << 20


@dataclass
class Row:
    """One input item, or one rejected input with why; ``cursor`` resumes right after it."""

    where: dict
    cursor: dict
    done: int
    record: dict | None = None
    reason: str | None = None
    raw: str | None = None


class Source(Protocol):
    unit: str

    def total(self) -> int | None: ...

    def extractor(self) -> str | None:
        """The extractor that turns the input into statements (``extractor_version``), None if it holds statements."""

    def rows(self, cursor: dict | None = None) -> Iterator[Row]: ...


def statement_problem(obj) -> str | None:
    """Why a parsed input cannot be scored as a statement, or None if it can."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    problem = surrogate_problem(obj, "the record")
    if problem:
        return problem
    if "text" not in obj:
        return "missing field 'text'"
    if not isinstance(obj["text"], str):
        return "field 'text' is not a string"
    if not obj["text"].strip():
        return "field 'text' is empty"
    for key in STRING_FIELDS:
        if obj.get(key) is not None and not isinstance(obj[key], str):
            return f"field {key!r} is not a string"
    return None


def _printable(raw: bytes) -> str:
    """A line as text for the rejects file, with undecodable bytes shown as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace").rstrip("\r\n")


def _utf8_problem(raw: bytes) -> str | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as e:
        return f"not valid UTF-8 (byte 0x{raw[e.start]:02x} at byte {e.start + 1} of the line)"
    return None


def count_lines(path: Path) -> int:
    """Line count by a fast byte scan, for the progress bar's total (a last line without newline counts)."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(COUNT_CHUNK):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


class JsonlSource:
    """One JSON object per line; the cursor is the byte offset and line number after a line.

    A standoff annotation record (offsets into a corpus, no ``text``) is read with its statement's text and
    context rebuilt from the corpus, so an annotated batch can be scored or evaluated as it is.
    """

    unit = "line"

    def __init__(self, path: Path, require_label: bool = False):
        self.path = Path(path)
        self.require_label = require_label
        self._corpora = None

    def extractor(self) -> None:
        return None

    def total(self) -> int:
        return count_lines(self.path)

    def rows(self, cursor: dict | None = None) -> Iterator[Row]:
        offset, line = (cursor["offset"], cursor["line"]) if cursor else (0, 0)
        with self.path.open("rb") as f:
            f.seek(offset)
            for raw in f:
                offset += len(raw)
                line += 1
                here = {"offset": offset, "line": line}
                if line == 1:
                    raw = raw.removeprefix(codecs.BOM_UTF8)
                if not raw.strip():
                    continue
                yield self._row(raw, line, here)

    def _row(self, raw: bytes, line: int, cursor: dict) -> Row:
        where = {"line": line}
        reason = _utf8_problem(raw)
        if reason is None:
            try:
                obj = json.loads(raw)
            except json.JSONDecodeError as e:
                reason = f"not valid JSON ({e.msg} at column {e.colno})"
            else:
                obj, reason = self._standoff_text(obj)
                reason = reason or statement_problem(obj)
        if reason:
            return Row(where, cursor, line, reason=reason, raw=_printable(raw))
        return Row(where, cursor, line, record=obj)

    def _standoff_text(self, obj) -> tuple[dict, str | None]:
        from training.annotations import AnnotationError, CorpusCache, is_standoff, with_statement_text

        if not isinstance(obj, dict) or not is_standoff(obj):
            return obj, None
        self._corpora = self._corpora or CorpusCache()
        try:
            return with_statement_text(obj, self._corpora, self.require_label), None
        except AnnotationError as e:
            return obj, f"standoff record: {e}"


class CsvSource:
    """A CSV file with a header row naming at least ``text``; the cursor is a byte offset after a record."""

    unit = "line"

    def __init__(self, path: Path):
        self.path = Path(path)
        with self.path.open("rb") as f:  # checked now, so a bad header stops the run before the model loads
            self.header = [h.strip() for h in next(csv.reader(self._lines(f, {"offset": 0, "line": 0})), [])]
        if "text" not in self.header:
            raise InputError(f"{self.path}: the CSV header has no 'text' column (found {self.header or 'nothing'})")

    def extractor(self) -> None:
        return None

    def total(self) -> int:
        return max(count_lines(self.path) - 1, 0)

    @staticmethod
    def _lines(f, pos: dict) -> Iterator[str]:
        """Whole physical lines, counted in ``pos``: csv.reader never reads past the record it returns, so
        ``pos`` after a record is where the next one starts. Bad bytes survive as surrogates, to be rejected."""
        while raw := f.readline():
            pos["offset"] += len(raw)
            pos["line"] += 1
            if pos["line"] == 1:
                raw = raw.removeprefix(codecs.BOM_UTF8)
            yield raw.decode("utf-8", "surrogateescape")

    def rows(self, cursor: dict | None = None) -> Iterator[Row]:
        pos = {"offset": 0, "line": 0}
        with self.path.open("rb") as f:
            reader = csv.reader(self._lines(f, pos))
            next(reader, None)  # the header, read in __init__
            if cursor:
                f.seek(cursor["offset"])
                pos.update(cursor)
            while True:
                begin = dict(pos)
                start = begin["line"] + 1
                error = None
                try:
                    fields = next(reader)
                except StopIteration:
                    return
                except csv.Error as e:
                    fields, error = [], f"not valid CSV ({e})"
                if pos["line"] > start and (error or self._swallows_rows(f, begin["offset"], pos["offset"])):
                    # Reject the line that opened the quote and read on from the next one, so the rows it
                    # swallowed are scored: scored + rejected is the number of rows in the file.
                    reason = (f"unclosed quote: a field opened on line {start} runs on to line {pos['line']}"
                              f"{f' and fails ({error})' if error else ', over lines that are rows of their own'}; "
                              "close or double the quote")
                    f.seek(begin["offset"])
                    pos.update(offset=begin["offset"] + len(f.readline()), line=start)
                    reader = csv.reader(self._lines(f, pos))  # the old one may have read to the end
                    raw = os.pread(f.fileno(), pos["offset"] - begin["offset"], begin["offset"])
                    yield Row({"line": start}, dict(pos), start - 1, reason=reason, raw=_printable(raw))
                    continue
                if error:
                    yield self._reject(start, dict(pos), error, None)
                    continue
                if not fields:
                    continue
                yield self._row(self.header, fields, start, dict(pos))

    def _swallows_rows(self, f, start: int, end: int) -> bool:
        """Whether a record read over several lines took in a line that is a whole row by itself: the sign of
        a stray quote, not of a statement with line breaks in it."""
        lines = os.pread(f.fileno(), end - start, start).decode("utf-8", "surrogateescape").splitlines()
        for line in lines[1:]:
            if line.count('"') % 2 == 0 and len(next(csv.reader([line]), [])) == len(self.header):
                return True
        return False

    def _row(self, header: list[str], fields: list[str], line: int, cursor: dict) -> Row:
        joined = ",".join(fields)
        try:
            joined.encode("utf-8")
        except UnicodeEncodeError as e:
            return self._reject(line, cursor, f"not valid UTF-8 (at character {e.start + 1} of the record)", fields)
        if len(fields) != len(header):
            return self._reject(line, cursor, f"row has {len(fields)} fields; the header has {len(header)}", fields)
        record = dict(zip(header, fields))
        reason = statement_problem(record)
        if reason:
            return self._reject(line, cursor, reason, fields)
        return Row({"line": line}, cursor, cursor["line"] - 1, record=record)

    @staticmethod
    def _reject(line: int, cursor: dict, reason: str, fields: list[str] | None) -> Row:
        raw = None
        if fields is not None:
            raw = ",".join(fields).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        return Row({"line": line}, cursor, cursor["line"] - 1, reason=reason, raw=raw)


class ArticleSource:
    """A folder of UTF-8 ``.txt`` articles; each statement extracted from them is one row.

    Files are taken in name order and the cursor names the file (not its position), so articles
    added to the folder during an interrupted run do not shift what was already scored. ``names``
    limits it to some of the files: the share of the folder one Ray worker scores. ``weights`` are
    the scoring version's fitted extractor files (``ModelVersion.extractor_weights``; None: the package's).
    """

    unit = "article"

    def __init__(self, folder: Path, year: int | None = None, speaker_party: str | None = None,
                 names: list[str] | None = None, weights: ExtractorWeights | None = None):
        self.folder = Path(folder)
        self.year = year
        self.speaker_party = speaker_party
        self.names = set(names) if names is not None else None
        self.weights = weights

    def extractor(self) -> str:
        from model.extraction import extractor_version

        return extractor_version(self.weights)

    def files(self) -> list[Path]:
        found = sorted(self.folder.glob("*.txt"), key=lambda p: p.name)
        return found if self.names is None else [p for p in found if p.name in self.names]

    def total(self) -> int:
        return len(self.files())

    def rows(self, cursor: dict | None = None) -> Iterator[Row]:
        from model.extraction import extract_statements

        for done, path in enumerate(self.files()):
            if cursor and (path.name < cursor["file"] or (path.name == cursor["file"] and cursor["complete"])):
                continue
            skip = cursor["statement"] if cursor and path.name == cursor["file"] else 0
            where = {"file": path.name}
            finished = {"file": path.name, "statement": 0, "complete": True}
            raw = path.read_bytes()
            reason = _utf8_problem(raw)
            if reason:
                yield Row(where, finished, done + 1, reason=reason.replace("of the line", "of the file"))
                continue
            try:
                statements = extract_statements(raw.decode("utf-8"), year=self.year, speaker_party=self.speaker_party,
                                                weights=self.weights)
            except ValueError as e:  # empty, binary or oversized: the article is rejected, the run goes on
                yield Row(where, finished, done + 1, reason=str(e))
                continue
            for j, st in enumerate(statements[skip:], skip):
                last = j == len(statements) - 1
                here = finished if last else {"file": path.name, "statement": j + 1, "complete": False}
                record = {"doc": path.stem, "file": path.name, **st.to_dict()}
                row = Row({**where, "start": st.start, "end": st.end}, here, done + 1 if last else done)
                row.reason = statement_problem(record)
                if row.reason:
                    row.raw = st.text
                else:
                    row.record = record
                yield row


def open_source(path: Path, year: int | None = None, speaker_party: str | None = None,
                weights: ExtractorWeights | None = None) -> Source:
    """The reader for an input path: a folder of articles, a ``.csv`` file, or JSONL (anything else)."""
    path = Path(path)
    if path.is_dir():
        return ArticleSource(path, year, speaker_party, weights=weights)
    if not path.is_file():
        raise InputError(f"input not found: {path}")
    if path.suffix.lower() == ".csv":
        return CsvSource(path)
    return JsonlSource(path)
