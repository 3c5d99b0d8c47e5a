"""Hot reload: a version promoted in the registry is served without restart; a broken one is refused."""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from conftest import publish_copy, run_stance
from service.process import stance_server

pytestmark = pytest.mark.slow

STATEMENT = {"text": "We hope the EU will keep its markets open.", "speaker_party": "China",
             "target_party": "European Union"}


def point_current_at(root: Path, name: str) -> None:
    """Move ``current`` the way a hand edit or a bad sync would, bypassing ``promote``'s checks."""
    tmp = root / f".current-{uuid.uuid4().hex}"
    os.symlink(Path("versions") / name, tmp)
    os.replace(tmp, root / "current")


def wait_for_model(client: httpx.Client, done, seconds: float = 90) -> dict:
    """Poll /v1/model until ``done(info)``; fail with the last answer if it never happens."""
    deadline = time.monotonic() + seconds
    while True:
        info = client.get("/v1/model").json()
        if done(info) or time.monotonic() > deadline:
            return info
        time.sleep(0.1)


def test_promoted_version_is_served_without_restart_or_failed_requests(models_copy):
    publish_copy(models_copy, "tiny-1", "tiny-2")
    answers: list[tuple[int, str | None]] = []
    stop = threading.Event()
    with stance_server(models_copy, "onnx", "--reload-interval-s", "0.2") as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as client:
        def keep_scoring() -> None:
            while not stop.is_set():
                r = client.post("/v1/score", json={"statements": [STATEMENT]})
                answers.append((r.status_code, r.json().get("model_version")))

        scorer = threading.Thread(target=keep_scoring)
        scorer.start()
        try:
            run_stance("promote", "tiny-2", "--models", str(models_copy), "-m", "reload test")
            info = wait_for_model(client, lambda i: i["version"] == "tiny-2")
            deadline = time.monotonic() + 30  # until the scoring client has seen the new version answer
            while scorer.is_alive() and time.monotonic() < deadline and (not answers or answers[-1][1] != "tiny-2"):
                time.sleep(0.05)
        finally:
            stop.set()
            scorer.join()
    assert info["version"] == "tiny-2" and info["refused"] is None
    assert {status for status, _ in answers} == {200}
    versions = [v for _, v in answers]
    assert versions[0] == "tiny-1"
    first_new = versions.index("tiny-2")
    assert set(versions[:first_new]) == {"tiny-1"} and set(versions[first_new:]) == {"tiny-2"}


def test_broken_version_is_refused_and_the_old_one_keeps_serving(models_copy):
    bad = publish_copy(models_copy, "tiny-1", "tiny-bad")
    weights = bad / "onnx" / "model.int8.onnx"
    good = weights.read_bytes()
    weights.write_bytes(good + b"corrupted")
    with stance_server(models_copy, "onnx", "--reload-interval-s", "0.2") as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as client:
        point_current_at(models_copy, "tiny-bad")
        info = wait_for_model(client, lambda i: i["refused"] is not None)
        assert info["version"] == "tiny-1"
        assert info["refused"]["version"] == "tiny-bad"
        assert "checksum" in info["refused"]["reason"]
        assert str(models_copy) not in info["refused"]["reason"] and " /" not in info["refused"]["reason"]
        assert info["refused"]["reason"].startswith("tiny-bad: file onnx/model.int8.onnx was altered")
        r = client.post("/v1/score", json={"statements": [STATEMENT]})
        assert r.status_code == 200 and r.json()["model_version"] == "tiny-1"
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["model_version"] == "tiny-1"
        assert ready.json()["refused"].startswith("version tiny-bad refused: tiny-bad: file onnx/model.int8.onnx")
        assert 'stance_model_reloads_total{outcome="refused"} 1.0' in client.get("/metrics").text

        point_current_at(models_copy, "tiny-1")  # put right by hand: the refusal is no longer news
        info = wait_for_model(client, lambda i: i["refused"] is None)
        assert info["refused"] is None and info["version"] == "tiny-1"

        weights.write_bytes(good)  # repaired on disk: promoting it (by the same name) makes the service load it
        run_stance("promote", "tiny-bad", "--models", str(models_copy), "-m", "repaired")
        info = wait_for_model(client, lambda i: i["version"] == "tiny-bad")
        assert info["version"] == "tiny-bad" and info["refused"] is None
        assert client.get("/readyz").json() == {"status": "ready", "model_version": "tiny-bad", "refused": None}



def test_freezing_the_heap_again_collects_what_a_reload_dropped():
    """A model version replaced after a freeze leaves cycles in the frozen generation; the next freeze frees them."""
    import gc
    import weakref

    from service.heap import freeze_heap

    class Node:
        pass

    old = Node()
    old.self = old                      # a cycle: reference counting alone never frees it
    gone = weakref.ref(old)
    freeze_heap()
    del old
    assert gone() is not None           # frozen: no collection looks at it
    freeze_heap()
    assert gone() is None
    gc.unfreeze()
