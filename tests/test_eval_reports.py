"""`stance eval` and `stance eval compare` with the real tiny model: metrics agree with `stance score`, reports exist."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import run_stance
from model.schema import LABELS

pytestmark = pytest.mark.slow

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TEXTS = [
    ("We will deepen our partnership with Japan on trade and climate.", "China", "Japan", "cooperative"),
    ("Beijing must stop its unfair subsidies or face tariffs.", "United States", "China", "conditional"),
    ("We condemn the invasion in the strongest terms.", "European Union", "Russia", "confrontational"),
    ("The talks were constructive and we look forward to the next round.", "Japan", "China", "cooperative"),
    ("Sanctions will stay until troops withdraw.", "European Union", "Russia", "conditional"),
    ("Their policy is a threat to regional peace.", "China", "United States", "confrontational"),
    ("We welcome the agreement on fisheries.", "Norway", "European Union", "cooperative"),
    ("If they open their market, we will lower our tariffs.", "Japan", "United States", "conditional"),
    ("We reject these baseless accusations.", "China", "European Union", "confrontational"),
    ("Both sides agreed to expand student exchanges.", "India", "Japan", "cooperative"),
]


@pytest.fixture()
def labelled(tmp_path) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps({"id": f"s{i}", "text": t, "speaker": sp, "speaker_party": sp,
                                        "target_party": tp, "label": lab}) + "\n"
                            for i, (t, sp, tp, lab) in enumerate(TEXTS)))
    return path


def test_eval_metrics_match_the_scored_labels_and_write_a_report(tiny_model_dir, labelled, tmp_path):
    models = str(tiny_model_dir)
    report = tmp_path / "report"
    metrics = json.loads(run_stance("eval", "--model", "tiny-1", "--data", str(labelled), "--models", models,
                                    "--out", str(report)).stdout)
    run_stance("score", str(labelled), "-o", str(tmp_path / "scored.jsonl"), "--models", models, "--no-progress")
    scored = [json.loads(line) for line in (tmp_path / "scored.jsonl").read_text().splitlines()]

    # Recompute from the scored file (one batch in both commands, so identical inputs to the model).
    gold = [r["input_label"] for r in scored]
    pred = [r["label"] for r in scored]
    probs = np.array([[r["probs"][lab] for lab in LABELS] for r in scored])
    assert metrics["n"] == len(TEXTS) and metrics["model_version"] == "tiny-1"
    assert metrics["accuracy"] == pytest.approx(np.mean([g == p for g, p in zip(gold, pred)]), abs=1e-4)
    for lab in LABELS:
        tp = sum(g == p == lab for g, p in zip(gold, pred))
        n_pred, n_gold = pred.count(lab), gold.count(lab)
        assert metrics["per_label"][lab]["precision"] == pytest.approx(tp / n_pred if n_pred else 0.0, abs=1e-4)
        assert metrics["per_label"][lab]["recall"] == pytest.approx(tp / n_gold, abs=1e-4)
    onehot = np.array([[g == lab for lab in LABELS] for g in gold], dtype=float)
    assert metrics["brier"] == pytest.approx(np.mean(((probs - onehot) ** 2).sum(axis=1)), abs=1e-3)
    assert np.array(metrics["confusion"]["rows_gold_cols_pred"]).sum() == len(TEXTS)

    files = {p.name for p in report.iterdir()}
    assert {"metrics.json", "report.md", "report.html", "confusion.png", "reliability.png", "per_label_f1.png"} <= files
    assert json.loads((report / "metrics.json").read_text()) == metrics
    for png in report.glob("*.png"):
        assert png.read_bytes()[:8] == PNG_MAGIC and png.stat().st_size > 10_000
    md = (report / "report.md").read_text()
    html = (report / "report.html").read_text()
    assert f"| macro-F1 | {metrics['macro_f1']:.3f} |" in md and "![Confusion matrix](confusion.png)" in md
    assert f"<td class='num'>{metrics['macro_f1']:.3f}</td>" in html and "src='reliability.png'" in html

    # The `model` command is the same evaluation as the plain form.
    again = json.loads(run_stance("eval", "model", "--data", str(labelled), "--models", models).stdout)
    assert again == metrics


def test_eval_refuses_bad_data_naming_the_line(tiny_model_dir, labelled, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(labelled.read_text() + json.dumps({"text": "no label here"}) + "\n")
    proc = run_stance("eval", "--data", str(bad), "--models", str(tiny_model_dir), check=False)
    assert proc.returncode == 1 and f"{bad}:{len(TEXTS) + 1}: field 'label'" in proc.stderr
    proc = run_stance("eval", "--data", "validation", "--models", str(tiny_model_dir), check=False)
    assert proc.returncode == 1 and "neither a split name" in proc.stderr


def test_compare_two_versions_writes_json_and_markdown(tiny_model_dir, labelled, tmp_path):
    out = tmp_path / "cmp"
    result = json.loads(run_stance("eval", "compare", "tiny-1", "current", "--data", str(labelled),
                                   "--models", str(tiny_model_dir), "--out", str(out), "--top", "3").stdout)
    assert (result["a"], result["b"], result["n"]) == ("tiny-1", "tiny-1", len(TEXTS))
    assert result["disagreements"] == []  # the same version agrees with itself everywhere
    assert result["paired_bootstrap"]["delta"] == 0
    by_text = {t: lab for t, _, _, lab in TEXTS}
    for side in "ab":
        errors = result["largest_errors"][side]
        assert len(errors) <= 3
        assert all(e["pred"] != e["gold"] == by_text[e["text"]] and e["target_party"] for e in errors)
        assert [e["p_gold"] for e in errors] == sorted(e["p_gold"] for e in errors)
    assert json.loads((out / "compare.json").read_text()) == result
    md = (out / "compare.md").read_text()
    assert "Comparison: tiny-1 (A) vs tiny-1 (B)" in md and "## Largest errors of A (tiny-1)" in md
