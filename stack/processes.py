"""Starting and stopping the real processes: the Kafka broker, the simulator, sync workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_broker() -> str:
    """Bootstrap servers of a running broker: KAFKA_BOOTSTRAP_SERVERS, or the project's own, started."""
    if servers := os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        return servers
    out = subprocess.run(
        ["bash", str(ROOT / "deploy/local/kafka.sh"), "up"], check=True, capture_output=True, text=True
    ).stdout
    servers = out.strip().splitlines()[-1].strip() if out.strip() else "127.0.0.1:9092"
    os.environ["KAFKA_BOOTSTRAP_SERVERS"] = servers
    return servers


def _wait_http(url: str, verify: str | bool, timeout_s: float, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before {url} answered")
        try:
            if requests.get(url, verify=verify, timeout=1).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


class Simulator:
    """`python -m sfsim serve` on a free port, over HTTPS with its own CA."""

    def __init__(self, run_dir: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.run_dir = run_dir
        self.base_url = f"https://127.0.0.1:{self.port}"
        self.ca_file = str(run_dir / "sfsim-ca.pem")
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> Simulator:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self._log = (self.run_dir / "sfsim.log").open("wb")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "sfsim", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--ca-dir", str(self.run_dir)],
            cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while not Path(self.ca_file).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        try:
            _wait_http(f"{self.base_url}/services/data", self.ca_file, 30, self._proc)
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(10)
        if self._log is not None:
            self._log.close()

    def admin(self, method: str, path: str, payload: object | None = None) -> object:
        r = requests.request(method, f"{self.base_url}/__sim{path}", json=payload, verify=self.ca_file, timeout=30)
        r.raise_for_status()
        return r.json() if r.content else None

    def put_org(self, org_id: str, document: dict[str, object]) -> dict[str, object]:
        result = self.admin("PUT", f"/orgs/{org_id}", document)
        assert isinstance(result, dict)
        return result

    def records(self, org_id: str, sobject: str) -> list[dict[str, object]]:
        result = self.admin("GET", f"/orgs/{org_id}/records/{sobject}")
        if isinstance(result, dict):  # query-shaped answer
            return list(result.get("records", []))
        return list(result or [])  # type: ignore[arg-type]

    def stats(self, org_id: str) -> dict[str, object]:
        result = self.admin("GET", f"/orgs/{org_id}/stats")
        assert isinstance(result, dict)
        return result


class Worker:
    """`python -m service worker` with the given environment; killable at any instant."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.web_port = int(env["SFSYNC_WEB_PORT"])
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self, wait_ready: bool = True, timeout_s: float = 90) -> Worker:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "service", "worker"], cwd=ROOT, env={**os.environ, **self.env},
            stdout=self._log, stderr=subprocess.STDOUT,
        )
        if wait_ready:
            try:
                self.wait_ready(timeout_s)
            except Exception:
                self.stop()  # never leave a half-started worker behind
                raise
        return self

    def wait_ready(self, timeout_s: float = 90) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.web_port}/health/ready"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"worker exited with {self._proc.returncode}; see {self.log_path}")
            try:
                if requests.get(url, timeout=1).status_code == 200:
                    return
            except (requests.ConnectionError, requests.Timeout):
                pass
            time.sleep(0.2)
        raise TimeoutError(f"worker not ready within {timeout_s}s; see {self.log_path}")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush, no commit. What a crash looks like."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(10)
        if self._log is not None:
            self._log.close()
            self._log = None

    def stop(self, timeout_s: float = 30) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._log is not None:
            self._log.close()
            self._log = None
