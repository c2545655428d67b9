"""Waiting for a process to be ready: gRPC health checks and HTTP health endpoints."""
from __future__ import annotations

import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from yinling.config import Settings
from yinling.tls import channel as peer_channel


def _exited(process: subprocess.Popen | None) -> bool:
    return process is not None and process.poll() is not None


def wait_for_grpc(address: str, timeout_s: float, process: subprocess.Popen | None = None,
                  service: str = "", settings: Settings | None = None) -> None:
    """`settings`: reach the server as its peers do (TLS when a CA is configured)."""
    deadline = time.monotonic() + timeout_s
    with (peer_channel(settings, address) if settings else grpc.insecure_channel(address)) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if _exited(process):
                raise RuntimeError(f"process exited with code {process.returncode}")  # type: ignore[union-attr]
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise TimeoutError(f"gRPC at {address} not SERVING within {timeout_s}s")


def wait_for_http(url: str, timeout_s: float, process: subprocess.Popen | None = None,
                  ca: Path | None = None) -> None:
    """`ca`: verify an https server against this bundle."""
    context = ssl.create_default_context(cafile=str(ca)) if ca else None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if _exited(process):
            raise RuntimeError(f"process exited with code {process.returncode}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(url, timeout=1, context=context) as reply:
                if reply.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not answering 200 within {timeout_s}s")


# How each process of the platform shows that it is healthy: a gRPC health check on its
# gRPC port, or 200 from an HTTP path. (Container healthchecks: `yinling healthcheck`.)
HEALTH: dict[str, tuple[str, str, str]] = {
    **{service: ("grpc", f"{service}.grpc", "")
       for service in ("platforms", "enterprises", "talent", "finance", "ingest", "indicators")},
    "indicators-worker": ("http", "indicators-worker.metrics", "/metrics"),
    "opendata": ("http", "opendata.http", "/healthz"),
}


def check_local(settings: Settings, process: str, timeout_s: float = 3.0) -> None:
    """Raises unless `process`, listening on this host, answers its health check within
    `timeout_s`. With TLS the server is reached by the name its certificate holds (the
    peers' address, YINLING_ADDR_*), else on 127.0.0.1."""
    from yinling.tls import scheme, serves_tls

    if process not in HEALTH:
        raise ValueError(f"process: one of {', '.join(HEALTH)}, not {process!r}")
    kind, key, path = HEALTH[process]
    tls = serves_tls(settings)
    address = settings.address(key) if tls else f"127.0.0.1:{settings.port(key)}"
    if kind == "grpc":
        wait_for_grpc(address, timeout_s, settings=settings)
    else:
        wait_for_http(f"{scheme(settings)}://{address}{path}", timeout_s, ca=settings.tls_ca)
