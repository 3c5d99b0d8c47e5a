"""A model version's extractor: its fitted files copied into it at publish, and a version that changes only those.

Extraction is part of what a version answers (``/v1/analyze``, ``stance score`` on articles), so the
relevance filter and target scorer that ``stance extractor fit`` and ``fit-targets`` write reach users only
through a new version, checksummed and shown in its model card like its weights: ``stage_extractor`` puts
them into a version being built, ``publish_extractor`` publishes an existing version again with some of them
replaced and no retraining.
"""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from pathlib import Path

from model.extraction import ExtractorWeights, extractor_version
from model.extraction.weights import FILE_NAMES
from model.registry import CARD, MANIFEST, MANIFEST_CHECKSUM, ModelVersion, Registry, RegistryError
from model.timestamps import now

FIT_COMMANDS = {"relevance": "stance extractor fit", "targets": "stance extractor fit-targets"}


def stage_extractor(staging: Path, weights: ExtractorWeights) -> dict:
    """Copy the fitted files into a version folder being built; the manifest fields that describe them."""
    described = {}
    for part, name in FILE_NAMES.items():
        source = getattr(weights, part)
        if not source.is_file():
            raise RegistryError(f"no {part} weights at {source}: fit them with `{FIT_COMMANDS[part]}`")
        shutil.copyfile(source, staging / name)
        described[f"{part}_sha256"] = hashlib.sha256(source.read_bytes()).hexdigest()
    staged = ExtractorWeights.in_folder(staging, FILE_NAMES.values())
    return {"extractor": {**described, "version_at_publish": extractor_version(staged)}}


def publish_extractor(registry: Registry, name: str, base: str | None = None, **changed: Path) -> ModelVersion:
    """A new version: ``base`` (default: the current one) with the fitted files in ``changed`` (part -> file,
    e.g. ``targets=Path(...)``) in place of its own, not promoted."""
    from training.model_card import write_model_card

    source = registry.get(base)
    staging = registry.staging_dir()
    shutil.copytree(source.path, staging, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(MANIFEST, CARD, *FILE_NAMES.values()))
    manifest = {k: v for k, v in source.manifest.items() if k not in ("files", MANIFEST_CHECKSUM)}
    weights = dataclasses.replace(source.extractor_weights, **changed)
    manifest.update(stage_extractor(staging, weights), version=name, derived_from=source.name,
                    derived_changes=sorted(FILE_NAMES[part] for part in changed),
                    created=now())
    write_model_card(staging, manifest)
    return registry.publish(staging, name, manifest)


def extractor_summary(version: ModelVersion) -> dict:
    """Which fitted files a version extracts with, for ``stance models``."""
    files = version.manifest.get("files", {})
    summary = {part: f"{name} sha256 {files[name][:12]}" if name in files
               else "package default (the version carries none)" for part, name in FILE_NAMES.items()}
    return {**summary, "extractor": extractor_version(version.extractor_weights)}
