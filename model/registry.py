"""The model registry: immutable version folders, a ``current`` alias, and a promotion log.

Layout under the models folder (``$STANCE_MODELS`` or ``models/`` in the project)::

    versions/<version>/      weights, tokenizer, onnx/, relevance.json and targets.json (the extractor's fitted
                             files), stance.json (manifest), MODEL_CARD.md
    current                  symlink -> versions/<version>, swapped atomically
    history.jsonl            one line per promotion or rollback: who, when, why, from, to, metrics

A version becomes visible only by an atomic rename of a finished folder, and ``current``
only ever moves by an atomic ``os.replace`` of a symlink, so a reader never sees a
half-written version or a moment with no current model. The manifest carries a checksum of
itself as well as of every file, so an edited value (say a temperature) is refused like an
altered weight file. Promotions and rollbacks hold one file lock, write their log line (one
``O_APPEND`` write, fsynced) before moving ``current``, and so never race or leave a ``current``
that the log does not explain.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import math
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from model.encoding import ENCODING_VERSION
from model.errors import StanceError
from model.extraction.weights import FILE_NAMES, ExtractorWeights
from model.schema import LABELS
from model.timestamps import now

MODELS_ENV = "STANCE_MODELS"
MANIFEST = "stance.json"
CARD = "MODEL_CARD.md"
MANIFEST_CHECKSUM = "manifest_sha256"
LOCK = ".registry.lock"
MAX_TEMPERATURE = 100.0
MAX_MODEL_LENGTH = 512

log = logging.getLogger("stance.registry")


class RegistryError(StanceError, RuntimeError):
    """A model version is missing, altered or incompatible with this code."""


def project_folder(override: str | Path | None, env_var: str, name: str) -> Path:
    """A folder the user may move: an explicit path, else ``$env_var``, else ``name`` in the project."""
    if override:
        return Path(override)
    if os.environ.get(env_var):
        return Path(os.environ[env_var])
    return Path(__file__).resolve().parents[1] / name


def models_root(override: str | Path | None = None) -> Path:
    return project_folder(override, MODELS_ENV, "models")


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


def manifest_checksum(manifest: dict) -> str:
    """sha256 of the manifest's canonical JSON without its own checksum field."""
    body = {k: v for k, v in manifest.items() if k != MANIFEST_CHECKSUM}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def manifest_problem(manifest: dict) -> str | None:
    """Why the manifest's values cannot describe a working model (a checksum only proves nobody edited them)."""
    temperature = manifest.get("temperature", 1.0)
    if not isinstance(temperature, (int, float)) or not math.isfinite(temperature) \
            or not 0 < temperature <= MAX_TEMPERATURE:
        return f"temperature {temperature!r} is impossible (must be in (0, {MAX_TEMPERATURE:g}])"
    max_length = manifest.get("training", {}).get("max_length", 128)
    if not isinstance(max_length, int) or not 8 <= max_length <= MAX_MODEL_LENGTH:
        return f"training.max_length {max_length!r} is impossible (must be 8..{MAX_MODEL_LENGTH})"
    onnx = manifest.get("onnx_default")
    if onnx is not None and onnx not in manifest.get("files", {}):
        return f"onnx_default {onnx!r} is not one of the version's checksummed files"
    return None


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

    @property
    def extractor_files(self) -> list[str]:
        """The extractor's fitted files this version carries (checksummed like its weights); a version published
        before versions carried one of them lacks it."""
        return [name for name in FILE_NAMES.values() if name in self.manifest.get("files", {})]

    @property
    def extractor_weights(self) -> ExtractorWeights:
        """The fitted files this version extracts with: its own, and for each it lacks the package default."""
        return ExtractorWeights.in_folder(self.path, self.extractor_files)


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
    if not isinstance(manifest, dict):
        raise RegistryError(f"{path}: manifest is not a JSON object")
    if manifest.get(MANIFEST_CHECKSUM) != manifest_checksum(manifest):
        state = "has no checksum" if MANIFEST_CHECKSUM not in manifest else "was edited (checksum mismatch)"
        raise RegistryError(f"{path}: manifest {MANIFEST} {state}; republish the version")
    folder = path.resolve().name  # through a ``current`` link too
    if manifest.get("version", folder) != folder:
        raise RegistryError(f"{path}: manifest names version {manifest['version']!r}, not its folder {folder!r}")
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
    problem = manifest_problem(manifest)
    if problem:
        raise RegistryError(f"{path}: manifest {problem}")
    return ModelVersion(folder, path, manifest)


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
        final = self.versions_dir / name
        if final.exists():
            raise RegistryError(f"version {name} already exists")
        manifest = {**manifest, "version": name, "labels": list(LABELS), "encoding_version": ENCODING_VERSION}
        manifest["files"] = file_hashes(staging)
        manifest[MANIFEST_CHECKSUM] = manifest_checksum(manifest)
        problem = manifest_problem(manifest)
        if problem:
            raise RegistryError(f"version {name} not published: manifest {problem}")
        tmp = staging / (MANIFEST + ".tmp")
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
        os.replace(tmp, staging / MANIFEST)
        os.rename(staging, final)
        return verify_version(final)

    def list_versions(self) -> list[str]:
        if not self.versions_dir.is_dir():
            return []
        return sorted(p.name for p in self.versions_dir.iterdir() if p.is_dir() and not p.name.startswith("."))

    def version_path(self, name: str) -> Path:
        """The folder of a version by its name; anything but a plain name inside ``versions/`` is refused."""
        if not name or name in (".", "..") or name.startswith(".") or Path(name).name != name:
            raise RegistryError(f"not a version name: {name!r}; give one of `stance models`, not a path")
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

    def current_marker(self) -> tuple[str, int, int] | None:
        """The current name and the identity of the link itself: a re-promotion changes it, the name stays."""
        try:
            st = os.lstat(self.current_link)
            return Path(os.readlink(self.current_link)).name, st.st_ino, st.st_mtime_ns
        except OSError:
            return None

    def _point_current(self, name: str) -> None:
        tmp = self.root / f".current-{uuid.uuid4().hex}"
        os.symlink(Path("versions") / name, tmp)
        os.replace(tmp, self.current_link)

    def _lock(self) -> FileLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return FileLock(self.root / LOCK)

    def history(self) -> list[dict]:
        """The log's entries; a torn last line (a writer killed mid-append) is skipped, any other bad line refused."""
        if not self.history_path.is_file():
            return []
        lines = self.history_path.read_bytes().split(b"\n")
        entries = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except (json.JSONDecodeError, UnicodeDecodeError) as e:
                if n == len(lines):  # no newline after it: the append never finished
                    continue
                raise RegistryError(f"{self.history_path}:{n}: not a log entry ({e}); fix or remove that line") from None
        return entries

    def _log(self, action: str, previous: str | None, name: str, reason: str, metrics: dict,
             who: str | None = None) -> dict:
        """Append one entry as a single write, after cutting off a torn last line left by a killed writer."""
        entry = {
            "action": action, "from": previous, "to": name, "reason": reason,
            "who": who or os.environ.get("STANCE_USER") or getpass.getuser(),
            "when": now(), "metrics": metrics,
        }
        fd = os.open(self.history_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            line = (json.dumps(entry) + "\n").encode()
            size = os.fstat(fd).st_size
            tail = os.pread(fd, size, 0).rsplit(b"\n", 1)[-1] if size else b""
            if tail:
                try:
                    json.loads(tail)
                    line = b"\n" + line  # a whole entry that only lacks its newline: keep it
                except (json.JSONDecodeError, UnicodeDecodeError):
                    log.warning("%s: cutting off a torn last line (%d bytes)", self.history_path, len(tail))
                    os.ftruncate(fd, size - len(tail))
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def promote(self, name: str, reason: str = "", who: str | None = None) -> dict:
        """Make a verified version current; refused (current unchanged) if the version is broken.

        ``who`` names the person (the workbench's analyst); by default ``$STANCE_USER`` or the login.
        Promoting the current version again is logged (``from`` equals ``to``) and re-points ``current``,
        which makes a running service reload it, e.g. after a refused version was repaired.
        """
        with self._lock():
            version = self.get(name)
            previous = self.current_name()
            entry = self._log("promote", previous, version.name, reason, version.metrics.get("test", {}), who)
            self._point_current(version.name)
        return entry

    def rollback(self, reason: str = "", who: str | None = None) -> dict:
        """Point ``current`` back at the version whose promotion it replaced, as recorded in the log."""
        with self._lock():
            current = self.current_name()
            for entry in reversed(self.history()):
                if entry["action"] == "promote" and entry["to"] == current and entry["from"] not in (None, current):
                    target = self.get(entry["from"])
                    logged = self._log("rollback", current, target.name, reason, target.metrics.get("test", {}), who)
                    self._point_current(target.name)
                    return logged
        raise RegistryError(f"nothing to roll back to: {current} has no recorded predecessor")
