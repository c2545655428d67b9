"""docker-compose.yml and the Kubernetes manifests describe the same platform: the same
processes with the same arguments and ports, every peer address set in both (each pointing
at the process that serves it), and a healthcheck on every container of compose that is
the process's own health check."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from manifests import named, of_kind, pod_spec

from yinling.config import DEFAULT_PORTS
from yinling.readiness import HEALTH

REPO = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
INFRASTRUCTURE = {"kafka", "postgres", "prometheus", "grafana"}
PROCESSES = {name: service for name, service in COMPOSE.items() if name not in INFRASTRUCTURE}
Rendered = tuple[str, list[dict[str, Any]]]


def _addresses(environment: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in environment.items() if k.startswith("YINLING_ADDR_")}


def test_compose_runs_the_processes_of_the_manifests_with_the_same_arguments(rendered: Rendered):
    _, resources = rendered
    deployments = {d["metadata"]["name"].removeprefix("yinling-"): d
                   for d in of_kind(resources, "Deployment")}
    assert set(PROCESSES) == set(deployments) == set(HEALTH)
    for name, service in PROCESSES.items():
        (container,) = pod_spec(deployments[name])["containers"]
        assert service["command"] == container["args"], name


def test_compose_publishes_the_ports_the_processes_listen_on(rendered: Rendered):
    _, resources = rendered
    for name, service in PROCESSES.items():
        (container,) = pod_spec(named(resources, "Deployment", f"yinling-{name}"))["containers"]
        served = {p["containerPort"] for p in container["ports"]
                  if p["name"] in ("grpc", "http")}
        published = {int(mapping.split(":")[1]) for mapping in service.get("ports", [])}
        assert published == served, name
        assert all(f"{name}.{p['name']}" in DEFAULT_PORTS for p in container["ports"]), name


def test_every_peer_address_is_set_in_both_and_points_at_the_process_serving_it(rendered: Rendered):
    _, resources = rendered
    config = named(resources, "ConfigMap", "yinling-config")["data"]
    grpc_keys = sorted(k for k in DEFAULT_PORTS if k.endswith(".grpc"))
    expected = {"YINLING_ADDR_" + k.upper().replace(".", "_"): k for k in grpc_keys}
    for name, service in PROCESSES.items():
        addresses = _addresses(service["environment"])
        assert set(addresses) == set(expected), name
        for env, key in expected.items():
            process = key.removesuffix(".grpc")
            assert addresses[env] == f"{process}:{DEFAULT_PORTS[key]}", env
    k8s = _addresses(config)
    assert set(k8s) == set(expected)
    for env, key in expected.items():
        host, port = k8s[env].split(":")
        assert int(port) == DEFAULT_PORTS[key], env
        named(resources, "Service", host)  # a Service of that name exists
        assert host == "yinling-" + key.removesuffix(".grpc"), env


def test_every_container_of_compose_has_a_healthcheck_and_each_process_checks_itself():
    for name, service in COMPOSE.items():
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
    for name, service in PROCESSES.items():
        assert service["healthcheck"]["test"] == ["CMD", "yinling", "healthcheck", name], name
