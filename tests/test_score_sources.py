"""The resume contract of every input source: continuing from any row's cursor yields exactly the rows after it."""

from __future__ import annotations

import json

import pytest

from eval.inputs import ArticleSource, CsvSource, JsonlSource, count_lines, open_source


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
    with pytest.raises(FileNotFoundError, match="input not found"):
        open_source(tmp_path / "missing.jsonl")
