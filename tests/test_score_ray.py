"""`stance score --engine ray` on a local Ray: the local engine's output byte for byte, also after a kill -9."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, STANCE, run_stance
from test_score_sources import stray_quote_csv

pytest.importorskip("ray.data", reason="the [scale] extra (Ray Data) is not installed")
pytestmark = pytest.mark.slow

N_LINES = 2000
CHUNK = "100"  # rows per Ray chunk: 20 chunks over 2 actors, which may return them out of order
WAIT_LIMIT_S = 300  # a hung run fails the test instead of blocking the suite; not a speed check
BAD = {  # line -> a broken input of each kind the local engine rejects
    7: b'{"id": 7, "text": "unterminated',
    250: b'{"id": 250, "text": "a lone \\ud800 half"}',
    1001: b'{"id": 1001, "text": "caf\xc3\xa9 \xff"}',
    1777: b'{"id": 1777, "speaker": "Xi"}',
    1999: b'["not", "an", "object"]',
}


def write_input(path: Path) -> None:
    """Statements of varied length (so length-sorted batches differ from input order), a blank line, bad lines."""
    lines = []
    for i in range(1, N_LINES + 1):
        words = " ".join(["and the partners"] * (i % 23))
        lines.append(BAD.get(i) or json.dumps({"id": i, "text": f"China urged Japan {words} to talk, point {i}.",
                                               "speaker_party": "China", "target_party": "Japan"}).encode())
    path.write_bytes(b"\n".join(lines[:500]) + b"\n\n" + b"\n".join(lines[500:]) + b"\n")


def score(models: Path, src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_stance("score", str(src), "-o", str(out), "--models", str(models), "--no-progress", *extra,
                      check=False)


def ray_args(workers: int = 2) -> tuple[str, ...]:
    return ("--engine", "ray", "--workers", str(workers), "--batch-size", CHUNK)


@pytest.fixture(scope="module")
def local_run(tiny_model_dir, tmp_path_factory) -> tuple[Path, Path]:
    """The input and the local engine's output of it: what every Ray run must reproduce exactly."""
    folder = tmp_path_factory.mktemp("ray-local")
    src, out = folder / "in.jsonl", folder / "local.jsonl"
    write_input(src)
    proc = score(tiny_model_dir, src, out)
    assert proc.returncode == 3, proc.stderr  # 3: the bad lines were rejected
    assert json.loads(proc.stdout)["rejected"] == len(BAD)
    return src, out


def assert_same_files(out: Path, reference: Path) -> None:
    assert out.read_bytes() == reference.read_bytes()
    rejects = out.with_name(out.name.replace(".jsonl", ".rejects.jsonl"))
    assert rejects.read_bytes() == reference.with_name(reference.name.replace(".jsonl", ".rejects.jsonl")).read_bytes()
    assert not out.with_name(out.name + ".staging").exists()


def test_ray_output_is_byte_identical_to_the_local_engine(tiny_model_dir, local_run, tmp_path):
    src, reference = local_run
    out = tmp_path / "ray.jsonl"

    proc = score(tiny_model_dir, src, out, *ray_args())

    assert proc.returncode == 3, proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["scored"], summary["rejected"], summary["complete"]) == (N_LINES - len(BAD), len(BAD), True)
    assert_same_files(out, reference)
    lines = [json.loads(r)["line"] for r in (tmp_path / "ray.rejects.jsonl").read_text().splitlines()]
    assert lines == [i if i <= 500 else i + 1 for i in BAD]  # the blank line after line 500 shifts the rest


def test_ray_joins_a_cluster_given_its_address(tiny_model_dir, local_run, tmp_path):
    """``--address`` runs the same command on an existing cluster: two raylets on this machine with one CPU each,
    as ``ray start --head`` and ``ray start --address`` on two machines make them, so each actor runs on its own
    node and the driver is outside both. The output is still the local engine's, byte for byte."""
    from ray.cluster_utils import Cluster

    src, reference = local_run
    out = tmp_path / "cluster.jsonl"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    try:
        cluster.add_node(num_cpus=1)
        proc = score(tiny_model_dir, src, out, *ray_args(), "--address", cluster.address)
    finally:
        cluster.shutdown()
    assert proc.returncode == 3, proc.stderr
    assert_same_files(out, reference)


def test_ray_reads_csv_and_articles_as_the_local_engine_does(tiny_model_dir, tmp_path, seed_article):
    csv_in = tmp_path / "in.csv"
    stray_quote_csv(csv_in, 300, 101)
    articles = tmp_path / "articles"
    articles.mkdir()
    shutil.copy(seed_article, articles / "a-summit.txt")
    (articles / "b-broken.txt").write_bytes(b"Caf\xe9 talks")
    shutil.copy(seed_article, articles / "c-again.txt")
    for name, src in (("csv", csv_in), ("articles", articles)):
        local, ray = tmp_path / f"{name}-local.jsonl", tmp_path / f"{name}-ray.jsonl"
        assert score(tiny_model_dir, src, local).returncode == 3
        proc = score(tiny_model_dir, src, ray, *ray_args())
        assert proc.returncode == 3, proc.stderr
        assert_same_files(ray, local)


def wait_for_commit(proc: subprocess.Popen, checkpoint: Path, past: int) -> dict:
    deadline = time.monotonic() + WAIT_LIMIT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"run ended before it could be killed: {proc.communicate()}"
        try:
            ckpt = json.loads(checkpoint.read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            ckpt = {"done": 0}
        if ckpt["done"] > past:
            return ckpt
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    raise AssertionError(f"no commit past {past} within {WAIT_LIMIT_S}s")


def test_ray_job_killed_midway_resumes_to_the_same_output(tiny_model_dir, local_run, tmp_path):
    src, reference = local_run
    out = tmp_path / "ray.jsonl"
    checkpoint = tmp_path / "ray.jsonl.checkpoint.json"
    # Its own session, so kill -9 takes the driver and the local Ray it started (as a killed job would go).
    proc = subprocess.Popen([*STANCE, "score", str(src), "-o", str(out), "--models", str(tiny_model_dir),
                             "--no-progress", *ray_args()], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    wait_for_commit(proc, checkpoint, 300)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=WAIT_LIMIT_S)
    killed = json.loads(checkpoint.read_text())
    assert not killed["finished"] and killed["done"] < N_LINES
    assert (tmp_path / "ray.jsonl.staging" / "manifest.json").is_file()
    # A resume must use the engine that started the run, which keeps its chunk cursor.
    wrong_engine = score(tiny_model_dir, src, out, "--resume")
    assert wrong_engine.returncode == 1 and "--engine ray" in wrong_engine.stderr

    proc = score(tiny_model_dir, src, out, *ray_args(), "--resume")

    assert proc.returncode == 3, proc.stderr
    assert "resuming after" in proc.stderr
    assert json.loads(proc.stdout)["scored"] == N_LINES - len(BAD)
    assert_same_files(out, reference)
