"""Teacher labels for the pool, as a versioned artifact, and their use as the student's soft targets.

``labels.jsonl`` holds one line per pool statement: its standoff record (keyed by ``id``,
``corpus/doc_id:start-end``) and the teacher's calibrated probabilities, never corpus text.
The manifest names the teacher (its fingerprint) and the pool (its sha256), so a model version
trained on it can say exactly which teacher and which statements it learnt from.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from model.encoding import ENCODING_VERSION
from model.schema import LABELS
from model.timestamps import now
from training.annotations import AnnotationError, CorpusCache, with_statement_text
from training.artifacts import CHECKSUM, ArtifactError, complete_lines, seal, verify
from training.pool import KIND as POOL_KIND, POOL, held_out_documents

LABELS_FILE = "labels.jsonl"
PARTIAL = ".labels.partial.jsonl"
KIND = "teacher-labels"
CHUNK = 1024
"""Statements labelled per step: long enough for length-sorted batches, short enough for steady progress."""


def _pool_items(records: list[dict], corpora: CorpusCache) -> list[dict]:
    """Model inputs for standoff records, with words and context rebuilt from the corpus (span hash checked)."""
    items = []
    for rec in records:
        full = with_statement_text(rec, corpora, require_label=False)
        items.append({"id": rec["id"], "corpus": rec["corpus"], "text": full["text"], "context": full["context"],
                      "speaker_party": rec["speaker_party"], "target_party": rec["target_party"]})
    return items


def label_pool(teacher_dir: Path, pool_dir: Path, out: Path, threads: int = 2, root: str | None = None,
               report=print) -> dict:
    """The teacher's probabilities for every pool statement, sealed in ``out``; returns the manifest.

    Resumable (an hour on CPU at full size): finished chunks go to a partial file whose first line names
    the teacher and the pool; a rerun with the same two continues after the last whole line.
    """
    from training.teacher import Teacher

    pool = verify(pool_dir, POOL_KIND)
    teacher = Teacher(teacher_dir, threads)
    out = Path(out)
    if (out / LABELS_FILE).exists():
        raise FileExistsError(f"{out} already holds {LABELS_FILE}; give a new --out folder")
    out.mkdir(parents=True, exist_ok=True)
    records = [json.loads(line) for line in (Path(pool_dir) / POOL).read_text(encoding="utf-8").splitlines() if line]
    corpora = CorpusCache(root)
    started = time.time()
    partial = out / PARTIAL
    header = json.dumps({"teacher": teacher.fingerprint, "pool": pool["pool_sha256"]})
    lines = complete_lines(partial) if partial.is_file() else []
    if lines[:1] != [header]:  # nothing done yet, or done for another teacher or pool
        partial.write_text(header + "\n")
        lines = [header]
    done = lines[1:]
    if [json.loads(line)["id"] for line in done] != [r["id"] for r in records[:len(done)]]:
        raise ArtifactError(f"{partial} does not follow the pool's order; delete it and label again")
    with partial.open("a", encoding="utf-8") as f:
        for s in range(len(done), len(records), CHUNK):
            chunk = records[s:s + CHUNK]
            probs = teacher.probabilities(_pool_items(chunk, corpora))
            for rec, p in zip(chunk, probs):
                f.write(json.dumps({**rec, "probs": [round(float(x), 5) for x in p]}, ensure_ascii=False) + "\n")
            f.flush()
            report(f"labelled {s + len(chunk)}/{len(records)} ({time.time() - started:.0f} s)")
    (out / LABELS_FILE).write_text("".join(line + "\n" for line in complete_lines(partial)[1:]), encoding="utf-8")
    partial.unlink()
    manifest = {"kind": KIND, "version": f"labels-{teacher.fingerprint[:8]}-{pool['pool_sha256'][:8]}",
                "created": now(), "labels": list(LABELS), "statements": len(records),
                "teacher": {"fingerprint": teacher.fingerprint, "backbone": teacher.manifest["training"]["backbone"],
                            "dev_macro_f1": teacher.manifest["dev_macro_f1"],
                            "temperature": teacher.manifest["temperature"],
                            "data_fingerprint": teacher.manifest["data_fingerprint"]},
                "pool": {"sha256": pool["pool_sha256"], "extractor": pool["extractor"],
                         "per_corpus": pool["per_corpus"], "held_out_from": pool["held_out_from"]},
                "encoding_version": ENCODING_VERSION, "labelling_seconds": round(time.time() - started, 1)}
    return seal(out, manifest, [LABELS_FILE])


def load_soft_labels(folder: Path, corpora: CorpusCache | None = None) -> tuple[list[dict], dict]:
    """(student inputs with ``probs``, the description a model version records) from a labels artifact.

    Refused, with the reason: an artifact edited since it was sealed, one labelled under another
    encoding, and one holding any statement from a dev, test or reserved document.
    """
    manifest = verify(folder, KIND)
    if manifest["labels"] != list(LABELS):
        raise ArtifactError(f"{folder} has labels {manifest['labels']}, the model {list(LABELS)}")
    if manifest["encoding_version"] != ENCODING_VERSION:
        raise ArtifactError(f"{folder} was labelled under encoding {manifest['encoding_version']!r}, "
                            f"this code is {ENCODING_VERSION!r}: label the pool again")
    records = [json.loads(line) for line in (Path(folder) / LABELS_FILE).read_text(encoding="utf-8").splitlines()
               if line]
    held_out = held_out_documents()
    leaks = sorted({f"{r['corpus']}/{r['doc_id']} ({held_out[k]})" for r in records
                    if (k := f"{r['corpus']}/{r['doc_id']}") in held_out})
    if leaks:
        raise ArtifactError(f"{folder} holds statements from {len(leaks)} held-out documents, e.g. "
                            f"{', '.join(leaks[:3])}: rebuild the pool (stance teacher pool) and label it again")
    try:
        items = _pool_items(records, corpora or CorpusCache())
    except AnnotationError as e:
        raise ArtifactError(f"{folder}: {e}") from None
    for item, rec in zip(items, records):
        item["probs"] = rec["probs"]
    info = {"artifact": str(Path(folder).resolve()), "version": manifest["version"],
            "manifest_sha256": manifest[CHECKSUM], "labels_sha256": manifest["files"][LABELS_FILE],
            "teacher": manifest["teacher"]["fingerprint"], "teacher_backbone": manifest["teacher"]["backbone"],
            "pool_sha256": manifest["pool"]["sha256"], "statements": len(items)}
    return items, info
