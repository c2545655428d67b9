"""deploy/prometheus and deploy/grafana as the tests read them."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
PROMETHEUS = REPO / "deploy" / "prometheus"
GRAFANA = REPO / "deploy" / "grafana"
JOB_PREFIX = "yinling-"


def load(path: Path) -> Any:
    return json.loads(path.read_text()) if path.suffix == ".json" else yaml.safe_load(path.read_text())


def port_key(job: str) -> str:
    """The platform's port (yinling.config.DEFAULT_PORTS) a job scrapes: the process's metrics
    port, the feed's HTTP port."""
    process = job.removeprefix(JOB_PREFIX)
    return "opendata.http" if process == "opendata" else f"{process}.metrics"


def alert_rules() -> dict[str, dict[str, Any]]:
    rules = load(PROMETHEUS / "alerts.yml")
    return {rule["alert"]: rule for group in rules["groups"] for rule in group["rules"]}


def dashboard_panels() -> list[dict[str, Any]]:
    return [p for p in load(GRAFANA / "dashboards" / "yinling.json")["panels"] if p["type"] != "row"]


def dashboard_exprs() -> list[str]:
    return [t["expr"] for panel in dashboard_panels() for t in panel["targets"]]


def metric_names(expr: str) -> set[str]:
    """The platform's metrics (and `up`) an expression reads, histograms by their base name."""
    names = set(re.findall(r"\b(yinling_[a-z_]+|up)\b", expr))
    return {re.sub(r"_bucket$", "", name) for name in names}
