"""``stance serve`` start-up refusals and the torch backend, and a small real run of ``stance bench``."""

from __future__ import annotations

import json

import httpx
import pytest

from conftest import run_stance
from eval.bench import load_statements
from model.errors import InputError
from model.predictor import Predictor
from service.process import stance_server


def test_serve_without_a_current_model_says_how_to_build_one(tmp_path):
    proc = run_stance("serve", "--models", str(tmp_path / "empty"), "--port", "0", check=False, timeout=120)
    assert proc.returncode == 1
    assert "no current model" in proc.stderr and "stance train --models" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_serve_refuses_bad_options_before_starting(tiny_model_dir):
    proc = run_stance("serve", "--models", str(tiny_model_dir), "--backend", "tensorflow", check=False, timeout=120)
    assert proc.returncode == 1 and "unknown backend" in proc.stderr
    proc = run_stance("serve", "--models", str(tiny_model_dir), check=False, timeout=120,
                      env={"STANCE_MAX_STATEMENTS": "lots"})
    assert proc.returncode == 1 and "STANCE_MAX_STATEMENTS" in proc.stderr
    proc = run_stance("serve", "--models", str(tiny_model_dir), "--max-pending", "100", check=False, timeout=120)
    assert proc.returncode == 1 and "max_statements (256) is over max_pending (100)" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_torch_backend_serves_the_same_version(tiny_model_dir):
    statement = {"text": "We oppose the politicization of trade.", "speaker_party": "China",
                 "target_party": "European Union"}
    expected = Predictor.from_registry(models=tiny_model_dir, backend="torch").predict([statement])[0]
    with stance_server(tiny_model_dir, "torch") as server, httpx.Client(base_url=server.base_url, timeout=60) as c:
        info = c.get("/v1/model").json()
        got = c.post("/v1/score", json={"statements": [statement]}).json()["results"][0]
    assert (info["backend"], info["onnx_file"], info["version"]) == ("torch", None, "tiny-1")
    assert got["probs"] == pytest.approx(expected.probs, abs=1e-4)


@pytest.mark.slow
def test_bench_measures_both_servers_and_writes_json(tiny_model_dir, tmp_path):
    out = tmp_path / "bench.json"
    proc = run_stance("bench", "--models", str(tiny_model_dir), "--concurrency", "1,2", "--requests", "6",
                      "--seconds", "30", "--engine-statements", "48", "--soak", "2", "--out", str(out), timeout=600)
    result = json.loads(out.read_text())
    assert result["model_version"] == "tiny-1" and result["statements"] > 0
    for server in ("ours", "baseline"):
        levels = result[server]["levels"]
        assert [lvl["concurrency"] for lvl in levels] == [1, 2]
        assert all(lvl["ok"] == lvl["requests"] == 6 and not lvl["errors"] for lvl in levels)
        assert all(0 < lvl["p50_ms"] <= lvl["p95_ms"] for lvl in levels)
        memory = result[server]["memory"]
        assert 0 < memory["vm_rss_mib"] <= memory["vm_hwm_mib"]
    assert [r["concurrency"] for r in result["ratios"]] == [1, 2]
    assert all(r["throughput_x"] > 0 for r in result["ratios"])
    assert set(result["aims"]) == {"throughput_x_at_32_ge_4", "single_p50_ms_lt_20", "memory_under_1_gib",
                                   "score_ge_90pct_of_engine"}
    assert result["aims"]["throughput_x_at_32_ge_4"] is None  # concurrency 32 was not measured
    # The raw engine limit and stance score's share of it, measured in the same run.
    assert result["engine_limit"]["statements"] == 48 and result["engine_limit"]["statements_per_s"] > 0
    assert result["engine_limit_after"]["statements"] == 48 and result["engine_limit_mean"]["statements_per_s"] > 0
    assert result["score"]["scored"] == 48 and 0 < result["score"]["share_of_engine"]
    assert all(0 < lvl["share_of_engine"] for lvl in result["ours"]["levels"])
    for route in ("/v1/score", "/v1/analyze"):  # the soak: only the answers a service under overload may give
        soak = result["soak"][route]
        assert soak["only_200_429_503"] and soak["first_after"] == 200 and set(soak["health"]) == {"200"}
    assert "ours/baseline" in proc.stdout and "concurrency 2" in proc.stdout and "raw engine limit" in proc.stdout


def test_bench_statements_fall_back_to_a_data_file_without_the_gold_set(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_CORPORA", str(tmp_path / "no-corpora"))
    with pytest.raises(InputError, match="--data"):
        load_statements()
    data = tmp_path / "statements.jsonl"
    data.write_text('{"text": "We will cooperate.", "speaker_party": "China", "target_party": "European Union"}\n'
                    '\n{"text": "No."}\n')
    assert load_statements(data) == ([{"text": "We will cooperate.", "speaker_party": "China",
                                       "target_party": "European Union"}, {"text": "No."}], str(data))
    data.write_text('{"text": "fine"}\n{"txt": "typo"}\n')
    with pytest.raises(InputError, match=r"statements.jsonl:2: needs a non-empty text field"):
        load_statements(data)
