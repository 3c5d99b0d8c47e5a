"""The learned target scorer: fitted on real gold it ranks candidates better than a trivial choice, the fit
command runs end to end, and the extractor chooses targets with the shipped weights."""

from __future__ import annotations

import json

import pytest

from model.extraction import extract_statements
from model.extraction.speakers import article_context
from model.extraction.speech import Speech, speech_targets
from model.extraction.target_scorer import WEIGHTS_FILE, TargetQuery, learned_targets
from model.extraction.weights import load_weights
from model.registry import Registry
from tests.conftest import run_stance
from training.annotations import ANNOTATIONS_DIR, CorpusCache
from training.target_fit import collect, fit, scores

SPEECH_GOLD = [ANNOTATIONS_DIR / "ua-n4.jsonl", ANNOTATIONS_DIR / "ungd-a4.jsonl"]
"""Speeches: no parse needed to gather their candidates, so the fit on real gold stays quick."""


@pytest.fixture(scope="module")
def speech_examples():
    return collect(CorpusCache(), annotations=SPEECH_GOLD)


def test_fitted_on_train_documents_beats_the_most_named_party_on_dev(speech_examples):
    train = [ex for ex in speech_examples if ex.split == "train"]
    dev = [ex for ex in speech_examples if ex.split == "dev" and ex.rules]
    weights = fit(train, 0.3)
    most_named = sum(next((p for p, f in ex.candidates.items() if "rank:0" in f), None) in ex.gold for ex in dev)
    learned = scores(dev, weights)["accuracy"]
    assert len(dev) > 100
    assert learned > most_named / len(dev) + 0.1


SPEECH = "Our country believes in peace. The war in Ukraine, started by Russia, must end."
"""Codebook 2: the target is the actor (Russia), not the victim the rules' order of mention picks (Ukraine)."""


def _war_query() -> TargetQuery:
    start = SPEECH.index("The war")
    rules = speech_targets(SPEECH[start:], Speech("France", 2022))
    assert rules == ["Ukraine"]
    return TargetQuery(SPEECH, start, len(SPEECH), "France", article_context(SPEECH, 2022), tuple(rules), cue="speech")


def test_extraction_chooses_targets_with_the_shipped_weights():
    assert load_weights(WEIGHTS_FILE) is not None
    assert learned_targets(_war_query(), load_weights(WEIGHTS_FILE)) == ["Russia"]
    assert learned_targets(_war_query(), None) == ["Ukraine"]  # not fitted: the rules' choice
    found = extract_statements(SPEECH, year=2022, speaker_party="France")
    assert [st.target_party for st in found if st.text.startswith("The war")] == ["Russia"]


def test_fit_targets_runs_end_to_end_reuses_its_cache_and_publishes(tmp_path, models_copy):
    args = ["extractor", "fit-targets", "--data", str(SPEECH_GOLD[0]), "--limit", "12", "--cache", str(tmp_path / "c.json")]
    run_stance(*args, "--out", str(tmp_path / "a.json"), "--metrics", str(tmp_path / "m.json"))
    weights = json.loads((tmp_path / "a.json").read_text())
    report = json.loads((tmp_path / "m.json").read_text())
    assert weights["weights"] and weights["C"] in (0.03, 0.1, 0.3, 1.0)
    assert set(report["dev"]["all"]) == {"rules", "learned"} and report["examples"]["train"] > 0
    assert len(json.loads((tmp_path / "c.json").read_text())) == 12
    published = json.loads(run_stance(*args, "--out", str(tmp_path / "b.json"), "--publish", "tiny-targets",
                                      "--models", str(models_copy)).stdout)["published"]
    assert (tmp_path / "b.json").read_text() == (tmp_path / "a.json").read_text()
    version, base = Registry(models_copy).get(published), Registry(models_copy).get()
    assert (version.path / "targets.json").read_text() == (tmp_path / "a.json").read_text()
    assert (version.path / "relevance.json").read_bytes() == base.extractor_weights.relevance.read_bytes()
    assert version.manifest["derived_from"] == base.name and version.manifest["derived_changes"] == ["targets.json"]
