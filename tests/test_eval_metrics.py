"""Metrics against values computed by hand on a six-item set, and span matching on hand-made spans."""

from __future__ import annotations

import numpy as np
import pytest

from eval.compare import compare_versions, largest_errors
from model.matching import match_spans
from model.metrics import classification_metrics, paired_bootstrap

LABELS = ["cooperative", "confrontational", "conditional"]

# gold, probabilities -> predicted (confidence, right?)
Y = np.array([0, 0, 1, 2, 2, 0])
PROBS = np.array([
    [0.7, 0.2, 0.1],  # -> 0 (0.7, right)
    [0.4, 0.5, 0.1],  # -> 1 (0.5, wrong)
    [0.1, 0.8, 0.1],  # -> 1 (0.8, right)
    [0.2, 0.2, 0.6],  # -> 2 (0.6, right)
    [0.6, 0.3, 0.1],  # -> 0 (0.6, wrong)
    [0.1, 0.1, 0.8],  # -> 2 (0.8, wrong)
])


def test_point_metrics_match_hand_computation():
    m = classification_metrics(Y, PROBS, LABELS, bootstrap=200)
    # cooperative: tp 1 (item 1), fp 1 (item 5), fn 2 (items 2, 6) -> P 1/2, R 1/3, F1 2PR/(P+R) = 0.4
    # confrontational: tp 1 (item 3), fp 1 (item 2), fn 0 -> P 1/2, R 1, F1 2/3
    # conditional: tp 1 (item 4), fp 1 (item 6), fn 1 (item 5) -> P 1/2, R 1/2, F1 1/2
    expected = {"cooperative": (1 / 2, 1 / 3, 0.4, 3), "confrontational": (1 / 2, 1.0, 2 / 3, 1),
                "conditional": (1 / 2, 1 / 2, 1 / 2, 2)}
    for lab, (p, r, f1, support) in expected.items():
        got = m["per_label"][lab]
        assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx((p, r, f1, support), abs=1e-4)
    assert m["accuracy"] == pytest.approx(3 / 6)
    assert m["macro_f1"] == pytest.approx((0.4 + 2 / 3 + 0.5) / 3, abs=1e-4)
    assert m["confusion"]["rows_gold_cols_pred"] == [[1, 1, 1], [0, 1, 0], [1, 0, 1]]
    # ECE, 10 equal bins of top-label confidence:
    #   0.5: {wrong} |0 - 0.5| * 1/6;  0.6: {right, wrong} |0.5 - 0.6| * 2/6
    #   0.7: {right} |1 - 0.7| * 1/6;  0.8: {right, wrong} |0.5 - 0.8| * 2/6   -> 1.6 / 6
    assert m["ece"] == pytest.approx(1.6 / 6, abs=1e-4)
    # Brier: squared distance to one-hot per row: .14 .62 .06 .24 1.26 1.46 -> 3.78 / 6
    assert m["brier"] == pytest.approx(3.78 / 6, abs=1e-4)
    assert m["n"] == 6


def test_bootstrap_intervals_are_reproducible_and_bounded():
    a = classification_metrics(Y, PROBS, LABELS, bootstrap=300, seed=1)
    b = classification_metrics(Y, PROBS, LABELS, bootstrap=300, seed=1)
    assert a == b
    for ci in [a["accuracy_ci95"], a["macro_f1_ci95"], *(v["f1_ci95"] for v in a["per_label"].values())]:
        assert 0.0 <= ci[0] <= ci[1] <= 1.0
    assert a["accuracy_ci95"][0] < a["accuracy"] < a["accuracy_ci95"][1]


def test_paired_bootstrap_of_identical_and_better_predictions():
    pred = PROBS.argmax(axis=1)
    same = paired_bootstrap(Y, pred, pred, 3, rounds=200)
    assert same["delta"] == 0 and same["delta_ci95"] == [0.0, 0.0] and same["p_b_not_better"] == 1.0
    better = paired_bootstrap(Y, pred, Y, 3, rounds=200)
    assert better["macro_f1_b"] == 1.0
    assert better["delta"] == pytest.approx(1 - (0.4 + 2 / 3 + 0.5) / 3, abs=1e-4)
    assert better["delta_ci95"][1] > 0


def _items() -> list[dict]:
    return [{"id": str(i), "text": f"statement {i}", "speaker": "s", "speaker_party": "China",
             "target_party": "Japan", "label": LABELS[y]} for i, y in enumerate(Y)]


def test_largest_errors_are_wrong_items_most_confident_first():
    errors = largest_errors(_items(), PROBS, LABELS, top=10)
    # wrong items (0-based ids): 1 (p_gold 0.4), 4 (0.1), 5 (0.1); ties keep input order
    assert [e["id"] for e in errors] == ["4", "5", "1"]
    assert [e["p_gold"] for e in errors] == [0.1, 0.1, 0.4]
    assert errors[0]["gold"] == "conditional" and errors[0]["pred"] == "cooperative"
    assert largest_errors(_items(), PROBS, LABELS, top=1) == errors[:1]


def test_compare_lists_exactly_the_disagreements():
    b = PROBS.copy()
    b[1] = [0.8, 0.1, 0.1]  # B gets item 2 right
    c = compare_versions(_items(), ("va", "vb"), (PROBS, b), LABELS, "hand", top=5, rounds=100)
    assert [d["id"] for d in c["disagreements"]] == ["1"]
    assert c["disagreements"][0] == {"id": "1", "text": "statement 1", "speaker": "s", "speaker_party": "China",
                                     "target_party": "Japan", "gold": "cooperative",
                                     "a": "confrontational", "b": "cooperative"}
    assert c["metrics"]["a"]["accuracy"] == 0.5 and c["metrics"]["b"]["accuracy"] == pytest.approx(4 / 6, abs=1e-4)
    assert c["paired_bootstrap"]["delta"] > 0
    assert "1" not in [e["id"] for e in c["largest_errors"]["b"]]


@pytest.mark.parametrize("gold, found, pairs", [
    ([(0, 10)], [(0, 10)], [(0, 0)]),                       # exact
    ([(0, 10)], [(5, 30)], [(0, 0)]),                       # half of the shorter span shared
    ([(0, 10)], [(6, 30)], []),                             # less than half
    ([(0, 10)], [(20, 30)], []),                            # disjoint
    ([(0, 10), (12, 20)], [(0, 20)], [(0, 0)]),             # one found span, two golds: the better overlap wins
    ([(0, 10), (10, 20)], [(10, 20), (0, 9)], [(0, 1), (1, 0)]),  # one-to-one, in gold order
    ([], [(0, 5)], []),
])
def test_match_spans(gold, found, pairs):
    assert match_spans(gold, found) == pairs


def test_match_spans_threshold_is_adjustable():
    assert match_spans([(0, 10)], [(9, 30)], min_overlap=0.1) == [(0, 0)]
    assert match_spans([(0, 10)], [(5, 30)], min_overlap=0.6) == []


def test_records_on_one_span_pair_by_party():
    """A statement toward two targets is two records on one span: each gold record pairs with the extracted one
    of its own target, not the first in order (which would count both targets wrong)."""
    gold, found = ["Russia", "Iceland"], ["Iceland", "Russia"]
    spans = [(0, 40), (0, 40)]
    assert match_spans(spans, spans) == [(0, 0), (1, 1)]
    assert match_spans(spans, spans, agree=lambda g, f: gold[g] == found[f]) == [(0, 1), (1, 0)]
