"""Source envelopes to aggregate snapshots: each payload carries the whole record after the change."""
from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.message import DecodeError, Message

from services.indicators.facts import aggregate_of, unwrap
from yinling import topics
from yinling.envelope import TYPE_PREFIX, Envelope
from yinling.v1 import enterprises_pb2, finance_pb2, platforms_pb2, talent_pb2

BY_SCHEMA: dict[str, type[Message]] = {
    f"urn:proto:{m.DESCRIPTOR.full_name}": m
    for m in (platforms_pb2.PlatformChanged, enterprises_pb2.EnterpriseChanged,
              enterprises_pb2.StatisticReported, talent_pb2.TalentChanged, finance_pb2.FinanceChanged)
}
BY_TOPIC: dict[str, type[Message]] = {
    topics.PLATFORM_EVENTS.name: platforms_pb2.PlatformChanged,
    topics.ENTERPRISE_EVENTS.name: enterprises_pb2.EnterpriseChanged,
    topics.STATISTICS_EVENTS.name: enterprises_pb2.StatisticReported,
    topics.TALENT_EVENTS.name: talent_pb2.TalentChanged,
    topics.FINANCE_EVENTS.name: finance_pb2.FinanceChanged,
}
BY_TYPE_DOMAIN: dict[str, type[Message]] = {
    "platform": platforms_pb2.PlatformChanged, "enterprise": enterprises_pb2.EnterpriseChanged,
    "statistic": enterprises_pb2.StatisticReported, "statistics": enterprises_pb2.StatisticReported,
    "talent": talent_pb2.TalentChanged, "finance": finance_pb2.FinanceChanged,
}


@dataclass(frozen=True)
class Snapshot:
    event_id: str
    aggregate: str
    aggregate_id: str
    version: int
    record: Message


def message_type(env: Envelope, topic: str | None = None) -> type[Message] | None:
    if topic and topic in BY_TOPIC:
        return BY_TOPIC[topic]
    if env.data_schema in BY_SCHEMA:
        return BY_SCHEMA[env.data_schema]
    if env.type.startswith(TYPE_PREFIX + "."):
        return BY_TYPE_DOMAIN.get(env.type[len(TYPE_PREFIX) + 1:].split(".")[0])
    return None


def decode(env: Envelope, topic: str | None = None) -> Snapshot | None:
    """The snapshot an envelope carries, or None for one the indicators do not read."""
    kind = message_type(env, topic)
    if kind is None:
        return None
    try:
        payload = kind.FromString(env.data)
    except DecodeError:
        return None
    record = unwrap(payload)
    aggregate, aggregate_id = aggregate_of(record)
    # ce_sequence is the version; a statistic without one falls back to its revision.
    version = env.sequence if env.sequence is not None else int(getattr(record, "version", 0)
                                                                or getattr(record, "revision", 0))
    return Snapshot(env.id, aggregate, aggregate_id, version, record)
