"""The image built from the Dockerfile runs every process's command as a non-root user on a
read-only root filesystem (only /tmp writable, as in deploy/k8s)."""
from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]



def docker(*args: str, timeout: float = 900) -> str:
    done = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"docker {args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def image(engine: None) -> Iterator[str]:
    tag = f"yinling-test:{uuid.uuid4().hex[:8]}"
    docker("build", "--tag", tag, str(ROOT))
    yield tag
    docker("image", "rm", "--force", tag)


def run_read_only(image: str, *args: str) -> str:
    return docker("run", "--rm", "--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                  "--security-opt", "no-new-privileges", image, *args, timeout=120)


def test_the_image_runs_as_a_non_root_user(image: str):
    assert docker("image", "inspect", "--format", "{{.Config.User}}", image).strip() == "10001:10001"
    assert run_read_only(image, "--help")


def test_every_process_command_loads_on_a_read_only_root(image: str):
    for command in (["serve", "--help"], ["worker", "--help"], ["opendata", "--help"]):
        assert "Usage" in run_read_only(image, *command)


def test_the_plan_in_the_image_is_valid(image: str):
    assert "valid" in run_read_only(image, "plan-check", "/app/plans/jiangmen-2022-2024.yaml")
