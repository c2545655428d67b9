"""Every Kafka topic of the platform, created up front with explicit partitions and configs.

Auto-created topics would get the broker's default partition count, and Faust refuses a
table or agent whose topics disagree on it, so nothing relies on auto-creation.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Records are the public history of the platform: keep them (no time or size retention).
EVENT_LOG_CONFIG = {"cleanup.policy": "delete", "retention.ms": "-1", "retention.bytes": "-1"}


@dataclass(frozen=True)
class TopicSpec:
    name: str
    key: str  # what the record key is, for the AsyncAPI document and subscribers
    description: str
    partitions: int | None = None  # None: the configured default
    config: dict[str, str] = field(default_factory=lambda: dict(EVENT_LOG_CONFIG))


PLATFORM_EVENTS = TopicSpec(
    "yinling.platforms.events.v1", "platform id", "Innovation-platform registry changes"
)
ENTERPRISE_EVENTS = TopicSpec(
    "yinling.enterprises.events.v1", "unified social credit code", "Enterprise records and qualifications"
)
STATISTICS_EVENTS = TopicSpec(
    "yinling.statistics.events.v1", "district code/year/measure", "Regional statistics (GDP, R&D) as reported"
)
TALENT_EVENTS = TopicSpec(
    "yinling.talent.events.v1", "pseudonymous record id", "Talent teams, recognitions and commissioners"
)
FINANCE_EVENTS = TopicSpec(
    "yinling.finance.events.v1", "finance record id", "Tech-finance support and listings"
)
INDICATOR_CHANGES = TopicSpec(
    "yinling.indicators.changes.v1", "indicator id/territory/as-of", "Indicator value changes"
)
INGEST_EVENTS = TopicSpec(
    "yinling.ingest.events.v1", "submission id",
    "Batch-ingest submissions: received, validated or rejected, applied (counts)"
)
DEAD_LETTERS = TopicSpec(
    "yinling.dead-letters.v1", "the refused event's key",
    "Notices of events the broker refused for good (headers only; the record stays in the "
    "service's outbox_dead_letters table)", partitions=1,
)

AUDIT = TopicSpec(
    "yinling.audit.v1", "token id (\"anonymous\" without a token)",
    "Access decisions: every write and every refused attempt (who, what, when, from where, "
    "outcome); the record also stays in the service's audit_log table", partitions=1,
)

SOURCE_TOPICS = (PLATFORM_EVENTS, ENTERPRISE_EVENTS, STATISTICS_EVENTS, TALENT_EVENTS, FINANCE_EVENTS)
ALL_TOPICS = (*SOURCE_TOPICS, INDICATOR_CHANGES, INGEST_EVENTS, DEAD_LETTERS, AUDIT)
