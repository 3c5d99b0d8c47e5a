"""The scoring service over HTTP: a real ``stance serve`` process on loopback with the tiny real model."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from model.predictor import Predictor
from model.registry import CARD, Registry
from model.schema import LABELS
from service.process import stance_server
from service.schemas import LI_QIANG_QUOTE

pytestmark = pytest.mark.slow

LI = {"id": "li-1", "text": LI_QIANG_QUOTE, "speaker": "Li Qiang", "speaker_party": "China",
      "target_party": "European Union"}
SMALL_LIMITS = ("--max-statements", "8", "--max-statement-chars", "300", "--max-article-chars", "4000")


@pytest.fixture(scope="module")
def server(tiny_model_dir):
    """One server with small limits (so 413s are cheap to provoke) and a small body cap."""
    with stance_server(tiny_model_dir, "onnx", *SMALL_LIMITS, env={"STANCE_MAX_BODY_BYTES": "20000"}) as s:
        yield s


@pytest.fixture(scope="module")
def client(server):
    with httpx.Client(base_url=server.base_url, timeout=60) as c:
        yield c


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (0 if absent)."""
    for line in text.splitlines():
        m = re.match(rf"{name}(?:\{{(.*)\}})? (\S+)$", line)
        if m and all(f'{k}="{v}"' in (m.group(1) or "") for k, v in labels.items()):
            return float(m.group(2))
    return 0.0


