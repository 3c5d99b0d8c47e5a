"""The model registry: promotion and rollback are atomic and logged; broken versions are refused."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import run_stance
from model.registry import MANIFEST, Registry, RegistryError, verify_version


def add_copy(root: Path, name: str) -> str:
    """A second valid version: a copy of the tiny one under a new name (the manifest's name updated)."""
    reg = Registry(root)
    src = reg.version_path(reg.current_name())
    dst = reg.versions_dir / name
    shutil.copytree(src, dst)
    manifest = json.loads((dst / MANIFEST).read_text())
    manifest["version"] = name
    (dst / MANIFEST).write_text(json.dumps(manifest))
    return name


def test_promote_and_rollback_are_logged(models_copy):
    reg = Registry(models_copy)
    first = reg.current_name()
    second = add_copy(models_copy, "tiny-2")
    os.environ["STANCE_USER"] = "tester"
    try:
        reg.promote(second, reason="better on new summit")
    finally:
        del os.environ["STANCE_USER"]
    assert reg.current_name() == second
    assert os.path.islink(models_copy / "current")
    entry = reg.history()[-1]
    assert entry["action"] == "promote" and entry["from"] == first and entry["to"] == second
    assert entry["who"] == "tester" and entry["reason"] == "better on new summit" and entry["when"]
    reg.rollback("regression")
    assert reg.current_name() == first
    assert reg.history()[-1]["action"] == "rollback"
    with pytest.raises(RegistryError, match="nothing to roll back"):
        reg.rollback()
    assert reg.current_name() == first


@pytest.mark.parametrize("damage, message", [
    ("alter", "altered"),
    ("delete", "missing"),
    ("labels", "label set"),
    ("encoding", "encoding"),
    ("manifest", "not a model version"),
])
def test_broken_version_is_refused_and_current_kept(models_copy, damage, message):
    reg = Registry(models_copy)
    first = reg.current_name()
    name = add_copy(models_copy, "broken")
    folder = reg.version_path(name)
    manifest = json.loads((folder / MANIFEST).read_text())
    if damage == "alter":
        with (folder / "onnx" / "model.int8.onnx").open("r+b") as f:
            f.seek(100)
            f.write(b"\x00\x01\x02")
    elif damage == "delete":
        (folder / "tokenizer.json").unlink()
    elif damage == "labels":
        manifest["labels"] = ["positive", "negative", "neutral"]
    elif damage == "encoding":
        manifest["encoding_version"] = "text-only-v0"
    elif damage == "manifest":
        (folder / MANIFEST).unlink()
    if damage in ("labels", "encoding"):
        (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(RegistryError, match=message):
        reg.promote(name)
    assert reg.current_name() == first
    proc = run_stance("promote", name, "--models", str(models_copy), check=False)
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert reg.current_name() == first


def test_publish_is_atomic_and_staging_is_invisible(models_copy):
    reg = Registry(models_copy)
    staging = reg.staging_dir()
    (staging / "weights.bin").write_bytes(b"half-written")
    assert staging.name not in reg.list_versions()
    with pytest.raises(RegistryError, match="no model version"):
        reg.get(staging.name[1:])


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(RegistryError, match="no current model"):
        Registry(tmp_path).get()
    proc = run_stance("models", "--models", str(tmp_path))
    assert "no model versions" in proc.stdout


def test_models_cli_lists_current(tiny_model_dir):
    out = run_stance("models", "--models", str(tiny_model_dir), "--json").stdout
    rows = json.loads(out)
    assert rows[0]["current"] and rows[0]["status"] == "ok"
    assert verify_version(Registry(tiny_model_dir).version_path(rows[0]["version"]))
