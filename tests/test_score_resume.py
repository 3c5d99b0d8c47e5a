"""`stance score --resume` after real interruptions (SIGINT, kill -9): every input exactly once, in order."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, STANCE, run_stance

pytestmark = pytest.mark.slow

N_LINES = 600
BAD_EVERY = 97  # lines 97, 194, ... are broken JSON: they must be rejected exactly once too
BATCH = "2"
WAIT_LIMIT_S = 180  # a hung run fails the test instead of blocking the suite; not a speed check


def write_input(path: Path) -> tuple[list[int], list[int]]:
    good, bad = [], []
    with path.open("w") as f:
        for i in range(1, N_LINES + 1):
            if i % BAD_EVERY == 0:
                f.write('{"id": %d, "text": \n' % i)
                bad.append(i)
            else:
                f.write(json.dumps({"id": i, "text": f"The EU urged China to open its market, step {i}.",
                                    "speaker_party": "European Union", "target_party": "China"}) + "\n")
                good.append(i)
    return good, bad


def start_score(models: Path, src: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*STANCE, "score", str(src), "-o", str(out), "--models", str(models),
                             "--batch-size", BATCH, "--no-progress", *extra],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=interruptible)


def interruptible() -> None:
    """Ctrl-C as in a terminal: a suite started in the background (``cmd &``) hands its children SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_progress(proc: subprocess.Popen, checkpoint: Path, past_line: int) -> None:
    """Block until the run has committed batches beyond ``past_line`` (read from its checkpoint)."""
    deadline = time.monotonic() + WAIT_LIMIT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"run ended before it could be interrupted: {proc.communicate()}"
        try:
            done = json.loads(checkpoint.read_text())["done"]
        except (FileNotFoundError, json.JSONDecodeError):
            done = 0
        if done > past_line:
            return
        time.sleep(0.005)
    proc.kill()
    raise AssertionError(f"no progress past line {past_line} within {WAIT_LIMIT_S}s")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_resume_after_ctrl_c_and_kill_9_gives_every_input_once_in_order(tiny_model_dir, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    good, bad = write_input(src)
    checkpoint = tmp_path / "out.jsonl.checkpoint.json"

    # 1. Ctrl-C: a clean stop that says how to continue.
    proc = start_score(tiny_model_dir, src, out)
    wait_for_progress(proc, checkpoint, 50)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=WAIT_LIMIT_S)
    assert proc.returncode == 130 and "--resume" in err
    after_sigint = json.loads(checkpoint.read_text())["done"]
    assert 50 < after_sigint < N_LINES

    # 2. Resume, then kill -9 part-way: no chance to clean up.
    proc = start_score(tiny_model_dir, src, out, "--resume")
    wait_for_progress(proc, checkpoint, after_sigint + 150)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=WAIT_LIMIT_S)
    assert proc.returncode == -signal.SIGKILL
    killed_at = json.loads(checkpoint.read_text())
    assert not killed_at["finished"] and killed_at["done"] < N_LINES
    # A torn write after the last checkpoint, as a crash mid-batch leaves it: resume must cut it off.
    with out.open("ab") as f:
        f.write(b'{"id": 999999, "text": "half a li')

    # 3. Resume to the end.
    proc = run_stance("score", str(src), "-o", str(out), "--models", str(tiny_model_dir), "--batch-size", BATCH,
                      "--no-progress", "--resume", check=False)
    assert proc.returncode == 3, proc.stderr  # 3: the broken lines were rejected
    assert "resuming after" in proc.stderr
    summary = json.loads(proc.stdout)
    assert (summary["scored"], summary["rejected"], summary["complete"]) == (len(good), len(bad), True)
    assert [r["id"] for r in read_jsonl(out)] == good
    assert [r["line"] for r in read_jsonl(tmp_path / "out.rejects.jsonl")] == bad


