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
    built = os.environ.get(TINY_MODELS_ENV)  # a registry this fixture built before, reused on a developer's machine
    if not built and os.environ.get("PYTEST_XDIST_WORKER"):  # parallel workers share one training run
        built = shared_tiny_models(tmp_path_factory.getbasetemp().parent)
    if built:  # each test session still gets its own copy, which its tests may change
        shutil.copytree(built, root, symlinks=True, dirs_exist_ok=True)
        return root
    train_tiny_models(root)
    return root


def train_tiny_models(root: Path) -> None:
    run_stance("train", "--models", str(root), "--epochs", "1", "--max-length", "64", "--limit", "48",
               "--promote", "--name", "tiny-1")


def shared_tiny_models(shared: Path) -> Path:
    """The tiny registry in the folder all pytest-xdist workers share: the first worker trains it, under a lock."""
    from filelock import FileLock

    done = shared / "tiny-models"
    with FileLock(str(shared / "tiny-models.lock")):
        if not done.is_dir():
            partial = shared / "tiny-models.partial"
            shutil.rmtree(partial, ignore_errors=True)
            train_tiny_models(partial)
            partial.rename(done)
    return done


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



def publish_strict_filter(root: Path, folder: Path):
    """A version ``tiny-strict``: the current one with a relevance filter that drops every candidate, not promoted."""
    from model.registry import Registry
    from training.extractor_release import publish_extractor

    registry = Registry(root)
    strict = json.loads(registry.get().extractor_weights.relevance.read_text())
    strict["threshold"] = 1.01  # no candidate scores above 1: this filter drops them all
    weights = folder / "strict.json"
    weights.write_text(json.dumps(strict))
    return publish_extractor(registry, "tiny-strict", relevance=weights)

def pytest_collection_modifyitems(items: list) -> None:
    """Refuse tests that share a node id: pytest-xdist, which runs the suite, would silently run only one."""
    seen: set[str] = set()
    twins = sorted({item.nodeid for item in items if item.nodeid in seen or seen.add(item.nodeid)})
    if twins:
        raise pytest.UsageError(f"tests collected twice under one node id (give each its own id): {twins}")
