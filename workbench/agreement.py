"""Where two analysts reviewed the same statements: Cohen's kappa, the disagreements, adjudication."""

from __future__ import annotations

from itertools import combinations

from training.annotate import cohen_kappa
from workbench.store import DECIDED_FIELDS, DECISIONS, Statement


def busiest_pair(statements: list[Statement]) -> tuple[str, str] | None:
    """The two analysts who reviewed the most statements in common (the default comparison)."""
    overlap: dict[tuple[str, str], int] = {}
    for s in statements:
        for pair in combinations(sorted(s.reviews), 2):
            overlap[pair] = overlap.get(pair, 0) + 1
    return max(overlap, key=lambda p: (overlap[p], p)) if overlap else None


def agreement(statements: list[Statement], a: str, b: str) -> dict:
    """Kappa over the decisions (three labels and "not a statement") both made, and every disagreement."""
    both = [s for s in statements if s.reviews.get(a, {}).get("decision") and s.reviews.get(b, {}).get("decision")]
    da = [s.reviews[a]["decision"] for s in both]
    db = [s.reviews[b]["decision"] for s in both]
    differ = [s for s in both if any(s.reviews[a][k] != s.reviews[b][k] for k in DECIDED_FIELDS)]
    return {"a": a, "b": b, "n": len(both), "kappa": round(cohen_kappa(da, db, DECISIONS), 4) if both else None,
            "agreement": round(sum(x == y for x, y in zip(da, db)) / len(both), 4) if both else None,
            "disagreements": differ, "adjudicated": sum(1 for s in differ if s.adjudication)}
