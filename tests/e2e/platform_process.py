"""`yinling up` as a real subprocess for end-to-end tests: every port free, its own data dir,
output in a file, stopped with the signal a user sends (Ctrl-C is SIGINT)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from yinling.broker import free_port
from yinling.config import DEFAULT_PORTS

READY_LINE = "Yinling is up."
DEMO_LOADED = "demo data loaded: "
REPO = Path(__file__).resolve().parents[2]


def port_env_name(key: str) -> str:
    return "YINLING_PORT_" + key.upper().replace(".", "_").replace("-", "_")


def free_ports() -> dict[str, int]:
    """One distinct free port per configured port of the platform."""
    ports: dict[str, int] = {}
    while len(ports) < len(DEFAULT_PORTS):
        port = free_port()
        if port not in ports.values():
            ports[list(DEFAULT_PORTS)[len(ports)]] = port
    return ports


def port_taken(port: int) -> bool:
    """True while something listens on the port. SO_REUSEADDR: connections our own requests
    left in TIME_WAIT must not count as taken; only a listener makes this bind fail."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def processes_with_env(name: str, value: str) -> list[tuple[int, str]]:
    """Live processes whose environment holds name=value: every process `yinling up` starts
    inherits our YINLING_DATA_DIR, so this finds them after the supervisor is gone."""
    wanted = f"{name}={value}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if state != "Z":  # a zombie holds no port and runs nothing
            found.append((int(entry.name), command.strip()))
    return found


@dataclass
class PlatformProcess:
    data_dir: Path
    extra_args: list[str] = field(default_factory=lambda: ["--no-demo"])
    ports: dict[str, int] = field(default_factory=free_ports)
    process: subprocess.Popen | None = None
    output: Path | None = None
    up_seconds: float = 0.0
    started_at: float = 0.0  # time.monotonic() when started
    log_level: str = "warning"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("YINLING_")}
        env.update({port_env_name(k): str(p) for k, p in self.ports.items()})
        env.update(YINLING_DATA_DIR=str(self.data_dir), YINLING_LOG_LEVEL=self.log_level,
                   PYTHONUNBUFFERED="1")
        return env

    def start(self, timeout_s: float = 120.0) -> PlatformProcess:
        """Start and block until the supervisor prints its ready line."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        runs = len(list(self.data_dir.glob("up-*.out")))
        self.output = self.data_dir / f"up-{runs + 1}.out"
        started = self.started_at = time.monotonic()
        with open(self.output, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "yinling", "up", *self.extra_args], cwd=REPO, env=self.env(),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = started + timeout_s
        while READY_LINE not in self.text():
            if self.process.poll() is not None:
                raise RuntimeError(f"`yinling up` exited with {self.process.returncode}:\n{self.text()}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError(f"`yinling up` not ready within {timeout_s}s:\n{self.text()}")
            time.sleep(0.25)
        self.up_seconds = time.monotonic() - started
        return self

    def wait_for(self, line: str, timeout_s: float) -> str:
        """Block until the output holds `line` (the supervisor still running); returns the output."""
        assert self.process is not None
        deadline = time.monotonic() + timeout_s
        while line not in (text := self.text()):
            if self.process.poll() is not None:
                raise RuntimeError(f"`yinling up` exited with {self.process.returncode}:\n{text}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {line!r} within {timeout_s}s:\n{text}")
            time.sleep(0.25)
        return text

    def text(self) -> str:
        return self.output.read_text(errors="replace") if self.output and self.output.exists() else ""

    def stop(self, sig: int = signal.SIGINT, timeout_s: float = 60.0) -> int:
        """Send the signal and wait for the supervisor to exit; returns its exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def leftovers(self) -> list[tuple[int, str]]:
        return processes_with_env("YINLING_DATA_DIR", str(self.data_dir))

    def taken_ports(self) -> dict[str, int]:
        return {k: p for k, p in self.ports.items() if port_taken(p)}

    def address(self, key: str) -> str:
        return f"127.0.0.1:{self.ports[key]}"

    def get(self, key: str, path: str, timeout_s: float = 5.0, accept: str = "*/*") -> bytes:
        request = urllib.request.Request(f"http://{self.address(key)}{path}", headers={"Accept": accept})
        with urllib.request.urlopen(request, timeout=timeout_s) as reply:
            return reply.read()

    def metrics(self, key: str) -> str:
        return self.get(key, "/metrics").decode()

    def outbox_backlog(self, metrics_key: str) -> float | None:
        """yinling_outbox_backlog from a process's /metrics (None before its first relay pass)."""
        samples = metric_samples(self.metrics(metrics_key), "yinling_outbox_backlog")
        return sum(value for _, value in samples) if samples else None


def metric_samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    """The samples of one metric in Prometheus text format, as (labels, value)."""
    out = []
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        head, _, value = line.rpartition(" ")
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', head))
        out.append((labels, float(value)))
    return out
