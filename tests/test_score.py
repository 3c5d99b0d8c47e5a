"""`stance score` end to end with the real tiny model: order, exactly-once, rejects, CSV, articles, backends."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import run_stance
from test_score_sources import stray_quote_csv
from model.schema import LABELS

pytestmark = pytest.mark.slow


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def statement(i: int) -> dict:
    return {"id": i, "text": f"China and Japan agreed on step {i} of a joint plan.", "speaker": "Xi",
            "speaker_party": "China", "target_party": "Japan"}


def score(models: Path, *args: str, check: bool = False):
    return run_stance("score", *args, "--models", str(models), "--no-progress", check=check)


def assert_scored(rec: dict) -> None:
    assert rec["label"] in LABELS
    assert list(rec["probs"]) == list(LABELS)
    assert sum(rec["probs"].values()) == pytest.approx(1.0, abs=1e-4)
    assert rec["model_version"] == "tiny-1"


def test_jsonl_keeps_order_and_rejects_each_broken_line(tiny_model_dir, tmp_path):
    lines: list[bytes] = []
    expected_ids, expected_rejects = [], {}
    bad = {
        3: (b'{"id": 3, "text": "unterminated', "not valid JSON"),
        6: (b'{"id": 6, "speaker": "Xi"}', "missing field 'text'"),
        9: (b'{"id": 9, "text": "   "}', "field 'text' is empty"),
        12: (b'["a", "list"]', "not a JSON object"),
        15: ('{"id": 15, "text": "caf\u00e9 '.encode() + b'\xff\xfe"}', "not valid UTF-8"),
        18: (b'{"id": 18, "text": 42}', "field 'text' is not a string"),
        21: (b'{"id": 21, "text": "ok", "target_party": ["Japan"]}', "field 'target_party' is not a string"),
        22: (b'{"id": 22, "text": "a lone \\ud800 half"}', "the record.text holds an unpaired surrogate"),
    }
    for i in range(1, 25):
        if i in bad:
            raw, reason = bad[i]
            lines.append(raw)
            expected_rejects[i] = reason
        else:
            lines.append(json.dumps(statement(i), ensure_ascii=False).encode())
            expected_ids.append(i)
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\n".join(lines[:10]) + b"\n\n" + b"\n".join(lines[10:]))  # a blank line is not an input
    out = tmp_path / "out.jsonl"

    proc = score(tiny_model_dir, str(src), "--out", str(out), "--batch-size", "4")

    assert proc.returncode == 3, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["scored"], summary["rejected"], summary["complete"]) == (len(expected_ids), len(bad), True)
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == expected_ids
    for r in rows:
        assert r["text"] == statement(r["id"])["text"] and r["speaker"] == "Xi" and r["target_party"] == "Japan"
        assert_scored(r)
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    # the blank line after line 10 shifts every later physical line number by one
    expected_lines = {(i if i <= 10 else i + 1): reason for i, reason in expected_rejects.items()}
    assert [r["line"] for r in rejects] == list(expected_lines)
    for r in rejects:
        assert r["reason"].startswith(expected_lines[r["line"]]), r
    assert "\\xff\\xfe" in next(r["raw"] for r in rejects if r["reason"].startswith("not valid UTF-8"))


def test_existing_output_is_never_clobbered_without_asking(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(statement(i)) + "\n" for i in range(5)))
    out = tmp_path / "out.jsonl"
    assert score(tiny_model_dir, str(src), "-o", str(out)).returncode == 0
    first = out.read_bytes()

    refused = score(tiny_model_dir, str(src), "-o", str(out))
    assert refused.returncode == 1 and "--resume" in refused.stderr and "Traceback" not in refused.stderr
    assert out.read_bytes() == first

    again = score(tiny_model_dir, str(src), "-o", str(out), "--resume")
    assert again.returncode == 0 and "already complete" in again.stderr
    assert out.read_bytes() == first

    out.write_text("stale")
    redone = score(tiny_model_dir, str(src), "-o", str(out), "--overwrite")
    assert redone.returncode == 0 and out.read_bytes() == first


def test_fatal_errors_exit_1_with_one_line(tiny_model_dir, tmp_path):
    missing = score(tiny_model_dir, str(tmp_path / "nope.jsonl"), "-o", str(tmp_path / "o.jsonl"))
    assert missing.returncode == 1 and "input not found" in missing.stderr and "Traceback" not in missing.stderr
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps(statement(1)) + "\n")
    no_model = score(tiny_model_dir, str(src), "-o", str(tmp_path / "o.jsonl"), "--model", "no-such-version")
    assert no_model.returncode == 1 and "no-such-version" in no_model.stderr
    same = score(tiny_model_dir, str(src), "-o", str(src))
    assert same.returncode == 1 and src.read_text() == json.dumps(statement(1)) + "\n"


def test_csv_input_with_quoted_fields_and_broken_rows(tiny_model_dir, tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(
        b"id,text,speaker,speaker_party,target_party\n"                          # line 1
        b'a,"We welcome Japan\'s offer, and we will work with Tokyo.",Xi,China,Japan\n'  # 2
        b'b,"A quotation\nover two lines.",Kishida,Japan,China\n'               # 3-4
        b"c,too,few\n"                                                           # 5
        b"d,,Xi,China,Japan\n"                                                   # 6
        b"e,bad \xff bytes,Xi,China,Japan\n"                                     # 7
        b"f,The last one.,,,\n"                                                  # 8
    )
    out = tmp_path / "out.jsonl"
    proc = score(tiny_model_dir, str(src), "-o", str(out), "--batch-size", "2")
    assert proc.returncode == 3, proc.stderr
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == ["a", "b", "f"]
    assert rows[0]["text"] == "We welcome Japan's offer, and we will work with Tokyo."
    assert rows[1]["text"] == "A quotation\nover two lines." and rows[1]["speaker_party"] == "Japan"
    for r in rows:
        assert_scored(r)
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert [(r["line"], r["reason"].split(" (")[0]) for r in rejects] == [
        (5, "row has 3 fields; the header has 5"), (6, "field 'text' is empty"), (7, "not valid UTF-8")]


def test_csv_stray_quote_loses_no_rows(tiny_model_dir, tmp_path):
    """scored + rejected == rows in the file, and the reject names the line that opened the quote."""
    src = tmp_path / "in.csv"
    stray_quote_csv(src, rows=300, bad_line=101)
    out = tmp_path / "out.jsonl"
    proc = score(tiny_model_dir, str(src), "-o", str(out))
    assert proc.returncode == 3, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["scored"], summary["rejected"]) == (299, 1)
    assert [r["id"] for r in read_jsonl(out)] == [str(i) for i in range(2, 302) if i != 101]
    [reject] = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert reject["line"] == 101 and reject["reason"].startswith("unclosed quote: a field opened on line 101")


def test_csv_without_text_column_is_fatal(tiny_model_dir, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,statement\n1,hello\n")
    proc = score(tiny_model_dir, str(src), "-o", str(tmp_path / "o.jsonl"))
    assert proc.returncode == 1 and "no 'text' column" in proc.stderr


def test_folder_of_articles_is_extracted_then_scored(tiny_model_dir, tmp_path, seed_article):
    from model.extraction import extract_statements

    folder = tmp_path / "articles"
    folder.mkdir()
    shutil.copy(seed_article, folder / "a-summit.txt")
    (folder / "b-broken.txt").write_bytes(b"Caf\xe9 talks")
    (folder / "c-empty.txt").write_text("  \n")
    out = tmp_path / "out.jsonl"

    proc = score(tiny_model_dir, str(folder), "-o", str(out), "--batch-size", "5")

    assert proc.returncode == 3, proc.stderr
    text = seed_article.read_text(encoding="utf-8")
    expected = extract_statements(text)
    rows = read_jsonl(out)
    assert len(rows) == len(expected) > 5
    for r, st in zip(rows, expected):
        assert (r["doc"], r["file"]) == ("a-summit", "a-summit.txt")
        assert (r["start"], r["end"], r["kind"], r["speaker"], r["speaker_party"], r["target_party"], r["cue"]) == (
            st.start, st.end, st.kind, st.speaker, st.speaker_party, st.target_party, st.cue)
        assert r["text"] == text[r["start"]:r["end"]]
        assert_scored(r)
    rejects = read_jsonl(tmp_path / "out.rejects.jsonl")
    assert [(r["file"], r["reason"].split(" (")[0]) for r in rejects] == [
        ("b-broken.txt", "not valid UTF-8"), ("c-empty.txt", "article is empty")]


def test_torch_backend_agrees_with_onnx(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(statement(i)) + "\n" for i in range(3)))
    outs = {}
    for backend in ("onnx", "torch"):
        outs[backend] = tmp_path / f"{backend}.jsonl"
        proc = score(tiny_model_dir, str(src), "-o", str(outs[backend]), "--backend", backend)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["backend"] == backend
    for a, b in zip(read_jsonl(outs["onnx"]), read_jsonl(outs["torch"])):
        assert a["id"] == b["id"] and set(a["probs"]) == set(b["probs"]) == set(LABELS)
    # The exported fp32 ONNX file computes what torch computes (the served file may be the int8 one,
    # whose distance from fp32 is judged on dev when a version is trained).
    from model.predictor import ONNX_FP32, Predictor
    from model.registry import ModelVersion, Registry

    version = Registry(tiny_model_dir).get(None)
    fp32 = Predictor(ModelVersion(version.name, version.path, {**version.manifest, "onnx_default": ONNX_FP32}), "onnx")
    items = [statement(i) for i in range(3)]
    assert abs(fp32.predict_proba(items) - Predictor(version, "torch").predict_proba(items)).max() < 1e-3
