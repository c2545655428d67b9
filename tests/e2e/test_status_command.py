"""`yinling status` against a running `yinling up --no-demo`, as an operator runs it: every
component in one table with the figures its /metrics report, exit 0; a service that stops
answering (SIGSTOP: the supervisor sees no exit to restart) is DOWN and the exit code is 1."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from typing import Any

import grpc
import pytest
from platform_process import REPO, PlatformProcess, metric_samples

from yinling.auth import bearer
from yinling.status import COMPONENTS
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

pytestmark = pytest.mark.slow


def status(platform: PlatformProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "yinling", "status", *args], cwd=REPO,
                          env=platform.env(), capture_output=True, text=True, timeout=60)


def records(platform: PlatformProcess) -> dict[str, dict[str, Any]]:
    done = status(platform, "--json")
    return {r["name"]: r for r in json.loads(done.stdout)}


def worker_caught_up(platform: PlatformProcess) -> bool:
    """Straight from the worker's /metrics: it applied an event and its group lags by none."""
    text = platform.metrics("indicators-worker.metrics")
    updated = metric_samples(text, "yinling_indicator_last_update_timestamp_seconds")
    lag = metric_samples(text, "yinling_consumer_lag")
    return bool(updated and updated[0][1] > 0 and lag and sum(v for _, v in lag) == 0)


def test_every_component_is_up_with_its_figures(running_platform: PlatformProcess):
    with grpc.insecure_channel(running_platform.address("platforms.grpc")) as channel:
        PlatformRegistryStub(channel).Register(pb.RegisterPlatformRequest(
            name=f"江门状态检查研究院 {uuid.uuid4().hex[:6]}", kind="new_rd_institution",
            host_organisation="五邑大学", district="440703", registered_on="2023-06-01"),
            metadata=bearer("dev-steward"), timeout=10)
    deadline = time.monotonic() + 40   # lag is measured every 5 s, offsets committed every 3 s
    while not worker_caught_up(running_platform):
        assert time.monotonic() < deadline, "the worker never applied the event"
        time.sleep(0.5)
    worker = records(running_platform)["indicators-worker"]
    assert 0 < time.time() - worker["indicators_updated"] < 60 and worker["consumer_lag"] == 0

    done = status(running_platform)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[1:] if line.strip()}
    assert list(rows) == [c.name for c in COMPONENTS]
    assert all(row[1] == "up" for row in rows.values())
    for name in ("platforms", "enterprises", "talent", "finance", "ingest", "indicators"):
        assert rows[name][2] == "SERVING"
    assert rows["opendata"][2:4] == ["HTTP", "200"] and rows["broker"][2] == "answers"
    assert rows["platforms"][3:5] == ["0", "0"]          # outbox backlog drained, no dead letters
    assert "s ago)" in done.stdout                         # the worker's freshness


def test_a_service_that_stops_answering_is_down_and_the_exit_code_says_so(
        running_platform: PlatformProcess):
    finance = [pid for pid, command in running_platform.leftovers() if command.endswith("serve finance")]
    assert len(finance) == 1, running_platform.leftovers()
    os.kill(finance[0], signal.SIGSTOP)
    try:
        started = time.monotonic()
        done = status(running_platform)
        took = time.monotonic() - started
    finally:
        os.kill(finance[0], signal.SIGCONT)
    assert done.returncode == 1
    row = next(line for line in done.stdout.splitlines() if line.startswith("finance "))
    assert row.split()[1] == "DOWN" and "no answer within 3 s" in row
    assert "down: finance" in done.stderr
    others = [line.split()[1] for line in done.stdout.splitlines()[1:len(COMPONENTS) + 1]
              if not line.startswith("finance ")]
    assert others == ["up"] * (len(COMPONENTS) - 1)
    assert took < 20, "components are checked at once, not one timeout after another"