def assert_error(response: httpx.Response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["kind"] == kind and error["message"]
    return error


def test_score_gives_label_probabilities_and_version_per_statement(client):
    other = {"text": "Europe will not tolerate unfair competition.", "speaker_party": "European Union",
             "target_party": "China"}
    r = client.post("/v1/score", json={"statements": [LI, other]})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model_version"] == "tiny-1"
    assert [res["id"] for res in body["results"]] == ["li-1", None]
    for res in body["results"]:
        assert res["model_version"] == "tiny-1"
        assert set(res["probs"]) == set(LABELS)
        assert sum(res["probs"].values()) == pytest.approx(1.0, abs=1e-4)
        assert res["label"] == max(res["probs"], key=res["probs"].get)


def test_service_scores_exactly_as_the_predictor(client, tiny_model_dir):
    """Same encoding, backend and calibration as batch scoring: a lone statement gives identical numbers."""
    expected = Predictor.from_registry(models=tiny_model_dir).predict([LI])[0]
    got = client.post("/v1/score", json={"statements": [LI]}).json()["results"][0]
    assert got["label"] == expected.label
    assert got["probs"] == pytest.approx(expected.probs, abs=1e-5)


@pytest.mark.parametrize("body, where", [
    ({"statements": []}, "statements"),
    ({"statements": [{"text": "   "}]}, "text"),
    ({"statements": [{"text": 5}]}, "text"),
    ({"statements": "We hope"}, "statements"),
    ({"statements": [{"text": "ok", "speaker_party": ["China"]}]}, "speaker_party"),
    ({"statements": [{"text": "ok", "speaker_pary": "China"}]}, "speaker_pary"),
    ({"statements": [{"text": "ok"}], "model": "x"}, "model"),
    ({}, "statements"),
])
def test_score_refuses_bad_requests_with_422(client, body, where):
    error = assert_error(client.post("/v1/score", json=body), 422, "validation")
    assert any(where in loc for d in error["detail"] for loc in d["loc"])


@pytest.mark.parametrize("content", [b'{"statements": [', b'\xff\xfe{"statements": []}'])
def test_unparseable_body_is_422(client, content):
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert_error(r, 422, "validation")


def test_too_many_or_too_long_statements_are_413(client):
    error = assert_error(client.post("/v1/score", json={"statements": [{"text": "a"}] * 9}), 413, "too_large")
    assert "at most 8" in error["message"]
    error = assert_error(client.post("/v1/score", json={"statements": [{"text": "a" * 301}]}), 413, "too_large")
    assert "statements.0.text" in error["message"]


@pytest.mark.parametrize("streamed", [False, True])
def test_oversized_body_is_413_before_parsing(client, streamed):
    body = json.dumps({"statements": [{"text": "a" * 25_000}]}).encode()
    content = iter([body[:10_000], body[10_000:]]) if streamed else body  # streamed: no Content-Length
    r = client.post("/v1/score", content=content, headers={"content-type": "application/json"})
    assert_error(r, 413, "too_large")


def test_party_names_too_long_for_the_model_are_422(client):
    statement = {"text": "We will cooperate.", "speaker_party": "x " * 40, "target_party": "China"}
    error = assert_error(client.post("/v1/score", json={"statements": [statement]}), 422, "validation")
    assert "tokens" in error["message"]


def test_analyze_seed_article(client, seed_article):
    text = seed_article.read_text(encoding="utf-8")[:4000]
    r = client.post("/v1/analyze", json={"text": text, "year": 2023})
    assert r.status_code == 200, r.text
    body = r.json()
    statements = body["statements"]
    assert statements and body["model_version"] == "tiny-1"
    for s in statements:
        assert s["text"] == text[s["start"]:s["end"]]
        assert s["label"] in LABELS and set(s["probs"]) == set(LABELS)
    li = [s for s in statements if s["text"].startswith("We hope that the EU will be wise")]
    assert [(s["speaker_party"], s["target_party"], s["kind"]) for s in li] == [("China", "European Union", "direct")]
    pairs = {(s["speaker_party"], s["target_party"]) for s in statements if s["speaker_party"]}
    assert {(p["speaker_party"], p["target_party"]) for p in body["summary"]} == pairs
    for p in body["summary"]:
        same = [s for s in statements if (s["speaker_party"], s["target_party"]) == (p["speaker_party"],
                                                                                     p["target_party"])]
        assert p["total"] == len(same) == sum(p["counts"].values())
        assert p["counts"] == {lab: sum(s["label"] == lab for s in same) for lab in LABELS}


def test_analyze_leaves_third_party_speakers_out_of_the_summary(client, seed_article):
    text = seed_article.read_text(encoding="utf-8")
    analyst = text[text.index("Noah Barkin"):]
    body = client.post("/v1/analyze", json={"text": analyst, "year": 2023}).json()
    assert any(s["speaker_party"] == "" for s in body["statements"]), body
    assert all(p["speaker_party"] for p in body["summary"])


def test_analyze_a_speech_to_the_addressee_given(client):
    """Speech mode over HTTP: the request's addressee is who "you" is (an invented address, no salutation)."""
    speech = ("Every night the shelling goes on in our towns.\n"
              "I ask you to send the air defence you promised in the spring.\n")
    plain = client.post("/v1/analyze", json={"text": speech, "year": 2022, "speaker_party": "Ukraine"}).json()
    told = client.post("/v1/analyze", json={"text": speech, "year": 2022, "speaker_party": "Ukraine",
                                            "addressee": "Berlin"}).json()
    assert not any(s["text"].startswith("I ask") for s in plain["statements"])
    asked = [s for s in told["statements"] if s["text"].startswith("I ask")]
    assert [(s["speaker_party"], s["target_party"]) for s in asked] == [("Ukraine", "Germany")]


@pytest.mark.parametrize("body, status, kind", [
    ({"text": ""}, 422, "validation"),
    ({"text": "I ask you to help.", "addressee": "Germany"}, 422, "validation"),  # an addressee needs a speaker
    ({"text": "Li said \u0000 nothing."}, 422, "validation"),
    ({"text": "Li said yes.", "year": "2023"}, 422, "validation"),
    ({"text": "Li said yes.", "lang": "en"}, 422, "validation"),
    ({"text": "Li said yes. " * 400}, 413, "too_large"),
])
def test_analyze_refuses_bad_articles(client, body, status, kind):
    assert_error(client.post("/v1/analyze", json=body), status, kind)


def test_model_endpoint_describes_the_serving_version(client, tiny_model_dir):
    info = client.get("/v1/model").json()
    version = Registry(tiny_model_dir).get("tiny-1")
    assert info["version"] == "tiny-1" and info["backend"] == "onnx"
    assert info["labels"] == list(LABELS)
    assert info["metrics"] == version.metrics
    assert info["data_fingerprint"] == version.manifest["data_fingerprint"]
    assert info["model_card"] == (version.path / CARD).read_text(encoding="utf-8")
    assert info["onnx_file"] == version.manifest["onnx_default"]
    assert info["refused"] is None


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "model_version": "tiny-1", "refused": None}


