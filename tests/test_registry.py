"""The model registry: promotion and rollback are atomic, locked and logged; broken versions are refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.common import user_errors
from conftest import REPO, publish_copy, publish_strict_filter, run_stance
from model.registry import MANIFEST, Registry, RegistryError, manifest_checksum, verify_version


def test_promote_and_rollback_are_logged(models_copy):
    reg = Registry(models_copy)
    first = reg.current_name()
    second = publish_copy(models_copy, first, "tiny-2").name
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


def damage_manifest(folder: Path, reseal: bool = False, **changes) -> None:
    """Edit the manifest by hand; ``reseal`` also updates its checksum, as a deliberate forger would."""
    manifest = {**json.loads((folder / MANIFEST).read_text()), **changes}
    if reseal:
        manifest["manifest_sha256"] = manifest_checksum(manifest)
    (folder / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("damage, message", [
    ("alter", "altered"),
    ("delete", "missing"),
    ("labels", "label set"),
    ("encoding", "encoding"),
    ("manifest", "not a model version"),
    ("temperature", "manifest stance.json was edited"),
    ("unsealed", "manifest stance.json has no checksum"),
])
def test_broken_version_is_refused_and_current_kept(models_copy, damage, message):
    reg = Registry(models_copy)
    first = reg.current_name()
    folder = publish_copy(models_copy, first, "broken")
    if damage == "alter":
        with (folder / "onnx" / "model.int8.onnx").open("r+b") as f:
            f.seek(100)
            f.write(b"\x00\x01\x02")
    elif damage == "delete":
        (folder / "tokenizer.json").unlink()
    elif damage == "labels":
        damage_manifest(folder, reseal=True, labels=["positive", "negative", "neutral"])
    elif damage == "encoding":
        damage_manifest(folder, reseal=True, encoding_version="text-only-v0")
    elif damage == "manifest":
        (folder / MANIFEST).unlink()
    elif damage == "temperature":
        damage_manifest(folder, temperature=-1.5)
    elif damage == "unsealed":
        manifest = json.loads((folder / MANIFEST).read_text())
        del manifest["manifest_sha256"]
        (folder / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(RegistryError, match=message):
        reg.promote(name := folder.name)
    assert reg.current_name() == first
    proc = run_stance("promote", name, "--models", str(models_copy), check=False)
    assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr
    assert reg.current_name() == first
    rows = {r["version"]: r for r in json.loads(run_stance("models", "--models", str(models_copy), "--json").stdout)}
    assert rows[name]["status"].startswith("refused:") and message in rows[name]["status"]
    assert rows[first]["status"] == "ok"


@pytest.mark.parametrize("changes, message", [
    ({"temperature": 0}, "temperature 0 is impossible"),
    ({"temperature": -1.5}, "temperature -1.5 is impossible"),
    ({"temperature": float("inf")}, "temperature inf is impossible"),
    ({"training": {"max_length": 0}}, "training.max_length 0 is impossible"),
    ({"onnx_default": "../elsewhere.onnx"}, "onnx_default '../elsewhere.onnx' is not one of the version's checksummed"),
])
def test_sealed_but_impossible_values_are_refused(models_copy, changes, message):
    """A checksum only proves nobody edited the manifest; values no model can have are refused too."""
    reg = Registry(models_copy)
    folder = publish_copy(models_copy, reg.current_name(), "impossible")
    manifest = json.loads((folder / MANIFEST).read_text())
    with pytest.raises(RegistryError, match=f"not published: manifest {message}"):
        reg.publish(reg.staging_dir(), "never", {**manifest, **changes})
    damage_manifest(folder, reseal=True, **changes)
    with pytest.raises(RegistryError, match=message):
        verify_version(folder)
    rows = json.loads(run_stance("models", "--models", str(models_copy), "--json").stdout)
    assert [r["status"] for r in rows if r["version"] == "impossible"][0].startswith("refused:")


def test_publish_is_atomic_and_staging_is_invisible(models_copy):
    """Until ``publish`` renames it, a staging folder is no version; after it, the whole folder is one."""
    reg = Registry(models_copy)
    source = reg.version_path(reg.current_name())
    staging = reg.staging_dir()
    for f in source.rglob("*"):
        if f.is_file() and f.name != MANIFEST:
            (staging / f.relative_to(source)).parent.mkdir(parents=True, exist_ok=True)
            (staging / f.relative_to(source)).write_bytes(f.read_bytes())
    assert staging.name not in reg.list_versions() and not (staging / MANIFEST).exists()
    with pytest.raises(RegistryError):
        reg.get(staging.name)
    manifest = json.loads((source / MANIFEST).read_text())
    version = reg.publish(staging, "tiny-published", manifest)
    assert not staging.exists()                                  # renamed, not copied
    assert "tiny-published" in reg.list_versions() and version.path == reg.versions_dir / "tiny-published"
    assert set(version.manifest["files"]) == {str(f.relative_to(version.path)) for f in version.path.rglob("*")
                                              if f.is_file() and f.name != MANIFEST}
    assert not [p for p in reg.versions_dir.iterdir() if p.name.startswith(".staging")]
    with pytest.raises(RegistryError, match="already exists"):
        reg.publish(reg.staging_dir(), "tiny-published", manifest)


def test_repromoting_current_reloads_and_rollback_never_loops(models_copy):
    reg = Registry(models_copy)
    first = reg.current_name()
    second = publish_copy(models_copy, first, "tiny-2").name
    reg.promote(second)
    before = reg.current_marker()
    entry = reg.promote(second, "fixed on disk, reload it")
    assert entry["from"] == entry["to"] == second
    assert reg.current_marker()[0] == second and reg.current_marker() != before   # a watcher sees a new link
    assert reg.rollback()["to"] == first                         # not second -> second
    with pytest.raises(RegistryError, match="nothing to roll back"):
        reg.rollback()


@pytest.mark.parametrize("name", ["/tmp", "../versions/x", "..", ".staging-x", "versions/tiny-1", ""])
def test_only_versions_inside_the_registry_can_be_promoted(models_copy, name):
    reg = Registry(models_copy)
    first = reg.current_name()
    with pytest.raises(RegistryError):
        reg.promote(name)
    assert reg.current_name() == first and verify_version(models_copy / "current")


def test_manifest_name_must_match_its_folder(models_copy):
    reg = Registry(models_copy)
    folder = publish_copy(models_copy, reg.current_name(), "tiny-2")
    folder.rename(reg.versions_dir / "tiny-renamed")
    with pytest.raises(RegistryError, match="names version 'tiny-2', not its folder 'tiny-renamed'"):
        reg.promote("tiny-renamed")


def test_torn_history_line_is_tolerated_and_repaired(models_copy):
    reg = Registry(models_copy)
    first = reg.current_name()
    second = publish_copy(models_copy, first, "tiny-2").name
    reg.promote(second)
    with reg.history_path.open("ab") as f:
        f.write(b'{"action": "promote", "from": "tiny-2", "to": "ti')   # a writer killed mid-line
    assert reg.history()[-1]["to"] == second                      # the torn line is skipped
    assert reg.rollback()["to"] == first                          # and rollback still works
    lines = reg.history_path.read_text().splitlines()
    assert all(json.loads(line) for line in lines) and len(lines) == len(reg.history())
    reg.history_path.write_text("not json\n" + reg.history_path.read_text())
    with pytest.raises(RegistryError, match=rf"{reg.history_path.name}:1: not a log entry"):
        reg.history()


RACER = """
import sys
from model.registry import Registry
reg = Registry(sys.argv[1])
for i in range(int(sys.argv[3])):
    reg.promote(sys.argv[2] if i % 2 else sys.argv[4], "race")
