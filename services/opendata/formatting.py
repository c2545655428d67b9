"""Pure shaping of the feed's records: protobuf messages to public rows, CSV text, ETags.

Nothing here does I/O, so what the public sees is unit-testable without any server.
"""
from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from yinling.v1 import indicators_pb2, platforms_pb2

INDICATOR_COLUMNS = (
    "plan_id", "indicator_id", "territory", "as_of", "period", "name_zh", "name_en", "kind",
    "value", "suppressed", "unit", "baseline", "target", "target_date", "expected", "progress", "status",
    "note", "computed_at",
)

# The only platform fields the public sees; host credit codes, evaluations and version
# history stay inside the government.
PLATFORM_COLUMNS = (
    "id", "name", "kind", "level", "district", "host_organisation", "industry_cluster",
    "accredited_since", "status",
)

HISTORY_COLUMNS = ("cursor", "as_of", "value", "suppressed", "previous_value", "expected", "status", "computed_at")

# A change of the log for incremental pulls; the causing event's id stays inside.
CHANGE_COLUMNS = ("cursor", "plan_id", "indicator_id", "territory", "series", "as_of", "period",
                  "value", "suppressed", "previous_value", "unit", "status", "computed_at")


def _enum_name(enum: Any, number: int, prefix: str) -> str:
    return enum.Name(number).removeprefix(prefix).lower()


def indicator_status(number: int) -> str:
    return _enum_name(indicators_pb2.IndicatorStatus, number, "INDICATOR_STATUS_")


def platform_level(number: int) -> str:
    return "" if number == 0 else _enum_name(platforms_pb2.PlatformLevel, number, "PLATFORM_LEVEL_")


def platform_status(number: int) -> str:
    return _enum_name(platforms_pb2.PlatformStatus, number, "PLATFORM_STATUS_")


def indicator_row(v: indicators_pb2.IndicatorValue) -> dict[str, Any]:
    row: dict[str, Any] = {c: getattr(v, c) for c in INDICATOR_COLUMNS}
    row["status"] = indicator_status(v.status)
    row["progress"] = round(v.progress, 6)
    return row


def history_point(p: indicators_pb2.IndicatorChanged) -> dict[str, Any]:
    return {
        "cursor": p.cursor, "as_of": p.value.as_of, "value": p.value.value,
        "suppressed": p.value.suppressed, "previous_value": p.previous_value, "expected": p.value.expected,
        "status": indicator_status(p.value.status), "computed_at": p.value.computed_at,
    }


def change_row(c: indicators_pb2.IndicatorChanged) -> dict[str, Any]:
    v = c.value
    return {
        "cursor": c.cursor, "plan_id": v.plan_id, "indicator_id": v.indicator_id,
        "territory": v.territory, "series": c.series, "as_of": v.as_of, "period": v.period,
        "value": v.value, "suppressed": v.suppressed, "previous_value": c.previous_value, "unit": v.unit,
        "status": indicator_status(v.status), "computed_at": v.computed_at,
    }


def accredited_since(periods: Sequence[platforms_pb2.AccreditationPeriod]) -> str:
    """Start of the current unbroken accreditation: a level change closes one period and
    opens the next on the same day, so walk back while periods touch."""
    ordered = sorted(periods, key=lambda p: getattr(p, "from"))
    if not ordered or ordered[-1].until:
        return ""
    since = getattr(ordered[-1], "from")
    for earlier in reversed(ordered[:-1]):
        if earlier.until != since:
            break
        since = getattr(earlier, "from")
    return since


def is_public_platform(p: platforms_pb2.Platform) -> bool:
    return p.status == platforms_pb2.PLATFORM_STATUS_ACCREDITED


def platform_public(p: platforms_pb2.Platform) -> dict[str, str]:
    """Project a platform onto its public fields and nothing else."""
    return {
        "id": p.id, "name": p.name, "kind": p.kind, "level": platform_level(p.level),
        "district": p.district, "host_organisation": p.host_organisation,
        "industry_cluster": p.industry_cluster, "accredited_since": accredited_since(p.periods),
        "status": platform_status(p.status),
    }


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison: a list of tags, W/ prefixes ignored, or '*'."""
    if not if_none_match:
        return False
    candidates = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in candidates or etag in candidates