def test_unknown_route_uses_the_error_shape(client):
    assert_error(client.get("/v1/nothing"), 404, "http")


def test_metrics_count_requests_batches_and_errors(client):
    before = client.get("/metrics").text
    client.post("/v1/score", json={"statements": [LI, LI, LI]})
    client.post("/v1/score", json={"statements": []})
    r = client.get("/metrics")
    assert r.headers["content-type"].startswith("text/plain")
    after = r.text
    assert metric(after, "stance_requests_total", route="/v1/score", status="200") == \
        metric(before, "stance_requests_total", route="/v1/score", status="200") + 1
    assert metric(after, "stance_errors_total", kind="validation") == \
        metric(before, "stance_errors_total", kind="validation") + 1
    assert metric(after, "stance_batch_statements_sum") >= metric(before, "stance_batch_statements_sum") + 3
    assert metric(after, "stance_request_seconds_count", route="/v1/score") >= 2
    assert metric(after, "stance_model_info", version="tiny-1", backend="onnx") == 1


def test_openapi_examples_come_from_the_seed_article(client, seed_article):
    article = seed_article.read_text(encoding="utf-8")
    spec = client.get("/openapi.json").json()
    score_examples = spec["paths"]["/v1/score"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    li = score_examples["li-qiang"]["value"]["statements"][0]
    assert (li["speaker"], li["speaker_party"], li["target_party"]) == ("Li Qiang", "China", "European Union")
    analyze = spec["paths"]["/v1/analyze"]["post"]["requestBody"]["content"]["application/json"]["examples"]
    for example in score_examples.values():
        for s in example["value"]["statements"]:
            assert s["text"] in article
            assert client.post("/v1/score", json=example["value"]).status_code == 200
    for example in analyze.values():
        assert example["value"]["text"] in article
        assert client.post("/v1/analyze", json=example["value"]).status_code == 200


def test_batched_requests_each_get_their_own_answers(tiny_model_dir):
    """With a long batch window, concurrent requests share batches; each still gets its own results,
    and one request with unusable party names is refused without failing the others in its batch."""
    texts = [f"Statement number {i} about trade with {'China' if i % 2 else 'Europe'}." for i in range(8)]
    bad = {"text": "We cooperate.", "speaker_party": "x " * 40, "target_party": "China"}
    with stance_server(tiny_model_dir, "onnx", "--batch-wait-ms", "300") as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as c:
        def post(i: int) -> httpx.Response:
            statements = [bad] if i == len(texts) else [{"id": f"r{i}", "text": texts[i]}]
            return c.post("/v1/score", json={"statements": statements})

        with ThreadPoolExecutor(len(texts) + 1) as pool:
            responses = list(pool.map(post, range(len(texts) + 1)))
        metrics = c.get("/metrics").text
    assert_error(responses[-1], 422, "validation")
    expected = Predictor.from_registry(models=tiny_model_dir).predict([{"text": t} for t in texts])
    for i, (r, want) in enumerate(zip(responses, expected)):
        assert r.status_code == 200, r.text
        got = r.json()["results"]
        assert [g["id"] for g in got] == [f"r{i}"]
        assert got[0]["probs"] == pytest.approx(want.probs, abs=0.02)  # int8 activations vary with batch padding
    batches = metric(metrics, "stance_batch_requests_count")
    assert metric(metrics, "stance_batch_requests_sum") == len(texts)
    assert batches < len(texts)


def test_timeout_is_503_and_overload_is_429(tiny_model_dir):
    """A batch window longer than the deadline: the first request times out, and while its statements
    are still pending the second does not fit under the bound and is refused at once."""
    options = ("--batch-wait-ms", "1500", "--timeout-s", "0.3", "--max-pending", "4", "--max-statements", "4")
    with stance_server(tiny_model_dir, "onnx", *options) as server, \
            httpx.Client(base_url=server.base_url, timeout=60) as c:
        body = {"statements": [{"text": "We will work together."}] * 3}
        with ThreadPoolExecutor(2) as pool:
            responses = list(pool.map(lambda _: c.post("/v1/score", json=body), range(2)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [429, 503], [r.text for r in responses]
        for r in responses:
            assert r.headers["retry-after"]
            assert r.json()["error"]["kind"] == {429: "overloaded", 503: "timeout"}[r.status_code]
        assert c.get("/healthz").status_code == 200
