"""The relevance fit counts hits one-to-one, as the extraction evaluation does, and keeps the worked examples."""

from __future__ import annotations

import numpy as np

from training.relevance_fit import best_threshold, one_to_one_f1


def test_several_candidates_over_one_gold_statement_count_once():
    gold = [("doc", [(0, 100)])]
    cands = [([], True, "doc", (0, 100)), ([], False, "doc", (10, 90)), ([], False, "doc", (200, 260))]
    p, r, f1 = one_to_one_f1(cands, np.array([0.9, 0.9, 0.1]), 0.5, gold)
    assert (p, r) == (0.5, 1.0) and round(f1, 4) == 0.6667
    p, r, _ = one_to_one_f1(cands, np.array([0.9, 0.1, 0.1]), 0.5, gold)
    assert (p, r) == (1.0, 1.0)


def test_candidates_match_only_gold_of_their_own_document():
    gold = [("a", [(0, 50)]), ("b", [])]
    cands = [([], False, "b", (0, 50))]
    assert one_to_one_f1(cands, np.array([1.0]), 0.5, gold)[:2] == (0.0, 0.0)


def test_threshold_keeps_every_worked_example_before_f1():
    """A worked example at 0.3 holds the threshold down though a higher one scores better on dev."""
    gold = [("doc", [(0, 100)])]
    cands = [([], True, "doc", (0, 100)), ([], False, "doc", (200, 260))]
    probs = np.array([0.9, 0.3])
    (kept, f1), threshold, _ = best_threshold(cands, probs, gold, np.array([0.95, 0.3]))
    assert kept == 2 and threshold <= 0.3 and round(f1, 4) == 0.6667
    (kept, f1), threshold, _ = best_threshold(cands, probs, gold, np.array([]))
    assert threshold > 0.3 and f1 == 1.0


def test_threshold_keeps_as_many_worked_examples_as_it_can():
    """A worked example below every threshold: the others are kept and F1 decides among those thresholds."""
    gold = [("doc", [(0, 100)])]
    cands = [([], True, "doc", (0, 100)), ([], False, "doc", (200, 260))]
    (kept, f1), threshold, _ = best_threshold(cands, np.array([0.9, 0.3]), gold, np.array([0.1, 0.5]))
    assert kept == 1 and 0.3 < threshold <= 0.5 and f1 == 1.0
