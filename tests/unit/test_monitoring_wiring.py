"""Prometheus and Grafana wired to the compose stack: a scrape job per process at the port the
platform configures, the rules and the dashboard mounted where the images read them, every
panel on the provisioned datasource, and the dashboard showing every metric an alert watches."""
from __future__ import annotations

from monitoring import (
    GRAFANA,
    JOB_PREFIX,
    PROMETHEUS,
    REPO,
    alert_rules,
    dashboard_exprs,
    dashboard_panels,
    load,
    metric_names,
    port_key,
)
from yinling.config import DEFAULT_PORTS

COMPOSE = load(REPO / "docker-compose.yml")["services"]
INFRASTRUCTURE = {"kafka", "postgres", "prometheus", "grafana"}


def test_prometheus_scrapes_every_platform_process_of_compose_at_its_configured_port() -> None:
    jobs = {job["job_name"]: job for job in load(PROMETHEUS / "prometheus.yml")["scrape_configs"]}
    targets = {name.removeprefix(JOB_PREFIX): [t for c in job["static_configs"] for t in c["targets"]]
               for name, job in jobs.items() if name.startswith(JOB_PREFIX)}
    assert set(targets) == set(COMPOSE) - INFRASTRUCTURE
    assert targets == {process: [f"{process}:{DEFAULT_PORTS[port_key(JOB_PREFIX + process)]}"]
                       for process in targets}


def test_compose_mounts_the_rules_and_the_grafana_provisioning_where_the_images_read_them() -> None:
    assert "./deploy/prometheus:/etc/prometheus:ro" in COMPOSE["prometheus"]["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in COMPOSE["prometheus"]["command"]
    provider = load(GRAFANA / "provisioning" / "dashboards" / "yinling.yml")["providers"][0]
    assert set(COMPOSE["grafana"]["volumes"]) == {
        "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro",
        f"./deploy/grafana/dashboards:{provider['options']['path']}:ro"}
    assert all("healthcheck" in COMPOSE[name] for name in ("prometheus", "grafana"))


def test_every_panel_reads_the_provisioned_prometheus() -> None:
    [source] = load(GRAFANA / "provisioning" / "datasources" / "prometheus.yml")["datasources"]
    assert source["url"] == "http://prometheus:9090" and source["type"] == "prometheus"
    uids = {(p["datasource"]["uid"], t["datasource"]["uid"]) for p in dashboard_panels()
            for t in p["targets"]}
    assert uids == {(source["uid"], source["uid"])}


def test_the_dashboard_shows_every_metric_an_alert_watches() -> None:
    watched = set().union(*(metric_names(rule["expr"]) for rule in alert_rules().values()))
    shown = set().union(*(metric_names(expr) for expr in dashboard_exprs()))
    assert "yinling_consumer_lag" in watched   # the parsing finds the names
    assert watched - shown == set()
