"""The model registry: immutable version folders, a ``current`` alias, and a promotion log.

Layout under the models folder (``$STANCE_MODELS`` or ``models/`` in the project)::

    versions/<version>/      weights, tokenizer, onnx/, stance.json (manifest), MODEL_CARD.md
    current                  symlink -> versions/<version>, swapped atomically
    history.jsonl            one line per promotion or rollback: who, when, why, from, to, metrics

A version becomes visible only by an atomic rename of a finished folder, and ``current``
only ever moves by an atomic ``os.replace`` of a symlink, so a reader never sees a
half-written version or a moment with no current model.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from model.encoding import ENCODING_VERSION
from model.schema import LABELS

MODELS_ENV = "STANCE_MODELS"
MANIFEST = "stance.json"
CARD = "MODEL_CARD.md"


class RegistryError(RuntimeError):
    """A model version is missing, altered or incompatible with this code."""


def models_root(override: str | Path | None = None) -> Path:
    if override:
        return Path(override)
    if os.environ.get(MODELS_ENV):
        return Path(os.environ[MODELS_ENV])
    return Path(__file__).resolve().parents[1] / "models"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file in a version folder except the manifest itself."""
    return {
        str(p.relative_to(folder)): _sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


@dataclass(frozen=True)
class ModelVersion:
    name: str
    path: Path
    manifest: dict

    @property
    def labels(self) -> list[str]:
        return list(self.manifest["labels"])

    @property
    def temperature(self) -> float:
        return float(self.manifest.get("temperature", 1.0))

    @property
    def metrics(self) -> dict:
        return self.manifest.get("metrics", {})


def verify_version(path: Path) -> ModelVersion:
    """Load a version's manifest and refuse it, saying why, unless it is whole and matches this code."""
    path = Path(path)
    manifest_path = path / MANIFEST
    if not manifest_path.is_file():
        raise RegistryError(f"{path}: not a model version (no {MANIFEST})")
    try:
        manifest = json.loads(manifest_path.read_text())
    except json.JSONDecodeError as e:
        raise RegistryError(f"{path}: manifest is not valid JSON ({e})") from None
    if list(manifest.get("labels", [])) != list(LABELS):
        raise RegistryError(f"{path}: label set {manifest.get('labels')} does not match the code's {list(LABELS)}")
    if manifest.get("encoding_version") != ENCODING_VERSION:
        raise RegistryError(
            f"{path}: encoding {manifest.get('encoding_version')!r} does not match the code's {ENCODING_VERSION!r}"
        )
    expected = manifest.get("files", {})
    if not expected:
        raise RegistryError(f"{path}: manifest lists no files")
    for rel, digest in expected.items():
        f = path / rel
        if not f.is_file():
            raise RegistryError(f"{path}: file {rel} is missing")
        if _sha256(f) != digest:
            raise RegistryError(f"{path}: file {rel} was altered (checksum mismatch)")
    return ModelVersion(manifest.get("version", path.name), path, manifest)


class Registry:
    """Versions, the ``current`` alias, and an append-only promotion log under one folder."""

    def __init__(self, root: str | Path | None = None):
        self.root = models_root(root)
        self.versions_dir = self.root / "versions"
        self.current_link = self.root / "current"
        self.history_path = self.root / "history.jsonl"

    # -- versions -------------------------------------------------------------------
    def new_version_name(self, prefix: str = "stance") -> str:
        return f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"

    def staging_dir(self) -> Path:
        """A private folder to build a version in; ``publish`` makes it visible in one rename."""
        path = self.versions_dir / f".staging-{uuid.uuid4().hex}"
        path.mkdir(parents=True)
        return path

    def publish(self, staging: Path, name: str, manifest: dict) -> ModelVersion:
        """Seal a built folder (checksums into its manifest) and rename it into place."""
        manifest = {**manifest, "version": name, "labels": list(LABELS), "encoding_version": ENCODING_VERSION}
        manifest["files"] = file_hashes(staging)
        tmp = staging / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, staging / MANIFEST)
        final = self.versions_dir / name
        if final.exists():
            raise RegistryError(f"version {name} already exists")
        os.rename(staging, final)
        return verify_version(final)

    def list_versions(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def version_path(self, name: str) -> Path:
        path = self.versions_dir / name
        if not path.is_dir():
            raise RegistryError(f"no model version {name!r} in {self.versions_dir}")
        return path

    def get(self, name: str | None = None) -> ModelVersion:
        """A verified version: by name, or the current one when ``name`` is None or ``current``."""
        if name in (None, "current"):
            name = self.current_name()
            if name is None:
                raise RegistryError(f"no current model in {self.root}: train one (`stance train`) or promote one")
        return verify_version(self.version_path(name))

    # -- the current alias -------------------------------------------------------------
    def current_name(self) -> str | None:
        try:
            return Path(os.readlink(self.current_link)).name
        except (FileNotFoundError, OSError):
            return None

    def _point_current(self, name: str) -> None:
        tmp = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(Path("versions") / name, tmp)
        os.replace(tmp, self.current_link)

    def history(self) -> list[dict]:
        if not self.history_path.is_file():
            return []
        return [json.loads(line) for line in self.history_path.read_text().splitlines() if line.strip()]

    def _log(self, action: str, previous: str | None, name: str, reason: str, metrics: dict,
             who: str | None = None) -> dict:
        entry = {
            "action": action, "from": previous, "to": name, "reason": reason,
            "who": who or os.environ.get("STANCE_USER") or getpass.getuser(),
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "metrics": metrics,
        }
        with self.history_path.open("a") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        return entry

    def promote(self, name: str, reason: str = "", who: str | None = None) -> dict:
        """Make a verified version current; refused (current unchanged) if the version is broken.

        ``who`` names the person (the workbench's analyst); by default ``$STANCE_USER`` or the login."""
        version = self.get(name)
        previous = self.current_name()
        self._point_current(version.name)
        return self._log("promote", previous, version.name, reason, version.metrics.get("test", {}), who)

    def rollback(self, reason: str = "", who: str | None = None) -> dict:
        """Point ``current`` back at the version whose promotion it replaced, as recorded in the log."""
        current = self.current_name()
        for entry in reversed(self.history()):
            if entry["action"] == "promote" and entry["to"] == current and entry["from"]:
                target = self.get(entry["from"])
                self._point_current(target.name)
                return self._log("rollback", current, target.name, reason, target.metrics.get("test", {}), who)
        raise RegistryError(f"nothing to roll back to: {current} has no recorded predecessor")
