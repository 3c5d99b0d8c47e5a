"""Distillation end to end on tiny data: teacher fit -> pool -> label -> stance train --distill.

MiniLM stands in for the mpnet teacher (``--backbone minilm``), so CI needs no extra packages.
The pool reads the first UN General Debate speeches (the third is a gold test document) and two
Kremlin articles (the article extractor), so a held-out document is met and must be left out.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_stance
from training.annotations import CorpusCache
from training.artifacts import CHECKSUM, seal, verify
from training.dataset import standoff_id
from training.distill import LABELS_FILE, load_soft_labels
from training.pool import POOL, PROGRESS, held_out_documents

pytestmark = pytest.mark.slow

CHAIN_ENV = "STANCE_TEST_DISTILL_CHAIN"
STANDOFF_FIELDS = {"id", "corpus", "doc_id", "start", "end", "span_hash", "kind", "speaker", "speaker_party",
                   "target_party", "context_start", "context_end"}


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def chain(tmp_path_factory) -> dict[str, Path]:
    """Every artifact of the chain, built once through the real ``stance`` commands."""
    root = tmp_path_factory.mktemp("distill")
    paths = {"teacher": root / "teacher", "pool": root / "pool", "labels": root / "labels", "models": root / "models"}
    if os.environ.get(CHAIN_ENV):  # a chain this fixture built before, reused on a developer's machine
        shutil.copytree(os.environ[CHAIN_ENV], root, dirs_exist_ok=True)
        return paths
    run_stance("teacher", "fit", "--backbone", "minilm", "--out", str(paths["teacher"]), "--epochs", "1",
               "--max-length", "48", "--limit", "32")
    run_stance("teacher", "pool", "--out", str(paths["pool"]), "--corpus", "ungd", "--corpus", "kremlin_en",
               "--limit-docs", "3")
    run_stance("teacher", "label", "--teacher", str(paths["teacher"]), "--pool", str(paths["pool"]),
               "--out", str(paths["labels"]))
    run_stance("train", "--models", str(paths["models"]), "--epochs", "1", "--max-length", "48", "--limit", "32",
               "--name", "distilled", "--distill", str(paths["labels"]), "--distill-weight", "0.6")
    return paths


def test_teacher_folder_carries_config_and_data_fingerprint(chain):
    manifest = verify(chain["teacher"], "teacher")
    assert manifest["training"]["max_length"] == 48 and "MiniLM" in manifest["training"]["backbone"]
    assert set(manifest["data_fingerprint"]) == {"train", "dev", "test"}
    assert manifest["temperature"] > 0 and "model.safetensors" in manifest["files"]
    assert not (chain["models"] / "versions" / chain["teacher"].name).exists()  # outside the registry


def test_pool_leaves_out_held_out_documents_and_holds_no_corpus_text(chain):
    manifest = verify(chain["pool"], "pool")
    records = _jsonl(chain["pool"] / POOL)
    held_out = held_out_documents()
    assert manifest["per_corpus"]["ungd"]["held_out_test"] == 1  # the third speech was met and left out
    assert records and not {f"{r['corpus']}/{r['doc_id']}" for r in records} & set(held_out)
    assert {r["corpus"] for r in records} == {"ungd", "kremlin_en"}
    assert all(set(r) == STANDOFF_FIELDS and r["id"] == standoff_id(r) for r in records)
    raw = (chain["pool"] / POOL).read_text(encoding="utf-8")
    corpora = CorpusCache()
    for r in records:
        words = corpora.text(r["corpus"], r["doc_id"])[r["start"]:r["end"]]
        assert words[:40] not in raw


def test_pool_resumes_per_document_after_a_torn_write(chain, tmp_path):
    pool = tmp_path / "pool"
    shutil.copytree(chain["pool"], pool)
    with (pool / PROGRESS).open("a") as f:
        f.write('{"corpus": "ungd", "doc_id": "AL')  # a run killed mid-line
    out = run_stance("teacher", "pool", "--out", str(pool), "--corpus", "ungd", "--limit-docs", "4").stdout
    assert "ungd: 1 documents read this run" in out
    before, after = _jsonl(chain["pool"] / POOL), _jsonl(pool / POOL)
    assert [r["id"] for r in after[:len(before)]] == [r["id"] for r in before] and len(after) > len(before)
    verify(pool, "pool")


def test_labels_are_keyed_by_standoff_ids_and_rebuild_text_from_the_corpus(chain):
    labels = _jsonl(chain["labels"] / LABELS_FILE)
    assert [r["id"] for r in labels] == [r["id"] for r in _jsonl(chain["pool"] / POOL)]
    assert all("text" not in r and "context" not in r for r in labels)
    corpora = CorpusCache()
    items, info = load_soft_labels(chain["labels"], corpora)
    for item, rec in zip(items, labels):
        doc = corpora.text(rec["corpus"], rec["doc_id"])
        assert item["id"] == standoff_id(rec) and item["text"] == " ".join(doc[rec["start"]:rec["end"]].split())
        assert item["context"] and item["text"][:30] in " ".join(doc[rec["context_start"]:rec["context_end"]].split())
    probs = np.array([r["probs"] for r in labels])
    assert np.allclose(probs.sum(1), 1, atol=1e-4)
    manifest = verify(chain["labels"], "teacher-labels")
    assert manifest["teacher"]["fingerprint"] == verify(chain["teacher"], "teacher")[CHECKSUM]
    assert manifest["pool"]["sha256"] == verify(chain["pool"], "pool")["pool_sha256"] == info["pool_sha256"]


def test_distilled_version_names_its_labels_artifact(chain):
    version = chain["models"] / "versions" / "distilled"
    manifest = json.loads((version / "stance.json").read_text())
    labels = verify(chain["labels"], "teacher-labels")
    d = manifest["distillation"]
    assert d["version"] == labels["version"] and d["manifest_sha256"] == labels[CHECKSUM]
    assert d["labels_sha256"] == labels["files"][LABELS_FILE] and d["statements"] == labels["statements"]
    assert manifest["training"]["distill_weight"] == 0.6
    assert labels["version"] in (version / "MODEL_CARD.md").read_text()


def test_a_tampered_labels_artifact_is_refused(chain, tmp_path):
    labels = tmp_path / "labels"
    shutil.copytree(chain["labels"], labels)
    rows = _jsonl(labels / LABELS_FILE)
    rows[0]["probs"] = [1.0, 0.0, 0.0] if rows[0]["probs"][0] < 0.5 else [0.0, 1.0, 0.0]
    (labels / LABELS_FILE).write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = run_stance("train", "--models", str(tmp_path / "models"), "--limit", "8", "--distill", str(labels),
                      check=False)
    assert proc.returncode == 1 and "changed after the artifact was sealed" in proc.stderr
    assert not (tmp_path / "models" / "versions").exists()


def test_labels_from_a_held_out_document_are_refused_even_when_sealed(chain, tmp_path):
    labels = tmp_path / "labels"
    shutil.copytree(chain["labels"], labels)
    rows = _jsonl(labels / LABELS_FILE)
    test_doc = next(k for k, why in sorted(held_out_documents().items()) if why == "test" and k.startswith("ungd/"))
    rows.append({**rows[0], "doc_id": test_doc.split("/", 1)[1]})
    (labels / LABELS_FILE).write_text("".join(json.dumps(r) + "\n" for r in rows))
    seal(labels, {k: v for k, v in verify(chain["labels"], "teacher-labels").items() if k not in ("files", CHECKSUM)},
         [LABELS_FILE])
    proc = run_stance("train", "--models", str(tmp_path / "models"), "--limit", "8", "--distill", str(labels),
                      check=False)
    assert proc.returncode == 1 and test_doc in proc.stderr and "held-out" in proc.stderr


def test_distillation_loss_is_zero_only_when_the_student_matches_the_teacher():
    import torch

    from training.train import distillation_loss

    teacher = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    matching = torch.log(teacher) + 3.0  # same distribution, shifted logits
    assert distillation_loss(matching, teacher, 2.0).item() == pytest.approx(0.0, abs=1e-6)
    assert distillation_loss(torch.zeros(2, 3), teacher, 2.0).item() > 0.01


def test_mpnet_backbone_is_assembled_once_from_its_pieces(tmp_path):
    from importlib import metadata

    from transformers import AutoConfig

    from training.teacher import MPNET_PACKAGES, mpnet_path

    try:
        metadata.version(MPNET_PACKAGES[0])
    except metadata.PackageNotFoundError:
        pytest.skip("the [teacher] extra (all-mpnet-base-v2 pieces) is not installed")
    folder = mpnet_path(tmp_path)
    assert AutoConfig.from_pretrained(folder).model_type == "mpnet" and (folder / "model.safetensors").is_file()
    assert mpnet_path(tmp_path) == folder and [p.name for p in tmp_path.iterdir()] == [folder.name]


def test_labelling_resumes_after_the_last_whole_line(chain, tmp_path):
    from training.distill import PARTIAL

    finished = (chain["labels"] / LABELS_FILE).read_text(encoding="utf-8").splitlines()
    out = tmp_path / "labels"
    out.mkdir()
    header = json.dumps({"teacher": verify(chain["teacher"], "teacher")[CHECKSUM],
                         "pool": verify(chain["pool"], "pool")["pool_sha256"]})
    (out / PARTIAL).write_text("\n".join([header, *finished[:5]]) + '\n{"id": "ungd/AF')  # killed in line 6
    run_stance("teacher", "label", "--teacher", str(chain["teacher"]), "--pool", str(chain["pool"]), "--out", str(out))
    resumed = _jsonl(out / LABELS_FILE)
    assert [r["id"] for r in resumed] == [json.loads(line)["id"] for line in finished]
    assert resumed[:5] == [json.loads(line) for line in finished[:5]]
    np.testing.assert_allclose([r["probs"] for r in resumed], [json.loads(line)["probs"] for line in finished],
                               atol=1e-3)
    assert not (out / PARTIAL).exists()
