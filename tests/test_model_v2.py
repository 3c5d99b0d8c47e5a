"""Model v2 on a real (tiny) trained version: party aliases, batch invariance, context in the encoding,
and a manifest whose metrics are those of the served file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import run_stance
from model.encoding import encode_text, tokenize_batch
from model.predictor import Predictor
from model.sentences import sentence_spans, statement_context
from training.dataset import load_gold_splits, to_items

ALIASES = [("EU", "European Union"), ("Brussels", "European Union"), ("Beijing", "China"), ("U.S.", "United States"),
           ("Washington", "United States"), ("Moscow", "Russia"), ("Kremlin", "Russia"), ("UK", "United Kingdom"),
           ("Tokyo", "Japan"), ("Kyiv", "Ukraine"), ("North Atlantic Treaty Organization", "NATO"), ("UN", "United Nations")]
STATEMENT = "We expect them to open their market to our companies and remove the restrictions."


@pytest.mark.slow
def test_party_aliases_score_exactly_like_canonical_names(tiny_model_dir):
    predictor = Predictor.from_registry(None, "onnx", tiny_model_dir)
    for alias, canonical in ALIASES:
        as_written = predictor.predict_proba([{"text": STATEMENT, "speaker_party": "China", "target_party": alias}])
        canon = predictor.predict_proba([{"text": STATEMENT, "speaker_party": "China", "target_party": canonical}])
        assert np.array_equal(as_written, canon), (alias, canonical)


@pytest.mark.slow
def test_a_statement_scores_the_same_alone_and_in_a_mixed_batch(tiny_model_dir):
    """Static int8 (or fp32) serving: a row's probabilities do not depend on its batch-mates."""
    predictor = Predictor.from_registry(None, "onnx", tiny_model_dir)
    items = to_items(load_gold_splits()["dev"])[:48]
    batched = predictor.predict_proba(items, batch_size=48)
    for i in (0, 7, 23, 47):
        alone = predictor.predict_proba([items[i]], batch_size=1)[0]
        assert np.abs(alone - batched[i]).max() < 1e-3


def test_context_follows_the_statement_and_is_cut_first():
    from transformers import AutoTokenizer

    from training.train import backbone_path

    tokenizer = AutoTokenizer.from_pretrained(backbone_path())
    header, second = encode_text(STATEMENT, "China", "EU", "Earlier remarks. " * 200)
    assert header == "China -> European Union" and second.startswith(STATEMENT + " | Earlier remarks.")
    ids = tokenize_batch(tokenizer, [{"text": STATEMENT, "speaker_party": "China", "target_party": "EU",
                                      "context": "Earlier remarks. " * 200}], 64)["input_ids"][0]
    decoded = tokenizer.decode(ids, skip_special_tokens=True)
    assert "china - > european union" in decoded and "remove the restrictions" in decoded and len(ids) == 64
    assert encode_text(STATEMENT, None, None) == ("? -> ?", STATEMENT)


def test_sentences_respect_titles_and_abbreviations():
    text = ('"We will not accept it," said U.S. Trade Representative Clayton Yeutter on Jan. 5. '
            "Mr. Smith agreed with Gen. Lee. He warned Tokyo.\nA new paragraph.")
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        '"We will not accept it," said U.S. Trade Representative Clayton Yeutter on Jan. 5.',
        "Mr. Smith agreed with Gen. Lee.", "He warned Tokyo.", "A new paragraph."]
    start = text.index("He warned")
    assert statement_context(text, start, start + 16) == "Mr. Smith agreed with Gen. Lee. He warned Tokyo."


@pytest.mark.slow
def test_manifest_metrics_are_the_served_files(tiny_model_dir, tmp_path):
    """`stance eval model` on the manifest's test items reproduces the manifest's test macro-F1."""
    version = Predictor.from_registry(None, "onnx", tiny_model_dir).version
    manifest = version.manifest
    assert manifest["metrics_from"].startswith(manifest["onnx_default"]) and manifest["onnx_check"]["split"] == "dev"
    n = manifest["sizes"]["test"]
    items = to_items(load_gold_splits()["test"])[:n]
    data = tmp_path / "test.jsonl"
    data.write_text("".join(json.dumps(it) + "\n" for it in items))
    out = json.loads(run_stance("eval", "model", "--data", str(data), "--models", str(tiny_model_dir),
                                "--bootstrap", "0").stdout)
    assert out["macro_f1"] == pytest.approx(manifest["metrics"]["test"]["macro_f1"], abs=1e-4)
    assert out["ece"] == pytest.approx(manifest["metrics"]["test"]["ece"], abs=1e-4)


def test_loco_folds_hold_out_whole_corpora():
    from eval.loco import fold_data, folds

    def rec(corpus, i, label="cooperative"):
        return {"corpus": corpus, "text": f"{corpus} {i}", "label": label}

    splits = {"train": [rec("a", i) for i in range(300)] + [rec("b", i) for i in range(200)] + [rec("seed", 0)],
              "dev": [rec("a", i) for i in range(10)] + [rec("b", i) for i in range(120)],
              "test": [rec("a", i) for i in range(10)]}
    assert folds(splits) == ["a", "b"]                       # b has 320 statements; seed never counts
    data = fold_data(splits, "b", max_train=100, seed=1)
    assert all(r["corpus"] != "b" for r in data["train"] + data["dev"]) and len(data["train"]) == 100
    assert len(data["test"]) == 320 and {r["corpus"] for r in data["test"]} == {"b"}
