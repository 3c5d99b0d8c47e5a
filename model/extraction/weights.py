"""The extractor's fitted files as one value: what a model version carries and extraction applies.

Two parts of the extractor are learned: the relevance filter (``relevance``) and the target scorer
(``target_scorer``). Their weights files beside this module are the package defaults; a model version
carries its own copies (``ModelVersion.extractor_weights``), so what a version extracts changes only with
a new version. Callers pass this one value, not a path per file, so a third fitted file is one field here.
A missing file means that part is not fitted: every candidate is kept, or the rules choose the target.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, fields
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
