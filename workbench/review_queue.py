"""What to review next: least certain first, with a random evaluation slice spread through the queue.

The evaluation slice is chosen by document, with the same stable hash and share that ``stance
retrain`` uses to hold new documents out (``training.retrain.split_new_batches``), so the
statements that later judge a retrained model are exactly the ones reviewed without seeing the
current model's suggestion: the comparison is not anchored on the model it compares against.
"""

from __future__ import annotations

from collections import Counter

from model.schema import LABELS
from training.dataset import hash_share
from workbench.store import DECISIONS, Statement, Workspace, Workspaces

EVAL_SHARE = 0.3
"""Share of documents in the evaluation slice: ``training.retrain.NEW_HELDOUT_SHARE`` (a test keeps them equal)."""


def in_eval_slice(workspace: Workspace, doc_id: str) -> bool:
    return hash_share(f"{workspace.corpus}/{doc_id}") < EVAL_SHARE


def queue(workspace: Workspace, annotator: str, statements: list[Statement] | None = None) -> list[dict]:
    """Statements ``annotator`` has not reviewed: least certain first, evaluation-slice ones spread evenly."""
    statements = workspace.statements() if statements is None else statements
    pending = [s for s in statements if annotator not in s.decided() and not s.adjudication]
    slice_docs = {s.doc_id for s in pending if in_eval_slice(workspace, s.doc_id)}
    learn = sorted((s for s in pending if s.doc_id not in slice_docs),
                   key=lambda s: (s.margin is None, s.margin or 0.0, s.id))
    held = sorted((s for s in pending if s.doc_id in slice_docs), key=lambda s: hash_share(f"{s.doc_id}/{s.id}"))
    keyed = [((i + 0.5) / len(learn), s, False) for i, s in enumerate(learn)]
    keyed += [((i + 0.5) / len(held), s, True) for i, s in enumerate(held)]
    return [{"statement": s, "eval_slice": is_eval,
             "why": "evaluation slice (random, suggestion hidden)" if is_eval else
             ("least certain" if s.margin is not None else "no model suggestion")}
            for _, s, is_eval in sorted(keyed, key=lambda k: (k[0], k[2]))]


def progress(statements: list[Statement]) -> dict:
    """Reviewed / total, and the reviewed statements' decisions (final, else the first analyst's)."""
    decisions: Counter = Counter()
    reviewed = 0
    for s in statements:
        state = s.final() or next(iter(s.decided().values()), None)
        if state:
            reviewed += 1
            decisions[state["decision"]] += 1
    return {"total": len(statements), "reviewed": reviewed, "decisions": {d: decisions[d] for d in DECISIONS},
            "disputed": sum(s.disputed() for s in statements),
            "share": round(reviewed / len(statements), 4) if statements else 0.0, "labels": list(LABELS)}


def annotator_progress(statements: list[Statement], annotator: str) -> dict:
    """What one analyst has decided of the workspace's statements (``progress`` counts anyone's decision)."""
    reviewed = sum(1 for s in statements if annotator in s.decided())
    return {"annotator": annotator, "total": len(statements), "reviewed": reviewed,
            "share": round(reviewed / len(statements), 4) if statements else 0.0}


def overview(store: Workspaces) -> list[dict]:
    """Every workspace's settings, article count and progress (the home page, the API, ``summit list``)."""
    rows = []
    for slug in store.names():
        ws = store.get(slug)
        rows.append({"slug": slug, **ws.meta(), "articles": len(ws.articles()), "progress": progress(ws.statements())})
    return rows
