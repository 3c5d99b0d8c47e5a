"""The service under abuse, on a real ``stance serve`` over loopback: floods at 4x capacity, slow and idle
clients, bad text, shutdown, request ids, and metrics summed over worker processes.

Speed is not asserted here (2 shared cores); ``stance bench --soak`` measures it. These tests assert what
must hold at any speed: the kinds of answers, that health keeps answering, that the service recovers at
once, and that nothing leaks.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from eval.bench import process_memory
from eval.flood import overload
from service.connections import REFUSED_READ_PAUSE_S
from service.process import stance_server
from test_service import metric

pytestmark = pytest.mark.slow

STATEMENT = {"text": "China will work with the EU on climate.", "speaker_party": "China",
             "target_party": "European Union"}
ALLOWED = {"200", "429", "503"}


def threads(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/task").iterdir()))


def assert_survived(result: dict, before_threads: int, after_threads: int) -> None:
    assert set(result["statuses"]) <= ALLOWED, result
    assert "429" in result["statuses"], result               # the flood really was over capacity
    assert set(result["health"]) == {"200"}, result          # health never timed out or failed
    assert result["first_after"] == 200, result              # recovered at once
    assert after_threads <= before_threads + 1, (before_threads, after_threads)


def test_analyze_flood_at_4x_capacity(tiny_model_dir, seed_article):
    article = {"text": seed_article.read_text(encoding="utf-8"), "year": 2023}
    room = 2 * len(article["text"])                          # capacity: two articles awaiting extraction
    with stance_server(tiny_model_dir, "onnx", "--max-pending-chars", str(room),
                       "--max-article-chars", str(room)) as server:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert client.post("/v1/analyze", json=article).status_code == 200   # warm, rate measured
            before, rss_before = threads(server.pid), process_memory(server.pid)["vm_rss_mib"]
            result = overload(server.base_url, "/v1/analyze", article, clients=8, seconds=6)
            refused = client.post("/v1/analyze", json=article)
            assert refused.status_code in (200, 429)
            assert_survived(result, before, threads(server.pid))
            assert process_memory(server.pid)["vm_rss_mib"] < rss_before + 150
            assert client.get("/metrics").status_code == 200


def test_score_flood_at_4x_capacity(tiny_model_dir):
    body = {"statements": [STATEMENT] * 16}                   # capacity: 4 such requests pending
    with stance_server(tiny_model_dir, "onnx", "--max-pending", "64", "--max-statements", "16") as server:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            assert client.post("/v1/score", json=body).status_code == 200
            before = threads(server.pid)
            result = overload(server.base_url, "/v1/score", body, clients=16, seconds=5)
            assert_survived(result, before, threads(server.pid))
            full = [client.post("/v1/score", json=body) for _ in range(3)]
            assert all(r.headers["x-request-id"] for r in full)
            # Every refusal, including those shed before their body was read, is counted under its route.
            refused = result["statuses"]["429"] + sum(r.status_code == 429 for r in full)
            text = client.get("/metrics").text
            assert metric(text, "stance_requests_total", route="/v1/score", status="429") == refused
            assert metric(text, "stance_errors_total", kind="overloaded") == refused


def read_answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer with a Content-Length body."""
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(65536)
    head, _, body = answer.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def post(path: str, payload: dict) -> bytes:
    body = json.dumps(payload).encode()
    return (b"POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (path.encode(), len(body), body))


def test_a_connection_refused_by_the_app_is_not_read_again_at_once(tiny_model_dir, seed_article):
    """The app refuses an article larger than the room left in a queue that is not full (so the fast lane let it
    through and its body was read). That connection is then not read for ``REFUSED_READ_PAUSE_S``, as after the
    fast lane's own refusals: a client that retries at once waits, and cannot keep the event loop busy refusing."""
    text = seed_article.read_text(encoding="utf-8")
    long = "\n\n".join([text] * 6)
    room = len(long) + len(text) // 2                       # the long article plus half of another
    with stance_server(tiny_model_dir, "onnx", "--max-pending-chars", str(room),
                       "--max-article-chars", str(room)) as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as client, ThreadPoolExecutor(1) as pool:
        assert client.post("/v1/analyze", json={"text": text, "year": 2023}).status_code == 200   # rate measured
        for _ in range(5):                                  # until the second article arrives while the first runs
            busy = pool.submit(client.post, "/v1/analyze", json={"text": long, "year": 2023})
            while not busy.done() and not metric(client.get("/metrics").text, "stance_extraction_pending_characters"):
                time.sleep(0.01)
            sock = open_socket(server)
            try:
                sock.sendall(post("/v1/analyze", {"text": text, "year": 2023}))
                refused = read_answer(sock)
                if refused.startswith(b"HTTP/1.1 429"):
                    answered = time.monotonic()
                    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    health = read_answer(sock)
                    waited = time.monotonic() - answered
            finally:
                sock.close()
            assert busy.result().status_code == 200
            if refused.startswith(b"HTTP/1.1 429"):
                break
        assert refused.startswith(b"HTTP/1.1 429") and b'"overloaded"' in refused, refused[:200]
        assert health.startswith(b"HTTP/1.1 200")
        assert waited >= REFUSED_READ_PAUSE_S * 0.9, waited


@pytest.fixture(scope="module")
def server(tiny_model_dir):
    with stance_server(tiny_model_dir, "onnx", "--header-timeout-s", "1", "--body-timeout-s", "1",
                       "--timeout-s", "2") as s:
        yield s


def test_lone_surrogate_is_a_422_and_the_service_goes_on(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        for path, body in (("/v1/score", '{"statements": [{"text": "a \\ud800 b"}]}'),
                           ("/v1/score", '{"statements": [{"text": "ok", "speaker_party": "\\udc00"}]}'),
                           ("/v1/analyze", '{"text": "Xi said \\ud800 China is ready."}')):
            r = client.post(path, content=body, headers={"content-type": "application/json"})
            assert r.status_code == 422, r.text
            assert "unpaired surrogate" in r.json()["error"]["message"]
        assert client.post("/v1/score", json={"statements": [STATEMENT]}).status_code == 200


def test_every_response_and_log_line_carries_a_request_id(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        mine = client.post("/v1/score", json={"statements": [STATEMENT]}, headers={"x-request-id": "abc-123"})
        assert mine.headers["x-request-id"] == "abc-123"
        generated = client.get("/healthz").headers["x-request-id"]
        others = [r.headers["x-request-id"] for r in (client.get("/nope"), client.post("/v1/score", json={}))]
        assert all(len(rid) >= 16 for rid in [generated, *others])
        assert len({generated, *others}) == 3                # a new id for each request
        for unsafe in ("two words", "x" * 65, "{json}"):   # not logged as given: replaced
            assert client.get("/healthz", headers={"x-request-id": unsafe}).headers["x-request-id"] != unsafe
    deadline = time.monotonic() + 10
    while "[abc-123]" not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert any("[abc-123]" in line and "/v1/score" in line for line in server.log_text().splitlines())
    assert f"[{generated}]" in server.log_text()


def open_socket(server) -> socket.socket:
    host, port = server.base_url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    return sock


def test_idle_and_slow_header_connections_are_closed(server):
    idle, slow = open_socket(server), open_socket(server)
    slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")      # headers never finished
    try:
        assert idle.recv(1024) == b""                           # closed by the server, not by our timeout
        assert slow.recv(1024) == b""
    finally:
        idle.close()
        slow.close()
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        assert client.get("/healthz").status_code == 200


def test_health_answered_in_place_keeps_pipelined_requests_in_order(server):
    """``stance serve`` writes ``/healthz`` from the connection's protocol (``service.fast_lane``), with no task:
    pipelined behind a scoring request it still waits its turn, and the connection stays in step."""
    body = json.dumps({"statements": [STATEMENT]}).encode()
    score = (b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
             b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    health = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: probe-%d\r\n\r\n"
    sock = open_socket(server)
    try:
        sock.sendall(health % 1 + score + health % 2 + score + b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        answers = b""
        while answers.count(b"HTTP/1.1 ") < 5 or not answers.endswith(b"}"):
            answers += sock.recv(65536)
    finally:
        sock.close()
    heads = [part.split(b"\r\n\r\n")[0].decode().lower() for part in answers.split(b"HTTP/1.1 ")[1:]]
    assert [h[:3] for h in heads] == ["200", "200", "200", "200", "404"], heads
    assert "x-request-id: probe-1" in heads[0] and "x-request-id: probe-2" in heads[2]
    assert b'"results"' in answers and answers.count(b'{"status":"ok"}') == 2


def test_a_stalled_body_gets_408(server):
    sock = open_socket(server)
    try:
        sock.sendall(b"POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"statements\"")
        answer = b""
        while b"}}" not in answer and (chunk := sock.recv(4096)):  # head and body may come in two reads
            answer += chunk
        answer = answer.decode()
    finally:
        sock.close()
    assert answer.startswith("HTTP/1.1 408") and '"kind":"timeout"' in answer


def test_an_article_that_cannot_finish_in_time_is_refused_at_once(server, seed_article):
    """With a 2 s timeout, an article the measured extraction rate cannot get through in 2 s is a 413 that says
    how much fits, not a 503 after extraction has burned the CPU."""
    with httpx.Client(base_url=server.base_url, timeout=60) as client:
        text = seed_article.read_text(encoding="utf-8")
        client.post("/v1/analyze", json={"text": text, "year": 2023})  # after warm-up: the rate is measured
        big = "\n\n".join([text] * 9)[:45_000]
        r = client.post("/v1/analyze", json={"text": big, "year": 2023})
        assert r.status_code == 413, r.text
        assert "characters take about" in r.json()["error"]["message"] and "send at most" in r.json()["error"]["message"]
        assert client.get("/healthz").status_code == 200


def test_sigterm_finishes_requests_in_flight_then_exits(tiny_model_dir, seed_article):
    article = {"text": seed_article.read_text(encoding="utf-8"), "year": 2023}
    server = stance_server(tiny_model_dir, "onnx", "--timeout-s", "60").start()
    try:
        with httpx.Client(base_url=server.base_url, timeout=120) as client, ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(client.post, "/v1/analyze", json=article) for _ in range(3)]
            deadline = time.monotonic() + 60
            while metric(client.get("/metrics").text, "stance_requests_in_flight") < 4:  # 3 + this scrape
                assert time.monotonic() < deadline, "requests never arrived"
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGTERM)
            answers = [f.result() for f in futures]
        assert [a.status_code for a in answers] == [200, 200, 200]
        # uvicorn re-raises the signal once it has shut down cleanly: dying "of SIGTERM" after the lifespan ended
        assert server.proc.wait(timeout=60) in (0, -signal.SIGTERM)
        log = server.log_text()
        assert "Shutting down" in log and "Application shutdown complete" in log and "Traceback" not in log
    finally:
        server.stop()


def wait_until_every_worker_is_ready(base_url: str, in_a_row: int = 20, limit_s: float = 180) -> None:
    """The server counts as started when one worker is ready; the other may still be loading its model (503).
    New connections land on either worker, so many ready answers in a row mean both are."""
    deadline, streak = time.monotonic() + limit_s, 0
    while streak < in_a_row:
        assert time.monotonic() < deadline, "not every worker became ready"
        with httpx.Client(base_url=base_url, timeout=60) as fresh:
            streak = streak + 1 if fresh.get("/readyz").status_code == 200 else 0
        if not streak:
            time.sleep(0.2)


def test_metrics_are_summed_over_workers(tiny_model_dir):
    with stance_server(tiny_model_dir, "onnx", "--workers", "2") as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as client:
        wait_until_every_worker_is_ready(server.base_url)
        for _ in range(30):
            with httpx.Client(base_url=server.base_url, timeout=60) as fresh:  # new connections spread the work
                assert fresh.post("/v1/score", json={"statements": [STATEMENT]}).status_code == 200
        # A request is counted when its handler returns, just after the client has its answer: on a loaded
        # machine the last one may lag the scrape, so wait (bounded) for it, then every scrape must agree.
        deadline = time.monotonic() + 10
        while metric(client.get("/metrics").text, "stance_requests_total", route="/v1/score", status="200") < 30:
            assert time.monotonic() < deadline, "the 30 requests were never all counted"
            time.sleep(0.05)
        for _ in range(4):  # whichever worker answers the scrape, it counts all 30
            text = client.get("/metrics").text
            assert metric(text, "stance_requests_total", route="/v1/score", status="200") == 30
        assert json.loads(client.get("/readyz").text)["status"] == "ready"


def test_workbench_upload_flood_shares_the_extraction_queue(tiny_model_dir, seed_article, tmp_path):
    """Workbench uploads used to extract on a thread each, unbounded; now they queue behind /v1/analyze's
    admission control: a flood gets 429 with Retry-After at once, health answers, the next upload goes in."""
    text = seed_article.read_text(encoding="utf-8")
    room = 2 * len(text)                                      # capacity: two articles awaiting extraction
    clients = 8
    with stance_server(tiny_model_dir, "onnx", "--max-pending-chars", str(room), "--max-article-chars", str(room),
                       env={"STANCE_WORKSPACES": str(tmp_path)}) as server:
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            client.post("/v1/summits", json={"name": "Flood", "parties": ["EU", "China"]}).raise_for_status()
            route = "/v1/summits/flood/articles"
            assert client.post(route, json={"text": text, "title": "first"}).json()["added"]   # warm, rate measured
            before = threads(server.pid)
            result = overload(server.base_url, route, {"text": text, "title": "again"}, clients=clients, seconds=6)
            assert set(result["statuses"]) <= ALLOWED and "429" in result["statuses"], result
            assert set(result["health"]) == {"200"}, result
            assert result["first_after"] == 200, result
            # the route's request threads (at most one per client), no extraction thread per upload
            assert threads(server.pid) <= before + clients, (before, threads(server.pid))
            after = client.post(route, json={"text": text, "title": "after"})
            assert after.status_code == 200 and [a["doc_id"] for a in after.json()["added"]] == ["after"]
            with ThreadPoolExecutor(clients) as pool:
                burst = list(pool.map(lambda i: client.post(route, json={"text": text, "title": f"burst {i}"}),
                                      range(clients)))
            refused = [r for r in burst if r.status_code == 429]
            assert refused and all(r.headers["retry-after"] for r in refused)
            assert {r.status_code for r in burst} <= {200, 429}
