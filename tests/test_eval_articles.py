"""`stance eval extraction` and `stance eval articles` on a gold file whose answer is known by construction."""

from __future__ import annotations

import json
import pytest

from conftest import run_stance
from model.schema import LABELS
from training.annotations import ANNOTATIONS_DIR, span_hash

SEED_DOC = "eu-china-summit-2023"


def _record(text: str, start: int, end: int, speaker_party: str, target_party: str, label: str) -> dict:
    return {"corpus": "seed", "doc_id": SEED_DOC, "start": start, "end": end, "span_hash": span_hash(text[start:end]),
            "kind": "reported", "speaker": "someone", "speaker_party": speaker_party, "target_party": target_party,
            "label": label}


@pytest.fixture(scope="module")
def seed_gold(seed_article, tmp_path_factory):
    """Gold for the seed article: two statements the extractor finds (one with a wrong speaker party) and one it
    cannot (a paragraph no extracted span touches). Returns (gold file, extracted statements, gold records)."""
    from model.extraction import extract_statements

    text = seed_article.read_text(encoding="utf-8")
    found = extract_statements(text)
    s0, s1 = found[0], found[1]
    offset, missed = 0, None
    for para in text.split("\n"):
        start, end = offset, offset + len(para)
        offset = end + 1
        if start > 0 and len(para) > 40 and all(st.end <= start or st.start >= end for st in found):
            missed = (start, end)
            break
    assert missed, "the seed article has no paragraph without statements"
    wrong_party = "Japan" if s1.target_party != "Japan" else "India"
    records = [
        _record(text, s0.start, s0.end, s0.speaker_party, s0.target_party, LABELS[0]),
        _record(text, s1.start, s1.end, wrong_party, s1.target_party, LABELS[0]),
        _record(text, *missed, "China", "European Union", LABELS[0]),
    ]
    path = tmp_path_factory.mktemp("gold") / "gold.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path, found, records


def test_extraction_precision_recall_and_party_accuracy(seed_gold):
    path, found, _ = seed_gold
    result = json.loads(run_stance("eval", "extraction", "--data", str(path)).stdout)
    expected = {"documents": 1, "gold": 3, "extracted": len(found), "matched": 2,
                "precision": round(2 / len(found), 4), "recall": round(2 / 3, 4),
                "speaker_party_accuracy": 0.5, "target_party_accuracy": 1.0}
    assert {k: result["all"][k] for k in expected} == expected
    p, r = 2 / len(found), 2 / 3
    assert result["all"]["f1"] == pytest.approx(2 * p * r / (p + r), abs=1e-3)
    assert result["per_corpus"] == {"seed": result["all"]}


@pytest.mark.slow
def test_articles_found_and_labelled_right(seed_gold, tiny_model_dir, tmp_path):
    from model.predictor import Predictor

    _, found, records = seed_gold
    records = [dict(r) for r in records]
    # Gold labels chosen against the model's own predictions: the first found statement right, the second wrong.
    items = [{"text": st.text, "speaker_party": st.speaker_party, "target_party": st.target_party} for st in found[:2]]
    preds = Predictor.from_registry(models=tiny_model_dir).predict(items)
    records[0]["label"] = preds[0].label
    records[1]["label"] = next(lab for lab in LABELS if lab != preds[1].label)
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in records))

    proc = run_stance("eval", "articles", "--data", str(gold), "--models", str(tiny_model_dir), "--out", str(tmp_path))
    result = json.loads(proc.stdout)
    assert result["model_version"] == "tiny-1"
    assert result["per_corpus"]["seed"] == {"documents": 1, "gold": 3, "found": 2, "found_rate": round(2 / 3, 4),
                                            "labelled_right": 1, "labelled_right_rate": 0.5,
                                            "end_to_end_rate": round(1 / 3, 4)}
    assert json.loads((tmp_path / "articles.json").read_text()) == result


def test_extraction_on_gold_annotations_covers_every_corpus(tmp_path):
    """Two documents' gold from every corpus (the whole gold takes too long for CI): counts add up per corpus."""
    picked, records = {}, []
    for f in sorted(ANNOTATIONS_DIR.glob("*.jsonl")):
        for line in f.read_text().splitlines():
            rec = json.loads(line)
            docs = picked.setdefault(rec["corpus"], [])
            if rec["doc_id"] not in docs and len(docs) < 2:
                docs.append(rec["doc_id"])
            if rec["doc_id"] in docs:
                records.append(line)
    sample = tmp_path / "sample.jsonl"
    sample.write_text("\n".join(records) + "\n")
    result = json.loads(run_stance("eval", "extraction", "--data", str(sample)).stdout)
    assert result["all"]["gold"] == len(records) == sum(c["gold"] for c in result["per_corpus"].values())
    assert set(result["per_corpus"]) == set(picked) >= {"reuters21578", "ungd", "kremlin_en", "ua_addresses_2022",
                                                        "wikinews_2019_2021"}
    assert result["all"]["matched"] > 0
    for row in result["per_corpus"].values():
        assert 0 <= row["matched"] <= min(row["gold"], row["extracted"])
        assert row["recall"] == round(row["matched"] / row["gold"], 4)
        if row["extracted"]:
            assert row["precision"] == round(row["matched"] / row["extracted"], 4)


def test_bad_gold_file_is_refused_naming_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"corpus": "seed"}\n')
    proc = run_stance("eval", "extraction", "--data", str(bad), check=False)
    assert proc.returncode == 1 and f"{bad}:1: missing field" in proc.stderr and "Traceback" not in proc.stderr


def test_missing_gold_file_is_refused(tmp_path):
    proc = run_stance("eval", "extraction", "--data", str(tmp_path / "none.jsonl"), check=False)
    assert proc.returncode == 1 and "none.jsonl" in proc.stderr and "Traceback" not in proc.stderr


def test_failures_are_categorised_and_add_up(seed_gold):
    """--failures puts each miss, false positive and wrong party in one category; the counts add up to them."""
    from eval.extraction_failures import KINDS

    path, found, records = seed_gold
    result = json.loads(run_stance("eval", "extraction", "--data", str(path), "--failures").stdout)
    failures = result["failures"]
    assert failures["per_corpus"] == {"seed": failures["all"]}
    expected = {"missed": 1, "false_positive": len(found) - 2, "wrong_target": 0, "wrong_speaker": 1}
    for kind, categories in KINDS.items():
        row = failures["all"][kind]
        assert set(row) == {"total", *categories}
        assert row["total"] == expected[kind] == sum(row[c] for c in categories), kind
    # The missed paragraph touches no extracted span; the wrong speaker party is the gold's invented one.
    assert failures["all"]["missed"]["span_mismatch"] == 0
    assert failures["all"]["wrong_speaker"]["speaker_party_empty"] == int(not found[1].speaker_party)
