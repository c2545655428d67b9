"""docker-compose.yml brought up with pytest-docker: Apache Kafka (KRaft), PostgreSQL and
every process; the feed and a gRPC service answer from outside the stack."""
from __future__ import annotations

import grpc
import httpx
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc


def _feed_ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _grpc_serving(target: str) -> bool:
    with grpc.insecure_channel(target) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=2)
        except grpc.RpcError:
            return False
    return bool(answer.status == health_pb2.HealthCheckResponse.SERVING)


@pytest.fixture(scope="module")
def stack(engine: None, docker_ip: str, docker_services):  # type: ignore[no-untyped-def]
    feed = f"http://{docker_ip}:{docker_services.port_for('opendata', 8080)}/healthz"
    platforms = f"{docker_ip}:{docker_services.port_for('platforms', 50051)}"
    docker_services.wait_until_responsive(lambda: _feed_ready(feed), timeout=300, pause=2)
    docker_services.wait_until_responsive(lambda: _grpc_serving(platforms), timeout=300, pause=2)
    return {"feed": feed, "platforms": platforms}


def test_the_feed_answers_its_health_check(stack: dict[str, str]):
    assert httpx.get(stack["feed"], timeout=5).status_code == 200


def test_a_domain_service_reports_serving(stack: dict[str, str]):
    assert _grpc_serving(stack["platforms"])
