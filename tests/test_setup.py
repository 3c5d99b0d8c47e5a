"""The README's two commands, CI and the Dockerfile all go through one setup script."""

from __future__ import annotations

import re
import subprocess

from conftest import REPO


def readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(), re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_opens_with_serve_and_test_commands():
    assert readme_commands() == ["./scripts/setup.sh serve", "./scripts/setup.sh test"]


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert "exec ./scripts/setup.sh test" in ci and readme_commands()[1] in ci


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
