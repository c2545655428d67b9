"""The container suite: the image and the compose stack, where a Docker engine is reachable.

Tests that need the engine take the `engine` fixture, which skips them with the reason
when `docker` cannot reach a daemon (development machines and CI here have only the client).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def engine_unreachable_reason() -> str | None:
    if shutil.which("docker") is None:
        return "no docker client on PATH"
    try:
        probe = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"],
                               capture_output=True, text=True, timeout=20)
    except subprocess.TimeoutExpired:
        return "the Docker engine did not answer within 20 s"
    if probe.returncode != 0:
        detail = (probe.stderr.strip().splitlines() or ["no answer"])[-1]
        return f"no Docker engine reachable ({detail})"
    return None


@pytest.fixture(scope="session")
def engine() -> None:
    reason = engine_unreachable_reason()
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="session")
def docker_compose_file() -> str:
    return str(ROOT / "docker-compose.yml")


@pytest.fixture(scope="session")
def docker_compose_project_name() -> str:
    return "yinling-test"
