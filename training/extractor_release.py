"""A model version's extractor: the relevance filter copied into it at publish, and a version that changes only that.

Extraction is part of what a version answers (``/v1/analyze``, ``stance score`` on articles), so the
filter ``stance extractor fit`` writes reaches users only through a new version, checksummed and
shown in its model card like its weights: ``stage_relevance`` puts it into a version being built,
``publish_relevance`` publishes an existing version again with another filter and no retraining.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from pathlib import Path

from model.extraction import extractor_version
from model.extraction.relevance import WEIGHTS_FILE
from model.registry import CARD, MANIFEST, MANIFEST_CHECKSUM, RELEVANCE, ModelVersion, Registry, RegistryError


def stage_relevance(staging: Path, weights: Path = WEIGHTS_FILE) -> dict:
    """Copy the filter into a version folder being built; the manifest fields that describe it."""
    if not weights.is_file():
        raise RegistryError(f"no relevance filter at {weights}: fit one with `stance extractor fit`")
    shutil.copyfile(weights, staging / RELEVANCE)
    return {"extractor": {"relevance_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
                          "version_at_publish": extractor_version(staging / RELEVANCE)}}


def publish_relevance(registry: Registry, weights: Path, name: str, base: str | None = None) -> ModelVersion:
    """A new version: ``base`` (default: the current one) with ``weights`` as its relevance filter, not promoted."""
    from training.model_card import write_model_card

    source = registry.get(base)
    staging = registry.staging_dir()
    shutil.copytree(source.path, staging, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(MANIFEST, CARD, RELEVANCE))
    manifest = {k: v for k, v in source.manifest.items() if k not in ("files", MANIFEST_CHECKSUM)}
    manifest.update(stage_relevance(staging, weights), version=name, derived_from=source.name,
                    created=time.strftime("%Y-%m-%dT%H:%M:%S%z"))
    write_model_card(staging, manifest)
    return registry.publish(staging, name, manifest)


def extractor_summary(version: ModelVersion) -> dict:
    """Which filter a version extracts with, for ``stance models`` and ``/v1/model``."""
    if version.relevance_file is None:
        return {"relevance": "package default (the version carries none)", "extractor": extractor_version()}
    return {"relevance": f"{RELEVANCE} sha256 {version.manifest['files'][RELEVANCE][:12]}",
            "extractor": extractor_version(version.relevance_file)}
