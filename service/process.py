"""Run a server as a subprocess on a free loopback port and wait until it answers ready.

Used by ``stance bench`` (our service and the baseline side by side) and by the service tests,
which talk real HTTP to a real ``stance serve`` process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from model.errors import StanceError

REPO = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


class ServerProcess:
    """One server subprocess: started, awaited until ``ready_path`` answers 200, stopped on exit."""

    def __init__(self, command: list[str], port: int, ready_path: str = "/readyz", env: dict | None = None):
        self.command = command
        self.base_url = f"http://{LOOPBACK}:{port}"
        self.ready_path = ready_path
        self.env = {**os.environ, **(env or {})}
        self._log = tempfile.NamedTemporaryFile(prefix="stance-server-", suffix=".log", delete=False)
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None, "server not started"
        return self.proc.pid

    def log_text(self) -> str:
        return Path(self._log.name).read_text(errors="replace")

    def start(self, timeout_s: float = 180.0) -> "ServerProcess":
        """Start the process and return once it is ready; raise with its log if it exits or never gets ready."""
        self.proc = subprocess.Popen(self.command, cwd=REPO, env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise StanceError(f"server exited with code {self.proc.returncode}:\n{self.log_text()[-3000:]}")
            try:
                if httpx.get(self.base_url + self.ready_path, timeout=5).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise StanceError(f"server not ready after {timeout_s:.0f} s:\n{self.log_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)


def stance_server(models: str | Path, backend: str = "onnx", *options: str, env: dict | None = None) -> ServerProcess:
    """``stance serve`` on a free loopback port, run with this interpreter (same environment); not yet started."""
    port = free_port()
    command = [sys.executable, "-m", "cli.main", "serve", "--host", LOOPBACK, "--port", str(port),
               "--models", str(models), "--backend", backend, *options]
    return ServerProcess(command, port, env=env)
