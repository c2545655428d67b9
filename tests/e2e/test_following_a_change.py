"""One change followed across the services' logs, as an operator would: the processes of
`yinling up` write JSON lines (their output is a file, not a terminal); the registry's line
for a command names its request_id and the ce_id of the event it recorded, and the indicators
worker's line for that event names the same ce_id."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import grpc
import pytest
from platform_process import PlatformProcess

from yinling.auth import bearer
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

pytestmark = pytest.mark.slow


def json_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a process's log must be one JSON object."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def wait_for_line(path: Path, match: dict[str, Any], timeout_s: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while True:
        found = [line for line in json_lines(path) if match.items() <= line.items()]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"no line with {match} in {path}:\n{path.read_text()[-3000:]}")
        time.sleep(0.25)


def test_a_command_is_followed_by_request_id_and_ce_id_from_registry_to_worker(
        running_platform: PlatformProcess):
    request_id = f"follow-me-{uuid.uuid4().hex[:8]}"
    with grpc.insecure_channel(running_platform.address("platforms.grpc")) as channel:
        PlatformRegistryStub(channel).Register(pb.RegisterPlatformRequest(
            name="江门日志追踪研究院", kind="new_rd_institution", host_organisation="五邑大学",
            district="440703", registered_on="2023-05-01", request_id=request_id),
            metadata=bearer("dev-steward"), timeout=10)
    logs = running_platform.data_dir / "logs"

    applied = wait_for_line(logs / "platforms.log", {"request_id": request_id})
    assert applied["event"].endswith("applied") and applied["level"] == "info"
    assert applied["rpc"] == "platforms.Register"
    ce_id = applied["ce_id"]
    assert len(ce_id) == 36  # a UUID, the event's CloudEvents id

    taken = wait_for_line(logs / "indicators-worker.log", {"ce_id": ce_id})
    assert taken["event"] == "event taken in"
    assert ".platform.registered." in taken["ce_type"] and taken["logger"] == "services.indicators.engine"


def test_a_refused_command_is_logged_with_its_request_id_and_the_field(
        running_platform: PlatformProcess):
    request_id = f"refused-{uuid.uuid4().hex[:8]}"
    with grpc.insecure_channel(running_platform.address("platforms.grpc")) as channel, \
            pytest.raises(grpc.RpcError) as refused:
        PlatformRegistryStub(channel).Register(pb.RegisterPlatformRequest(
            name="江门日志追踪研究院二", kind="no_such_kind", host_organisation="五邑大学",
            district="440703", registered_on="2023-05-01", request_id=request_id),
            metadata=bearer("dev-steward"), timeout=10)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    line = wait_for_line(running_platform.data_dir / "logs" / "platforms.log",
                         {"request_id": request_id})
    assert line["code"] == "INVALID_ARGUMENT" and line["field"] == "kind"
    assert "refused" in line["event"]
