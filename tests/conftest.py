"""Shared fixtures: the real corpora, the seed article, and one real tiny model trained per session."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STANCE = [sys.executable, "-m", "cli.main"]
TINY_MODELS_ENV = "STANCE_TEST_TINY_MODELS"


def corpora_dir() -> Path:
    from training.corpora import corpora_root

    return corpora_root()


@pytest.fixture(scope="session")
def seed_article() -> Path:
    path = corpora_dir().parent / "seed" / "eu-china-summit-2023.txt"
    assert path.is_file(), f"seed article missing: {path}"
    return path


def run_stance(*args: str, env: dict | None = None, check: bool = True, **kw) -> subprocess.CompletedProcess:
    """Run the real ``stance`` CLI in a subprocess, as a user would."""
    proc = subprocess.run([*STANCE, *args], cwd=REPO, env={**os.environ, **(env or {})},
                          capture_output=True, text=True, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"stance {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A registry root with one real fine-tuned (1 epoch, small slice) version, promoted to current.

    Trained once per test session through the real ``stance train`` command: small enough for CI,
    real enough that every backend, the registry checks and the service run on true weights.
    """
    root = tmp_path_factory.mktemp("models")
    if os.environ.get(TINY_MODELS_ENV):  # a registry this fixture built before, reused on a developer's machine
        shutil.copytree(os.environ[TINY_MODELS_ENV], root, symlinks=True, dirs_exist_ok=True)
        return root
    run_stance("train", "--models", str(root), "--epochs", "1", "--max-length", "64", "--limit", "48",
               "--promote", "--name", "tiny-1")
    return root


@pytest.fixture()
def models_copy(tiny_model_dir, tmp_path) -> Path:
    """A private copy of the tiny registry that a test may promote, roll back or corrupt."""
    dst = tmp_path / "models"
    shutil.copytree(tiny_model_dir, dst, symlinks=True)
    return dst


def publish_copy(root: Path, source: str, name: str) -> Path:
    """A second real version: the source's files, sealed and published under a new name."""
    from model.registry import MANIFEST, Registry

    registry = Registry(root)
    src = registry.version_path(source)
    staging = registry.staging_dir()
    shutil.copytree(src, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST))
    manifest = json.loads((src / MANIFEST).read_text())
    manifest.pop("files")
    return registry.publish(staging, name, manifest).path
