"""The relevance fit counts hits one-to-one, as the extraction evaluation does."""

from __future__ import annotations

import numpy as np

from training.relevance_fit import one_to_one_f1


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
