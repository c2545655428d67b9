"""Look-ups over a rendered list of Kubernetes resources."""
from __future__ import annotations

from typing import Any

Resource = dict[str, Any]


def of_kind(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["kind"] == kind]


def named(resources: list[Resource], kind: str, name: str) -> Resource:
    (found,) = [r for r in of_kind(resources, kind) if r["metadata"]["name"] == name]
    return found


def pod_spec(deployment: Resource) -> dict[str, Any]:
    return deployment["spec"]["template"]["spec"]


def pod_labels(deployment: Resource) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.get("matchLabels", {}).items())


def deployment_of_service(resources: list[Resource], service: Resource) -> Resource:
    (found,) = [d for d in of_kind(resources, "Deployment")
                if selects({"matchLabels": service["spec"]["selector"]}, pod_labels(d))]
    return found
