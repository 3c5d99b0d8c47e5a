"""The fine-tuned tiny model: what a version carries, backends agreeing, calibration, no-party inputs."""

from __future__ import annotations

import numpy as np
import pytest

from model.predictor import ONNX_FP32, Predictor
from model.registry import CARD, Registry
from model.schema import LABELS
from training.train import TrainConfig, _length_batches, backbone_path, class_weights, fine_tune, fit_temperature, gold_loss

pytestmark = pytest.mark.slow

SEED_ITEMS = [
    {"text": "We hope that the EU will be wise when implementing restrictive economic and trade policies",
     "speaker_party": "China", "target_party": "European Union"},
    {"text": "China is ready to make the EU a major economic and trade partner", "speaker_party": "China",
     "target_party": "European Union"},
    {"text": "Europe would not tolerate unfair competition from China"},
]


def test_version_carries_config_labels_metrics_fingerprint_and_card(tiny_model_dir):
    version = Registry(tiny_model_dir).get()
    m = version.manifest
    assert m["labels"] == list(LABELS) and m["encoding_version"]
    assert m["training"]["epochs"] == 1 and m["training"]["max_length"] == 64 and m["training"]["seed"]
    assert set(m["data_fingerprint"]) == {"train", "dev", "test"} and all(v["sha256"] for v in m["data_fingerprint"].values())
    assert {"dev", "test"} <= set(m["metrics"]) and 0 <= m["metrics"]["test"]["macro_f1"] <= 1
    assert m["temperature"] > 0 and m["packages"]["torch"].startswith("2.")
    assert m["onnx_default"] in ("onnx/model.onnx", "onnx/model.int8.onnx")
    card = (version.path / CARD).read_text()
    assert all(label in card for label in LABELS) and "macro-F1" in card and version.name in card


def test_torch_and_onnx_fp32_agree(tiny_model_dir):
    version = Registry(tiny_model_dir).get()
    torch_probs = Predictor(version, "torch").predict_proba(SEED_ITEMS)
    onnx = Predictor(version, "onnx")
    fp32 = Predictor(type(version)(version.name, version.path, {**version.manifest, "onnx_default": ONNX_FP32}), "onnx")
    np.testing.assert_allclose(fp32.predict_proba(SEED_ITEMS), torch_probs, atol=2e-3)
    int8 = onnx.predict_proba(SEED_ITEMS)
    assert int8.shape == (3, 3) and np.allclose(int8.sum(1), 1)


def test_prediction_without_parties_is_sound(tiny_model_dir):
    preds = Predictor.from_registry(models=tiny_model_dir).predict([{"text": SEED_ITEMS[0]["text"]}])
    assert preds[0].label in LABELS and abs(sum(preds[0].probs.values()) - 1) < 1e-4


def test_temperature_fit_cools_overconfident_logits():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 400)
    logits = rng.normal(size=(400, 3))
    logits[np.arange(400), y] += 1.0
    t = fit_temperature(logits * 8, y)      # far too confident
    assert t > 2


def test_class_weights_favour_rare_labels():
    w = class_weights([0] * 80 + [1] * 15 + [2] * 5)
    assert w[2] > w[1] > w[0] and w.mean() == pytest.approx(1.0)


def test_label_smoothing_reaches_the_gold_loss():
    import torch

    logits = torch.tensor([[4.0, -2.0, -1.0], [-1.0, 3.0, 0.5], [0.0, 1.0, 2.0]])
    targets = torch.tensor([0, 1, 2])
    labels = [0] * 80 + [1] * 15 + [2] * 5
    plain = gold_loss(labels, TrainConfig(class_weighting=False))(logits, targets).item()
    smooth = gold_loss(labels, TrainConfig(class_weighting=False, label_smoothing=0.1))(logits, targets).item()
    log_p = torch.log_softmax(logits, -1)
    assert smooth == pytest.approx(0.9 * plain - 0.1 * log_p.mean(-1).mean().item(), rel=1e-5)
    weighted = gold_loss(labels, TrainConfig(label_smoothing=0.1))(logits, targets).item()
    assert weighted != pytest.approx(smooth)  # the class weights still apply alongside the smoothing


def test_batches_group_statements_by_encoded_length():
    """A statement shown with its context is several times longer than one shown bare: batches sorted by the
    statement's characters mixed them and padded the bare ones to the context's length."""
    import random

    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(backbone_path())
    context = "The two delegations met for six hours in the capital and discussed tariffs, visas and fishing rights."
    items = [{"text": f"We will work with you on trade {i}.", "context": context if i % 2 else None, "i": i}
             for i in range(64)]
    batches = _length_batches(items, tokenizer, TrainConfig(batch_size=16), random.Random(0))
    assert sorted(it["i"] for b in batches for it in b) == list(range(64))
    assert all(len({it["context"] is None for it in b}) == 1 for b in batches)


@pytest.mark.parametrize("frozen_layers", [0, 2])
def test_frozen_parts_stay_as_pretrained(frozen_layers):
    """The word embeddings (and, with ``frozen_layers``, every embedding and the lowest layers) end training as
    the backbone had them; the layers above are trained."""
    import torch
    from transformers import AutoModelForSequenceClassification

    items = [{**it, "label": label} for it, label in zip(SEED_ITEMS * 3, LABELS * 3)]
    cfg = TrainConfig(epochs=1, batch_size=4, max_length=32, frozen_layers=frozen_layers, threads=1)
    model, _, _ = fine_tune(items, items[:3], cfg, progress=False)
    before = AutoModelForSequenceClassification.from_pretrained(backbone_path(), num_labels=3).state_dict()
    after = model.state_dict()

    def unchanged(prefix: str) -> bool:
        names = [k for k in before if k.startswith(prefix)]
        return bool(names) and all(torch.equal(before[k], after[k]) for k in names)

    assert unchanged("bert.embeddings.word_embeddings")
    assert unchanged("bert.embeddings.position_embeddings") == (frozen_layers > 0)
    assert unchanged("bert.encoder.layer.1.") == (frozen_layers > 1)
    assert not unchanged("bert.encoder.layer.2.") and not unchanged("bert.encoder.layer.5.")
