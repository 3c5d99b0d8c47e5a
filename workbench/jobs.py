"""Retraining from the page: the very ``stance retrain`` command, run in the background, watched.

The page exports the workspace's settled records and starts ``stance retrain FILE --json`` as a
child process (training must not stall the service's event loop or its model). Its progress bar
(stderr) is read as it comes, and its decision (stdout, JSON) is kept in the workspace, so the
result is still there after a restart. One retrain runs at a time: training takes every core.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from workbench.store import Workspace, now

REPO = Path(__file__).resolve().parents[1]
TAIL_LINES = 12


@dataclass
class RetrainJob:
    workspace: str
    by: str
    export: str
    command: list[str]
    state: str = "running"
    started: str = field(default_factory=now)
    finished: str | None = None
    percent: float | None = None
    progress: str = "starting"
    tail: list[str] = field(default_factory=list)
    outcome: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def retrain_command(export: Path, models: Path, dry_run: bool, epochs: int, limit: int | None) -> list[str]:
    cmd = [sys.executable, "-m", "cli.main", "retrain", str(export), "--json", "--models", str(models),
           "--epochs", str(epochs)]
    return cmd + (["--dry-run"] if dry_run else []) + (["--limit", str(limit)] if limit else [])


class RetrainRunner:
    """At most one ``stance retrain`` child at a time, and the latest job per workspace."""

    def __init__(self) -> None:
        self.jobs: dict[str, RetrainJob] = {}
        self._lock = threading.Lock()

    def running(self) -> RetrainJob | None:
        return next((j for j in self.jobs.values() if j.state == "running"), None)

    def start(self, workspace: Workspace, command: list[str], export: Path, by: str, env: dict[str, str]) -> RetrainJob:
        with self._lock:
            busy = self.running()
            if busy:
                raise RuntimeError(f"a retrain for {busy.workspace} is running (started {busy.started}); "
                                   "wait for it to finish")
            job = RetrainJob(workspace.slug, by, str(export), command)
            self.jobs[workspace.slug] = job
        proc = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env}, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        threading.Thread(target=self._watch, args=(job, proc, workspace), name="stance-retrain", daemon=True).start()
        return job

    def latest(self, workspace: Workspace) -> dict | None:
        """The running or last job of a workspace; after a restart, the last decision kept in its file."""
        job = self.jobs.get(workspace.slug)
        return job.to_dict() if job else workspace.meta().get("last_retrain")

    @staticmethod
    def _note(job: RetrainJob, line: str) -> None:
        line = line.strip()
        if not line:
            return
        job.progress = line
        m = re.search(r"(\d{1,3})%\|", line)
        if m:
            job.percent = float(m.group(1))
        elif not job.tail or job.tail[-1] != line:
            job.tail = (job.tail + [line])[-TAIL_LINES:]

    def _watch(self, job: RetrainJob, proc: subprocess.Popen, workspace: Workspace) -> None:
        buffer = ""
        assert proc.stderr is not None and proc.stdout is not None
        while chunk := proc.stderr.read1(4096):  # tqdm redraws with \r: each piece is the newest state
            buffer += chunk.decode("utf-8", "replace")
            *done, buffer = re.split(r"[\r\n]", buffer)
            for line in done:
                self._note(job, line)
        self._note(job, buffer)
        out = proc.stdout.read().decode("utf-8", "replace")
        code = proc.wait()
        job.finished = now()
        start = re.search(r"^\{", out, re.M)  # the JSON decision, after anything a library printed
        try:
            job.outcome = json.loads(out[start.start():]) if code == 0 and start else None
        except json.JSONDecodeError:
            job.outcome = None
        if job.outcome is None:
            job.state = "failed"
            job.error = next((line for line in reversed(job.tail) if line.startswith("error:")), None) or \
                f"stance retrain exited with status {code}" + (f": {job.tail[-1]}" if job.tail else "")
        else:
            job.state, job.percent = "done", 100.0
        workspace.set_meta(last_retrain=job.to_dict())

