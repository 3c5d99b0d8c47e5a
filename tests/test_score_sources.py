"""The resume contract of every input source: continuing from any row's cursor yields exactly the rows after it."""

from __future__ import annotations

import json

import pytest

from eval.inputs import ArticleSource, CsvSource, JsonlSource, count_lines, open_source
from model.errors import InputError


def _key(row) -> tuple:
    return json.dumps(row.where, sort_keys=True), row.reason, json.dumps(row.record, sort_keys=True)


def assert_resumes_everywhere(source) -> list:
    rows = list(source.rows())
    assert rows
    for k, row in enumerate(rows):
        rest = list(source.rows(json.loads(json.dumps(row.cursor))))  # cursors survive a JSON round trip
        assert [_key(r) for r in rest] == [_key(r) for r in rows[k + 1:]], f"resuming after row {k}"
    assert rows[-1].done == source.total()
    return rows


def test_jsonl_cursor(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"text": "first, after a BOM"}\n\n{"text": ""}\nnot json\n'
                     b'{"text": "caf\xc3\xa9"}\n{"text": "no newline at the end"}')
    rows = assert_resumes_everywhere(JsonlSource(path))
    assert [(r.where["line"], r.reason) for r in rows] == [
        (1, None), (3, "field 'text' is empty"), (4, "not valid JSON (Expecting value at column 1)"),
        (5, None), (6, None)]
    assert rows[3].record == {"text": "caf\u00e9"}


def test_csv_cursor_across_multiline_records(tmp_path):
    path = tmp_path / "in.csv"
    path.write_bytes(b'text,speaker_party\n"one\nspread over\nthree lines",China\nplain,Japan\n\n,empty\n"last",EU')
    assert isinstance(open_source(path), CsvSource)
    rows = assert_resumes_everywhere(CsvSource(path))
    assert [(r.where["line"], r.reason) for r in rows] == [(2, None), (5, None), (7, "field 'text' is empty"),
                                                           (8, None)]
    assert rows[0].record == {"text": "one\nspread over\nthree lines", "speaker_party": "China"}


def test_article_cursor_within_and_across_files(tmp_path, seed_article):
    folder = tmp_path / "articles"
    folder.mkdir()
    opening = "\n".join(seed_article.read_text(encoding="utf-8").split("\n")[:7])  # a few statements: quick
    (folder / "a.txt").write_text(opening, encoding="utf-8")
    (folder / "b.txt").write_text("")
    (folder / "c.txt").write_text(opening, encoding="utf-8")
    assert isinstance(open_source(folder), ArticleSource)
    rows = assert_resumes_everywhere(ArticleSource(folder))
    assert [r.where["file"] for r in rows if r.reason] == ["b.txt"]
    assert len({r.where["file"] for r in rows}) == 3


def test_count_lines_counts_a_last_line_without_newline(tmp_path):
    for content, n in ((b"", 0), (b"a", 1), (b"a\n", 1), (b"a\nb", 2), (b"\n\n", 2)):
        (tmp_path / "f").write_bytes(content)
        assert count_lines(tmp_path / "f") == n


def test_missing_input_is_an_error(tmp_path):
    with pytest.raises(InputError, match="input not found"):
        open_source(tmp_path / "missing.jsonl")


def test_lone_surrogates_are_rejected_in_any_field(tmp_path):
    """Valid JSON, not valid text: the line is rejected with where, the lines around it are kept."""
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "before"}\n{"text": "a \\ud800 b"}\n{"text": "ok", "note": ["x", "\\udfff"]}\n'
                    '{"text": "a pair \\ud83d\\ude00 is fine"}\n', encoding="ascii")
    rows = assert_resumes_everywhere(JsonlSource(path))
    assert [(r.where["line"], r.reason) for r in rows] == [
        (1, None), (2, "the record.text holds an unpaired surrogate (U+D800 at character 3)"),
        (3, "the record.note.1 holds an unpaired surrogate (U+DFFF at character 1)"), (4, None)]
    assert rows[3].record["text"] == "a pair \U0001F600 is fine"


def stray_quote_csv(path, rows: int, bad_line: int) -> None:
    lines = ["id,text,speaker_party,target_party"]
    for i in range(2, rows + 2):
        text = f"China will work with the EU on point {i}"
        lines.append(f'{i},{chr(34) + text if i == bad_line else text},China,European Union')
    path.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("rows, bad_line", [(2000, 101), (40, 20), (40, 41)])
def test_a_stray_quote_rejects_its_line_and_swallows_nothing(tmp_path, rows, bad_line):
    """An unclosed quote used to take every later row into one field: now its line is rejected with the line
    number, every other row is read, and scored + rejected is the number of rows, also when resumed."""
    path = tmp_path / "in.csv"
    stray_quote_csv(path, rows, bad_line)
    read = list(CsvSource(path).rows())
    assert len(read) == rows
    rejected = [r for r in read if r.reason]
    assert [r.where["line"] for r in rejected] == [bad_line]
    if bad_line <= rows:  # a quote opened on the last line swallows nothing: that row is just malformed
        assert rejected[0].reason.startswith(f"unclosed quote: a field opened on line {bad_line} runs on to line")
    assert [r.record["id"] for r in read if r.record] == [str(i) for i in range(2, rows + 2) if i != bad_line]
    if rows < 100:
        assert_resumes_everywhere(CsvSource(path))


def test_a_quote_that_closes_rows_later_does_not_merge_them(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text('text,speaker_party\n"He said yes,China\nplain b,Japan\nplain c,EU\nd" end,China\ne,EU\n')
    rows = assert_resumes_everywhere(CsvSource(path))
    assert [(r.where["line"], bool(r.reason)) for r in rows] == [(2, True), (3, False), (4, False), (5, False),
                                                                 (6, False)]
