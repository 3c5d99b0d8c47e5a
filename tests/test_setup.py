"""The README's two commands, CI and the Dockerfile all go through one setup script, and the commands work.

The commands are run for real, with one stand-in: a virtual environment whose ``python -m pip`` only
records what it was asked to install (the test must not reinstall the environment it runs in, nor need
a package index); every other ``python`` call runs this interpreter.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import REPO
from service.process import LOOPBACK, free_port


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


@pytest.fixture()
def recording_venv(tmp_path) -> tuple[Path, Path]:
    """(venv folder, pip log): ``bin/python`` runs this interpreter except ``-m pip``; ``bin/stance`` is the CLI."""
    venv, log = tmp_path / "venv", tmp_path / "pip.log"
    (venv / "bin").mkdir(parents=True)
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\nif [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "$@" >> "{log}"; exit 0; fi\n'
                      f'exec "{sys.executable}" "$@"\n')
    stance = venv / "bin" / "stance"
    stance.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m cli.main "$@"\n')
    for f in (python, stance):
        f.chmod(0o755)
    return venv, log


def test_readme_opens_with_serve_and_test_commands():
    assert readme_commands() == ["./scripts/setup.sh serve", "./scripts/setup.sh test"]


@pytest.mark.slow
def test_readme_serve_command_installs_then_serves_the_current_model(recording_venv, models_copy):
    venv, log = recording_venv
    port = free_port()
    command = readme_commands()[0].split() + ["--host", LOOPBACK, "--port", str(port)]
    proc = subprocess.Popen(command, cwd=REPO, env={**os.environ, "STANCE_VENV": str(venv),
                                                    "STANCE_MODELS": str(models_copy)},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read() if proc.poll() else ""
            try:
                ready = httpx.get(f"http://{LOOPBACK}:{port}/readyz", timeout=5)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        assert ready.json()["model_version"] == "tiny-1"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out = proc.communicate(timeout=60)[0]
    assert "a current model is present" in out                 # no retraining when a model is current
    assert "install --quiet -e .[serve,train,dev,scale]" in log.read_text()


def test_ci_and_the_readme_test_command_run_the_suite_through_the_script(recording_venv):
    """Both collect the suite through ``setup.sh test`` (collection only, of this file, to stay quick)."""
    venv, log = recording_venv
    env = {**os.environ, "STANCE_VENV": str(venv), "PYTEST_ADDOPTS": "--collect-only -q tests/test_setup.py"}
    ci = subprocess.run(["bash", ".ci/run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    readme = subprocess.run(readme_commands()[1].split(), cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=300)
    for proc in (ci, readme):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "tests/test_setup.py::test_ci_and_the_readme_test_command_run_the_suite_through_the_script" in proc.stdout
    timing = re.compile(r" in [\d.]+s")
    assert timing.sub("", ci.stdout) == timing.sub("", readme.stdout)
    assert log.read_text().count("install --quiet -e .[serve,train,dev,scale]") == 2


def test_dockerfile_builds_and_serves_through_the_same_script():
    docker = (REPO / "Dockerfile").read_text()
    runs = re.findall(r"^RUN (.*)$", docker, re.M)
    assert any(r.endswith("./scripts/setup.sh install") for r in runs)
    assert any(r.endswith("./scripts/setup.sh model") for r in runs)
    assert re.search(r'^CMD \["\./scripts/setup\.sh", "serve"', docker, re.M)


def test_setup_script_is_valid_bash_and_explains_itself():
    subprocess.run(["bash", "-n", str(REPO / "scripts" / "setup.sh")], check=True)
    proc = subprocess.run(["bash", str(REPO / "scripts" / "setup.sh")], capture_output=True, text=True)
    assert proc.returncode == 2 and "serve" in proc.stdout and "test" in proc.stdout