def test_resume_refuses_what_would_mix_or_lose_output(tiny_model_dir, tmp_path):
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": f"Statement {i} about Japan."}) + "\n" for i in range(4)))
    other = tmp_path / "other.jsonl"
    other.write_text(src.read_text())
    assert run_stance("score", str(src), "-o", str(out), "--models", str(tiny_model_dir), "--no-progress",
                      check=False).returncode == 0
    before = out.read_bytes()

    def resume(*args: str) -> subprocess.CompletedProcess:
        return run_stance("score", *args, "--models", str(tiny_model_dir), "--resume", check=False)

    wrong_input = resume(str(other), "-o", str(out))
    assert wrong_input.returncode == 1 and "resume with that input" in wrong_input.stderr
    wrong_model = resume(str(src), "-o", str(out), "--model", "tiny-2")
    assert wrong_model.returncode == 1 and "tiny-1" in wrong_model.stderr
    wrong_backend = resume(str(src), "-o", str(out), "--backend", "torch")
    assert wrong_backend.returncode == 1 and "--backend onnx" in wrong_backend.stderr
    assert out.read_bytes() == before

    (tmp_path / "out.jsonl.checkpoint.json").unlink()
    orphan = resume(str(src), "-o", str(out))
    assert orphan.returncode == 1 and "no checkpoint" in orphan.stderr
    assert out.read_bytes() == before


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_9_at_random_points_then_resume_is_exactly_once_in_order(tiny_model_dir, tmp_path, seed):
    """Killed at seeded random moments (twice per run, as soon as the checkpoint passes a random line, or
    a random few milliseconds after that), every resumed run still yields each input once, in order."""
    rng = random.Random(seed)
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    good, bad = write_input(src)
    checkpoint = tmp_path / "out.jsonl.checkpoint.json"
    past = 0
    for _ in range(2):
        past = rng.randrange(past + 10, past + 200)
        proc = start_score(tiny_model_dir, src, out, *(["--resume"] if checkpoint.exists() else []))
        wait_for_progress(proc, checkpoint, past)
        time.sleep(rng.random() / 50)
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=WAIT_LIMIT_S)
    proc = run_stance("score", str(src), "-o", str(out), "--models", str(tiny_model_dir), "--batch-size", BATCH,
                      "--no-progress", "--resume", check=False)
    assert proc.returncode == 3, proc.stderr
    assert [r["id"] for r in read_jsonl(out)] == good
    assert [r["line"] for r in read_jsonl(tmp_path / "out.rejects.jsonl")] == bad


def test_resume_refuses_articles_extracted_by_another_extractor(tiny_model_dir, tmp_path, seed_article):
    """The checkpoint of an articles run names its extractor (code and the version's fitted files); a
    statement cursor means nothing under another one, so --resume refuses instead of leaving gaps or duplicates."""
    from model.extraction import extractor_version
    from model.registry import Registry

    folder, out = tmp_path / "articles", tmp_path / "out.jsonl"
    folder.mkdir()
    for name in ("a.txt", "b.txt"):
        (folder / name).write_bytes(seed_article.read_bytes())
    args = ("score", str(folder), "-o", str(out), "--models", str(tiny_model_dir), "--no-progress")
    run_stance(*args)
    checkpoint = tmp_path / "out.jsonl.checkpoint.json"
    ckpt = json.loads(checkpoint.read_text())
    ours = extractor_version(Registry(tiny_model_dir).get().extractor_weights)
    assert ckpt["extractor"] == ours
    scored = out.read_bytes()

    # A run cut short by code that extracted differently: the cursor points into another list of statements.
    checkpoint.write_text(json.dumps({**ckpt, "extractor": "extract-0123456789", "finished": False,
                                      "cursor": {"file": "a.txt", "statement": 2, "complete": False}}))
    proc = run_stance(*args, "--resume", check=False)
    assert proc.returncode == 1 and "extract-0123456789" in proc.stderr and ours in proc.stderr
    assert "--overwrite" in proc.stderr and out.read_bytes() == scored

    # A checkpoint from before checkpoints named the extractor cannot vouch for it either.
    checkpoint.write_text(json.dumps({k: v for k, v in ckpt.items() if k != "extractor"}))
    proc = run_stance(*args, "--resume", check=False)
    assert proc.returncode == 1 and "unrecorded extractor" in proc.stderr

    checkpoint.write_text(json.dumps(ckpt))
    proc = run_stance(*args, "--resume")
    assert "already complete" in proc.stderr and out.read_bytes() == scored
