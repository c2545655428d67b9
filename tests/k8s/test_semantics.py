"""What the schemas cannot see: ports that the API server would refuse or that point
nowhere, probes on every container, restricted Pod Security on every pod, one writer for
the indicators workers within the partitions they split, disruption budgets, autoscaling only where it is safe, pinned
images, network policies, and the same processes and ports as the code."""
from __future__ import annotations

from typing import Any

from manifests import deployment_of_service, named, of_kind, pod_labels, pod_spec, selects

from yinling.cli import SERVICES
from yinling.config import DEFAULT_PORTS

Rendered = tuple[str, list[dict[str, Any]]]
# Processes that support exactly one running copy (the only writer of their database).
SINGLE_WRITERS: set[str] = set()
# Consumers of one group: more copies than the source topics' partitions would sit idle.
PARTITION_BOUND = {"yinling-indicators-worker"}
# Read-only processes: safe to run many of, so an autoscaler owns their replica count.
STATELESS = {"yinling-indicators", "yinling-opendata"}


def test_every_process_of_the_command_line_has_a_deployment(rendered: Rendered):
    _, resources = rendered
    expected = {f"yinling-{s}" for s in SERVICES} | {"yinling-indicators-worker", "yinling-opendata"}
    assert {d["metadata"]["name"] for d in of_kind(resources, "Deployment")} == expected


def test_service_ports_are_unique_by_name_and_number_and_reach_a_container_port(rendered: Rendered):
    _, resources = rendered
    for service in of_kind(resources, "Service"):
        ports = service["spec"]["ports"]
        assert len({p["name"] for p in ports}) == len(ports), service["metadata"]["name"]
        assert len({p["port"] for p in ports}) == len(ports), service["metadata"]["name"]
        container_ports = {p["name"]: p["containerPort"]
                           for c in pod_spec(deployment_of_service(resources, service))["containers"]
                           for p in c["ports"]}
        assert len(container_ports) == sum(
            len(c["ports"]) for c in pod_spec(deployment_of_service(resources, service))["containers"])
        for port in ports:
            assert port["targetPort"] in container_ports, (service["metadata"]["name"], port)


def test_ports_are_the_ones_the_processes_listen_on(rendered: Rendered):
    _, resources = rendered
    for deployment in of_kind(resources, "Deployment"):
        process = deployment["metadata"]["name"].removeprefix("yinling-")
        (container,) = pod_spec(deployment)["containers"]
        for port in container["ports"]:
            key = f"{process}.{port['name']}"
            assert port["containerPort"] == DEFAULT_PORTS[key], key


def test_every_container_has_startup_readiness_and_liveness_probes(rendered: Rendered):
    _, resources = rendered
    for deployment in of_kind(resources, "Deployment"):
        for container in pod_spec(deployment)["containers"]:
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                assert probe in container, (container["name"], probe)
            grpc_ports = [p["containerPort"] for p in container["ports"] if p["name"] == "grpc"]
            if grpc_ports:  # gRPC servers are probed natively (grpc.health.v1)
                for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                    assert container[probe]["grpc"]["port"] == grpc_ports[0], container["name"]


def test_every_pod_meets_the_restricted_pod_security_standard(rendered: Rendered):
    _, resources = rendered
    (namespace,) = of_kind(resources, "Namespace")
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"
    for deployment in of_kind(resources, "Deployment"):
        pod = pod_spec(deployment)
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        assert pod["automountServiceAccountToken"] is False
        account = named(resources, "ServiceAccount", pod["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"]["drop"] == ["ALL"]
            for need in ("requests", "limits"):
                assert set(container["resources"][need]) == {"cpu", "memory"}
            mounts = {m["mountPath"] for m in container.get("volumeMounts", [])}
            assert "/tmp" in mounts  # the only writable place (YINLING_DATA_DIR)


def test_a_single_writer_is_never_run_twice(rendered: Rendered):
    _, resources = rendered
    autoscaled = {h["spec"]["scaleTargetRef"]["name"] for h in of_kind(resources, "HorizontalPodAutoscaler")}
    for name in SINGLE_WRITERS:
        deployment = named(resources, "Deployment", name)
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["strategy"]["type"] == "Recreate"
        assert name not in autoscaled
    for deployment in of_kind(resources, "Deployment"):
        if deployment["spec"]["strategy"]["type"] == "Recreate":
            assert deployment["metadata"]["name"] in SINGLE_WRITERS


def test_indicators_workers_never_outnumber_the_partitions_they_split(rendered: Rendered):
    _, resources = rendered
    config = named(resources, "ConfigMap", "yinling-config")["data"]
    partitions = int(config.get("YINLING_TOPIC_PARTITIONS", "4"))
    source_topics = [t for t in of_kind(resources, "KafkaTopic") if t["spec"]["topicName"].endswith(".events.v1")]
    for name in PARTITION_BOUND:
        replicas = named(resources, "Deployment", name)["spec"]["replicas"]
        assert 2 <= replicas <= partitions
        assert all(t["spec"]["partitions"] >= replicas for t in source_topics)


def test_autoscalers_for_the_stateless_processes_only(rendered: Rendered):
    _, resources = rendered
    autoscalers = of_kind(resources, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in autoscalers} == STATELESS
    for hpa in autoscalers:
        assert 2 <= hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        assert "replicas" not in named(resources, "Deployment", hpa["spec"]["scaleTargetRef"]["name"])["spec"]


def test_every_deployment_has_a_disruption_budget(rendered: Rendered):
    _, resources = rendered
    budgets = of_kind(resources, "PodDisruptionBudget")
    for deployment in of_kind(resources, "Deployment"):
        matching = [b for b in budgets if selects(b["spec"]["selector"], pod_labels(deployment))]
        assert len(matching) == 1, deployment["metadata"]["name"]
        if deployment["metadata"]["name"] in STATELESS:
            assert matching[0]["spec"].get("minAvailable", 0) >= 1


def test_images_are_pinned(rendered: Rendered):
    _, resources = rendered
    for deployment in of_kind(resources, "Deployment"):
        for container in pod_spec(deployment)["containers"]:
            name, _, tag = container["image"].rpartition(":")
            assert name and tag and tag != "latest" and "/" not in tag, container["image"]


def test_ingress_is_denied_by_default_and_opened_per_port(rendered: Rendered):
    _, resources = rendered
    policies = of_kind(resources, "NetworkPolicy")
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"] for p in policies)
    for deployment in of_kind(resources, "Deployment"):
        own = [p for p in policies if p["spec"]["podSelector"]
               and selects(p["spec"]["podSelector"], pod_labels(deployment))]
        opened = {port["port"] for p in own for rule in p["spec"]["ingress"] for port in rule["ports"]}
        (container,) = pod_spec(deployment)["containers"]
        assert opened == {p["name"] for p in container["ports"]}, deployment["metadata"]["name"]


def test_configuration_and_secrets_referenced_exist(rendered: Rendered):
    _, resources = rendered
    for deployment in of_kind(resources, "Deployment"):
        for container in pod_spec(deployment)["containers"]:
            for source in container["envFrom"]:
                (kind, ref), = source.items()
                named(resources, {"configMapRef": "ConfigMap", "secretRef": "Secret"}[kind], ref["name"])
    config = named(resources, "ConfigMap", "yinling-config")["data"]
    for key, value in config.items():
        if key.startswith("YINLING_ADDR_"):
            host, port = value.split(":")
            service = named(resources, "Service", host)
            assert int(port) in {p["port"] for p in service["spec"]["ports"]}, key
