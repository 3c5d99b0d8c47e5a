"""Sealed artifact folders (teacher, unlabeled pool, teacher labels): files plus a checksummed manifest.

Each stage of distillation reads the previous stage's output; a manifest that lists every file's
sha256 and carries its own checksum lets the next stage refuse an edited or half-written artifact
instead of training on it.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from model.registry import MANIFEST_CHECKSUM as CHECKSUM, manifest_checksum

MANIFEST = "manifest.json"


class ArtifactError(ValueError):
    """An artifact that is missing, incomplete or edited since it was sealed."""


def file_sha256(path: Path) -> str:
    with Path(path).open("rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def complete_lines(path: Path) -> list[str]:
    """The whole lines of a log that a killed run may have torn mid-line; the torn tail is cut off the file,
    so appending resumes cleanly."""
    data = Path(path).read_bytes()
    whole = data[:data.rfind(b"\n") + 1]
    if len(whole) != len(data):
        with Path(path).open("r+b") as f:
            f.truncate(len(whole))
    return whole.decode("utf-8").splitlines()


def seal(folder: Path, manifest: dict, files: list[str]) -> dict:
    """Write ``manifest.json`` listing ``files`` (relative to ``folder``) with their sha256; returns it.

    Written to a temporary name and renamed, so a reader sees the old manifest or the new one, never half.
    """
    folder = Path(folder)
    manifest = {**manifest, "files": {name: file_sha256(folder / name) for name in sorted(files)}}
    manifest[CHECKSUM] = manifest_checksum(manifest)
    tmp = folder / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    os.replace(tmp, folder / MANIFEST)
    return manifest


def verify(folder: Path, kind: str) -> dict:
    """The manifest of a sealed artifact of ``kind``, after checking it and every file it lists."""
    folder = Path(folder)
    path = folder / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ArtifactError(f"{folder} is not a {kind} artifact (no {MANIFEST}; was it finished?)") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArtifactError(f"{path} is not valid JSON ({e})") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != kind:
        found = manifest.get("kind") if isinstance(manifest, dict) else None
        raise ArtifactError(f"{folder} holds a {found!r} artifact, not a {kind!r} one")
    if manifest.get(CHECKSUM) != manifest_checksum(manifest):
        raise ArtifactError(f"{path} was edited after it was sealed (checksum mismatch)")
    for name, digest in manifest.get("files", {}).items():
        if not (folder / name).is_file():
            raise ArtifactError(f"{folder}: {name} is missing")
        if file_sha256(folder / name) != digest:
            raise ArtifactError(f"{folder}: {name} changed after the artifact was sealed (sha256 mismatch)")
    return manifest
