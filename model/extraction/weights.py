"""The extractor's fitted files as one value: what a model version carries and extraction applies.

Two parts of the extractor are learned: the relevance filter (``relevance``) and the target scorer
(``target_scorer``). Their weights files beside this module are the package defaults; a model version
carries its own copies (``ModelVersion.extractor_weights``), so what a version extracts changes only with
a new version. Callers pass this one value, not a path per file, so a third fitted file is one field here.
A missing file means that part is not fitted: every candidate is kept, or the rules choose the target.
Both parts are logistic regressions over sparse binary features, stored in one format (``bias``,
``weights`` by feature name, and what the part adds, such as a threshold); ``load_weights``,
``save_weights`` and ``probability`` are that format's one reader, writer and scorer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

RELEVANCE = "relevance.json"
TARGETS = "targets.json"
_PACKAGE = Path(__file__).parent


@dataclass(frozen=True)
class ExtractorWeights:
    """The relevance filter's and the target scorer's weights files."""

    relevance: Path
    targets: Path

    @classmethod
    def package_default(cls) -> ExtractorWeights:
        """The files shipped beside this module: what ``stance extractor fit``/``fit-targets`` write by default."""
        return cls.in_folder(_PACKAGE, FILE_NAMES.values())

    @classmethod
    def in_folder(cls, folder: Path, present: Collection[str]) -> ExtractorWeights:
        """The files of ``present`` (file names) in ``folder``; for the others, the package default."""
        return cls(**{part: (folder if name in present else _PACKAGE) / name for part, name in FILE_NAMES.items()})

    def files(self) -> dict[str, Path]:
        """Each file under its canonical name (the name a version folder holds it by)."""
        return {FILE_NAMES[f.name]: getattr(self, f.name) for f in fields(self)}


FILE_NAMES = {"relevance": RELEVANCE, "targets": TARGETS}
"""Each part's canonical file name, in a version folder and beside this module."""


@lru_cache(maxsize=8)
def load_weights(path: Path) -> dict | None:
    """The fitted weights at ``path``, or None when that part has not been fitted.

    Cached by path: a version's file never changes (it is checksummed); ``save_weights`` clears the cache."""
    if not path.is_file():
        return None
    return json.loads(path.read_text())


def save_weights(fitted: dict, out: Path) -> None:
    """Write fitted weights where ``load_weights`` reads them (and forget what it had read before)."""
    out.write_text(json.dumps(fitted, indent=0, sort_keys=True) + "\n")
    load_weights.cache_clear()


def fitted_weights(names, coefficients, intercept: float) -> dict:
    """A fitted linear model (feature names, their coefficients, the intercept) in the stored format; weights
    under 1e-4 are left out."""
    weights = {n: round(float(w), 5) for n, w in zip(names, coefficients) if abs(w) > 1e-4}
    return {"bias": round(float(intercept), 5), "weights": weights}


def probability(features: list[str], weights: dict) -> float:
    """The logistic model's probability for one candidate's features (unknown features weigh nothing)."""
    z = weights["bias"] + sum(weights["weights"].get(f, 0.0) for f in features)
    return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))