"""


def test_concurrent_promotes_are_serialised(models_copy):
    """Each log entry's ``from`` is the ``to`` of the entry before it: no two promotions read one predecessor."""
    reg = Registry(models_copy)
    first = reg.current_name()
    second = publish_copy(models_copy, first, "tiny-2").name
    procs = [subprocess.Popen([sys.executable, "-c", RACER, str(models_copy), first, "6", second], cwd=REPO)
             for _ in range(4)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0, 0]
    history = reg.history()
    assert len(history) == 1 + 4 * 6
    assert all(b["from"] == a["to"] for a, b in zip(history, history[1:]))


KILLED = """
import sys
from model.registry import Registry
reg = Registry(sys.argv[1])
names = sys.argv[2:]
i = 0
while True:
    reg.promote(names[i % 2], "soak")
    i += 1
"""


@pytest.mark.parametrize("delay_s", [0.0, 0.05, 0.2])
def test_kill_9_during_promotes_leaves_a_consistent_registry(models_copy, delay_s):
    reg = Registry(models_copy)
    first = reg.current_name()
    second = publish_copy(models_copy, first, "tiny-2").name
    proc = subprocess.Popen([sys.executable, "-c", KILLED, str(models_copy), second, first], cwd=REPO)
    while len(reg.history()) < 3 and proc.poll() is None:      # killed amid promotions, not at import
        time.sleep(0.01)
    time.sleep(delay_s)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    current = reg.current_name()
    assert current in (first, second) and verify_version(models_copy / "current")
    history = reg.history()                                       # readable, whatever line was cut
    assert any(e["to"] == current for e in history)               # the log explains current
    reg.promote(second)
    assert reg.rollback()["to"] == first and reg.current_name() == first


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


def test_only_the_projects_errors_become_one_line(tmp_path):
    """A bug's KeyError keeps its traceback; a refused model is one line, or a traceback with --debug."""
    with pytest.raises(KeyError):
        with user_errors():
            {}["missing"]
    proc = run_stance("promote", "nope", "--models", str(tmp_path), check=False)
    assert proc.returncode == 1 and "no model version 'nope'" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_stance("--debug", "promote", "nope", "--models", str(tmp_path), check=False)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "RegistryError" in proc.stderr


