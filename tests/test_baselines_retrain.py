"""Baselines, the CAMEO dictionary coder, retraining decisions and active learning."""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest

from conftest import REPO, run_stance
from eval.baselines import run_baselines
from eval.cameo_coder import CameoCoder
from model.metrics import macro_f1
from model.registry import Registry
from model.schema import LABELS
from training.corpora import corpora_root
from training.dataset import load_gold_splits, to_items
from training.retrain import decide

CAMEO = corpora_root() / "cameo" / "CAMEO.verbpatterns.150430.txt"


def test_cameo_coder_maps_roots_to_stance():
    coder = CameoCoder(CAMEO)
    assert coder.label("The ministry accused Japan of dumping chips") == "confrontational"
    assert coder.label("Wang urged the EU to eliminate all kinds of interference") == "conditional"
    assert coder.label("They threatened to impose tariffs if Japan does not comply") == "conditional"
    assert coder.label("The two sides agreed to cooperate on science") == "cooperative"


def test_baselines_on_a_small_slice():
    """Each baseline is the system its name says, checked by what it must predict, not by value ranges."""
    splits = {k: to_items(v)[:60] for k, v in load_gold_splits().items()}
    results = run_baselines(splits, CAMEO, bootstrap=50)
    assert set(results) == {"majority", "tfidf_logreg", "minilm_embeddings_logreg", "cameo_dictionary"}
    test = splits["test"]
    y = np.array([LABELS.index(it["label"]) for it in test])
    # Majority: the train split's commonest label for every test item, so recall 1 and precision its test share.
    top = Counter(it["label"] for it in splits["train"]).most_common(1)[0][0]
    share = sum(it["label"] == top for it in test) / len(test)
    per = results["majority"]["per_label"]
    assert per[top]["recall"] == 1.0 and per[top]["precision"] == pytest.approx(share, abs=1e-4)
    assert all(per[lab]["recall"] == 0.0 for lab in LABELS if lab != top)
    assert results["majority"]["macro_f1"] == pytest.approx(2 * share / (1 + share) / 3, abs=1e-3)
    # CAMEO: exactly the dictionary coder's label for each test text.
    coder = CameoCoder(CAMEO)
    coded = np.array([LABELS.index(coder.label(it["text"])) for it in test])
    assert results["cameo_dictionary"]["macro_f1"] == pytest.approx(macro_f1(y, coded, len(LABELS)), abs=1e-3)
    assert results["cameo_dictionary"]["ece"] > 0  # one-hot answers: confident, so miscalibrated where wrong


def synthetic_split(n: int, offset: int) -> list[dict]:
    """Statements whose label is given away by its verb: what any real classifier must learn perfectly."""
    verbs = {"cooperative": "welcomed and will support", "confrontational": "condemned and will punish",
             "conditional": "will only accept if it first meets"}
    items = []
    for i in range(offset, offset + n):
        label = LABELS[i % 3]
        items.append({"text": f"The minister said China {verbs[label]} the plan number {i} of Japan.",
                      "speaker_party": "China", "target_party": "Japan", "context": None, "label": label})
    return items


def test_learned_baselines_learn_a_learnable_task():
    splits = {"train": synthetic_split(60, 0), "dev": synthetic_split(30, 60), "test": synthetic_split(30, 90)}
    results = run_baselines(splits, CAMEO, bootstrap=20)
    assert results["tfidf_logreg"]["macro_f1"] == 1.0
    assert results["minilm_embeddings_logreg"]["macro_f1"] >= 0.9
    assert results["majority"]["macro_f1"] == pytest.approx(0.5 / 3, abs=1e-3)   # equal thirds: F1 0.5 on one


def test_retrain_decision_both_ways():
    y = np.array([0, 1, 2] * 20)
    good = y.copy()
    worse = y.copy()
    worse[:20] = (worse[:20] + 1) % 3
    promote = decide(y, worse, good, y, worse, good, rounds=200)
    assert promote.promote and promote.test["delta"] > 0 and promote.new["delta_ci95"][0] > 0
    assert "gold test macro-F1" in promote.reason and "n=60" in promote.reason
    keep_test = decide(y, good, worse, y, worse, good, rounds=200)
    assert not keep_test.promote and "may be worse on the gold test" in keep_test.reason
    assert "new held-out macro-F1" in keep_test.reason           # the whole picture, not only the first failure
    keep_new = decide(y, good, good, y, good, worse, rounds=200)
    assert not keep_new.promote and "no clear gain" in keep_new.reason
    # A point gain whose interval reaches 0 does not promote: one changed statement out of 60.
    slight = good.copy()
    slight[0] = (slight[0] + 1) % 3
    unclear = decide(y, good, good, y, slight, good, rounds=200)
    assert unclear.new["delta"] > 0 and unclear.new["delta_ci95"][0] <= 0 and not unclear.promote
    # Seven held-out statements: too few to tell, said plainly with about how many would do.
    few = decide(y, good, good, y[:7], worse[:7], good[:7], rounds=200)
    assert not few.promote and few.reason.startswith("too few held-out statements to tell: 7 held out, need about ")


@pytest.mark.slow
def test_retrain_end_to_end_dry_run(models_copy, tmp_path):
    batch = REPO / "data" / "annotations" / "seed-codebook-examples.jsonl"
    reg = Registry(models_copy)
    before = reg.current_name()
    out = run_stance("retrain", str(batch), "--dry-run", "--models", str(models_copy), "--epochs", "1",
                     "--max-length", "64", "--limit", "40").stdout
    assert ("PROMOTE" in out or "KEEP current" in out) and "gold test macro-F1" in out and "held out" in out
    assert reg.current_name() == before                      # dry run: nothing promoted
    log = [json.loads(line) for line in (models_copy / "retrain.jsonl").read_text().splitlines()]
    assert log[-1]["dry_run"] and log[-1]["candidate"] in reg.list_versions()


@pytest.mark.slow
def test_active_learning_selects_least_certain(tiny_model_dir, tmp_path, seed_article):
    pool = tmp_path / "summit"
    pool.mkdir()
    shutil.copy(seed_article, pool / "eu-china.txt")
    out = tmp_path / "pick.jsonl"
    run_stance("annotate", "select", "--pool", str(pool), "-n", "5", "-o", str(out), "--models", str(tiny_model_dir))
    picked = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(picked) == 5 and all(p["label"] is None and p["statement"] for p in picked)
    margins = [p["margin"] for p in picked]
    assert margins == sorted(margins) and set(picked[0]["model_probs"]) == set(LABELS)
