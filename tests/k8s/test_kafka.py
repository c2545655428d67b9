"""The Strimzi resources (no schema for kubernetes-validate): every topic of yinling/topics.py
as a KafkaTopic with the partition count and replication the processes are configured with,
on a cluster that can hold that many replicas, reached at the configured bootstrap address."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from k8s_render import render_overlay
from manifests import named, of_kind

from yinling.topics import ALL_TOPICS

Rendered = tuple[str, list[dict[str, Any]]]


def _cluster(resources: list[dict[str, Any]]) -> tuple[dict[str, Any], int]:
    (kafka,) = of_kind(resources, "Kafka")
    pools = [p for p in of_kind(resources, "KafkaNodePool")
             if p["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]]
    brokers = sum(p["spec"]["replicas"] for p in pools if "broker" in p["spec"]["roles"])
    return kafka, brokers


def test_every_topic_is_a_kafka_topic_as_configured(rendered: Rendered):
    _, resources = rendered
    config = named(resources, "ConfigMap", "yinling-config")["data"]
    kafka, _ = _cluster(resources)
    topics = {t["spec"]["topicName"]: t for t in of_kind(resources, "KafkaTopic")}
    assert set(topics) == {spec.name for spec in ALL_TOPICS}
    for spec in ALL_TOPICS:
        topic = topics[spec.name]
        assert topic["metadata"]["labels"]["strimzi.io/cluster"] == kafka["metadata"]["name"]
        assert topic["spec"]["partitions"] == (spec.partitions or int(config["YINLING_TOPIC_PARTITIONS"]))
        assert topic["spec"]["replicas"] == int(config["YINLING_TOPIC_REPLICATION"])
        assert {k: str(v) for k, v in topic["spec"]["config"].items()} == spec.config


def test_the_cluster_holds_the_replicas_and_is_reached_at_the_configured_address(rendered: Rendered):
    _, resources = rendered
    config = named(resources, "ConfigMap", "yinling-config")["data"]
    kafka, brokers = _cluster(resources)
    settings = kafka["spec"]["kafka"]["config"]
    replication = int(config["YINLING_TOPIC_REPLICATION"])
    assert replication <= brokers
    assert settings["auto.create.topics.enable"] is False
    assert settings["min.insync.replicas"] <= replication
    assert settings["default.replication.factor"] == replication
    assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
    (plain,) = [li for li in kafka["spec"]["kafka"]["listeners"] if not li["tls"]]
    assert config["YINLING_BOOTSTRAP_SERVERS"] == f"{kafka['metadata']['name']}-kafka-bootstrap:{plain['port']}"


def test_production_replicates_every_topic_three_times_on_three_brokers(deploy_tree: Path):
    resources = render_overlay(deploy_tree, "production")
    _, brokers = _cluster(resources)
    assert brokers >= 3
    assert {t["spec"]["replicas"] for t in of_kind(resources, "KafkaTopic")} == {3}