@pytest.mark.parametrize("name", ["relevance.json", "targets.json"])
def test_version_carries_its_extractor_files_checksummed(models_copy, name):
    from model.extraction.weights import FILE_NAMES

    part = next(p for p, n in FILE_NAMES.items() if n == name)
    version = Registry(models_copy).get()
    assert name in version.manifest["files"] and getattr(version.extractor_weights, part) == version.path / name
    sha = version.manifest["extractor"][f"{part}_sha256"]
    assert sha == version.manifest["files"][name] and sha in (version.path / "MODEL_CARD.md").read_text()
    weights = json.loads((version.path / name).read_text())
    weights["bias"] += 1.0
    (version.path / name).write_text(json.dumps(weights))
    with pytest.raises(RegistryError, match=f"file {name} was altered"):
        verify_version(version.path)


def test_extraction_through_a_version_uses_its_filter(models_copy, tmp_path, seed_article):
    from model.extraction import extract_statements, extractor_version

    reg = Registry(models_copy)
    version = publish_strict_filter(models_copy, tmp_path)
    assert version.manifest["derived_from"] == "tiny-1" and reg.current_name() == "tiny-1"
    card = (version.path / "MODEL_CARD.md").read_text()
    assert "derived from version tiny-1 with only `relevance.json` changed" in card
    assert (version.path / "targets.json").read_bytes() == reg.get().extractor_weights.targets.read_bytes()
    text = seed_article.read_text(encoding="utf-8")
    assert extract_statements(text, year=2023, weights=reg.get().extractor_weights)
    assert extract_statements(text, year=2023, weights=version.extractor_weights) == []
    assert extractor_version(version.extractor_weights) != extractor_version(reg.get().extractor_weights)
    rows = {r["version"]: r for r in json.loads(run_stance("models", "--models", str(models_copy), "--json").stdout)}
    assert rows["tiny-strict"]["extractor"] == extractor_version(version.extractor_weights)


SPEECH = "Our country believes in peace. The war in Ukraine, started by Russia, must end."


def test_extraction_through_a_version_uses_its_target_scorer(models_copy, tmp_path):
    """Codebook 2's actor (Russia) comes from the shipped scorer; a version whose scorer has every learned weight
    negated chooses otherwise, and is another extractor."""
    from model.extraction import extract_statements, extractor_version
    from training.extractor_release import publish_extractor

    reg = Registry(models_copy)
    negated = json.loads(reg.get().extractor_weights.targets.read_text())
    negated["weights"] = {f: -w for f, w in negated["weights"].items()}
    weights = tmp_path / "negated.json"
    weights.write_text(json.dumps(negated))
    version = publish_extractor(reg, "tiny-negated", targets=weights)
    assert (version.path / "relevance.json").read_bytes() == reg.get().extractor_weights.relevance.read_bytes()

    def target(weights) -> list[str]:
        found = extract_statements(SPEECH, year=2022, speaker_party="France", weights=weights)
        return [st.target_party for st in found if st.text.startswith("The war")]

    assert target(reg.get().extractor_weights) == ["Russia"]
    assert target(version.extractor_weights) == ["Ukraine"]
    assert extractor_version(version.extractor_weights) != extractor_version(reg.get().extractor_weights)
    rows = {r["version"]: r for r in json.loads(run_stance("models", "--models", str(models_copy), "--json").stdout)}
    assert rows["tiny-negated"]["targets"] == f"targets.json sha256 {version.manifest['files']['targets.json'][:12]}"


@pytest.mark.parametrize("lacking", [("targets.json",), ("relevance.json", "targets.json")])
def test_version_without_extractor_files_still_loads_on_the_package_defaults(models_copy, lacking):
    """Versions published before they carried a fitted file load, and extract with the package's file for it."""
    from model.extraction import ExtractorWeights
    from model.extraction.weights import FILE_NAMES

    reg = Registry(models_copy)
    src = reg.get()
    staging = reg.staging_dir()
    shutil.copytree(src.path, staging, dirs_exist_ok=True, ignore=shutil.ignore_patterns(MANIFEST, *lacking))
    manifest = {k: v for k, v in src.manifest.items() if k not in ("files", "extractor")}
    old = reg.publish(staging, "tiny-old", manifest)
    default = ExtractorWeights.package_default()
    for part, name in FILE_NAMES.items():
        ours = getattr(old.extractor_weights, part)
        assert ours == (getattr(default, part) if name in lacking else old.path / name)
    rows = {r["version"]: r for r in json.loads(run_stance("models", "--models", str(models_copy), "--json").stdout)}
    assert rows["tiny-old"]["status"] == "ok" and rows["tiny-old"]["targets"].startswith("package default")
    assert rows["tiny-old"]["relevance"].startswith("package default") == ("relevance.json" in lacking)
