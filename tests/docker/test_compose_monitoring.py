"""The compose stack's monitoring, where a Docker engine is reachable: Prometheus scrapes
every process of the stack with the alert rules loaded, and Grafana serves the provisioned
dashboard to an anonymous viewer."""
from __future__ import annotations

from typing import Any

import httpx
import pytest

from monitoring import GRAFANA, JOB_PREFIX, PROMETHEUS, alert_rules, load


def _get(url: str) -> Any:
    reply = httpx.get(url, timeout=5)
    reply.raise_for_status()
    return reply.json()


JOBS = {job["job_name"] for job in load(PROMETHEUS / "prometheus.yml")["scrape_configs"]
        if job["job_name"].startswith(JOB_PREFIX)}


def _every_target_up(prometheus: str) -> bool:
    try:
        targets = _get(f"{prometheus}/api/v1/targets?state=active")["data"]["activeTargets"]
    except httpx.HTTPError:
        return False
    up = {t["labels"]["job"] for t in targets if t["health"] == "up"}
    return JOBS <= up


@pytest.fixture(scope="module")
def monitoring(engine: None, docker_ip: str, docker_services) -> dict[str, str]:  # type: ignore[no-untyped-def]
    prometheus = f"http://{docker_ip}:{docker_services.port_for('prometheus', 9090)}"
    grafana = f"http://{docker_ip}:{docker_services.port_for('grafana', 3000)}"
    docker_services.wait_until_responsive(lambda: _every_target_up(prometheus), timeout=300, pause=2)
    return {"prometheus": prometheus, "grafana": grafana}


def test_prometheus_scrapes_every_process_of_the_stack_with_the_alert_rules(monitoring: dict[str, str]):
    assert _every_target_up(monitoring["prometheus"])
    groups = _get(f"{monitoring['prometheus']}/api/v1/rules")["data"]["groups"]
    assert {r["name"] for g in groups for r in g["rules"]} == set(alert_rules())


def test_grafana_serves_the_provisioned_dashboard(monitoring: dict[str, str]):
    dashboard = _get(f"{monitoring['grafana']}/api/dashboards/uid/yinling")["dashboard"]
    assert dashboard["title"] == "Yinling"
    assert len(dashboard["panels"]) == len(load(GRAFANA / "dashboards" / "yinling.json")["panels"])
