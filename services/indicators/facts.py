"""Facts: plan-independent statements extracted from one aggregate snapshot.

A fact says "this subject had these attributes in this place from valid_from until
valid_until (exclusive), unless cancelled". Plans decide which facts count; this module
knows nothing of plans. Pure: no I/O.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from google.protobuf.message import Message

from yinling.v1 import enterprises_pb2, finance_pb2, platforms_pb2, talent_pb2

SOURCES = ("platform", "qualification", "talent", "finance", "statistic")
# The attribute stored in its own indexed column, so a recomputation loads only its kinds.
PRIMARY_ATTRIBUTE = {"platform": "kind", "qualification": "kind", "talent": "category",
                     "finance": "kind", "statistic": "measure"}
# Which aggregate type a fact source comes from (version guard and replacement are per aggregate).
AGGREGATE_OF = {"platform": "platform", "qualification": "enterprise", "talent": "talent",
                "finance": "finance", "statistic": "statistic"}
LEVELS = {platforms_pb2.PLATFORM_LEVEL_NATIONAL: "national",
          platforms_pb2.PLATFORM_LEVEL_PROVINCIAL: "provincial",
          platforms_pb2.PLATFORM_LEVEL_MUNICIPAL: "municipal"}
# Statistics are compared in CNY whatever unit the yearbook used.
UNIT_FACTORS = {"CNY": Decimal(1), "CNY_10K": Decimal(10_000), "CNY_100M": Decimal(100_000_000)}


@dataclass(frozen=True)
class Fact:
    source: str
    aggregate_id: str
    subject: str
    attributes: Mapping[str, str] = field(default_factory=dict)
    district: str = ""
    enterprise_credit_code: str = ""
    valid_from: date = date.min
    valid_until: date | None = None
    cancelled_on: date | None = None
    amount: Decimal | None = None

    @property
    def kind(self) -> str:
        return self.attributes.get(PRIMARY_ATTRIBUTE[self.source], "")


@dataclass(frozen=True)
class DistrictPeriod:
    credit_code: str
    district: str
    valid_from: date
    valid_until: date | None


def _day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


def _earliest(*days: date | None) -> date | None:
    present = [d for d in days if d is not None]
    return min(present) if present else None


def platform_facts(p: platforms_pb2.Platform) -> list[Fact]:
    """One fact per accreditation period: a revoked-then-reaccredited platform has two."""
    return [Fact("platform", p.id, p.id, {"kind": p.kind, "level": LEVELS.get(period.level, "")},
                 p.district, "", _day(getattr(period, "from")) or date.min, _day(period.until))
            for period in p.periods]


def qualification_facts(e: enterprises_pb2.Enterprise) -> list[Fact]:
    facts = []
    for q in e.qualifications:
        until = _day(q.valid_until)
        if until is None and q.kind == "tech_sme" and q.year:
            until = date(q.year + 1, 1, 1)
        attributes = {"kind": q.kind, "number": q.number, "qualification_id": q.id}
        if q.year:
            attributes["year"] = str(q.year)
        facts.append(Fact("qualification", e.credit_code, e.credit_code, attributes, e.district,
                          e.credit_code, _day(q.granted_on) or date.min,
                          _earliest(until, _day(q.revoked_on))))
    return facts


def district_periods(e: enterprises_pb2.Enterprise) -> list[DistrictPeriod]:
    return [DistrictPeriod(e.credit_code, p.district, _day(getattr(p, "from")) or date.min,
                           _day(p.until)) for p in e.district_history]


def talent_facts(r: talent_pb2.TalentRecord) -> list[Fact]:
    # Leaving ends a stock; it does not cancel "brought in" (cumulative windows ignore it).
    return [Fact("talent", r.id, r.subject_pseudonym or r.id, {"category": r.category},
                 r.district, r.enterprise_credit_code, _day(r.recognised_on) or date.min,
                 _day(r.ended_on))]


def finance_facts(r: finance_pb2.FinanceRecord) -> list[Fact]:
    attributes = {"kind": r.kind, "loan_type": r.loan_type, "exchange": r.exchange}
    return [Fact("finance", r.id, r.enterprise_credit_code or r.id, attributes, r.district,
                 r.enterprise_credit_code, _day(r.granted_on) or date.min, None,
                 _day(r.withdrawn_on), Decimal(r.amount_fen))]


def statistic_key(s: enterprises_pb2.RegionalStatistic) -> str:
    return f"{s.territory}/{s.year}/{s.measure}"


def statistic_facts(s: enterprises_pb2.RegionalStatistic) -> list[Fact]:
    """The latest revision only: the caller keeps one snapshot per key (the newest)."""
    amount = Decimal(s.value) * UNIT_FACTORS.get(s.unit or "CNY_10K", Decimal(1))
    attributes = {"measure": s.measure, "year": str(s.year), "revision": str(s.revision)}
    return [Fact("statistic", statistic_key(s), statistic_key(s), attributes, s.territory, "",
                 date(s.year, 1, 1), None, None, amount)]


def unwrap(snapshot: Message) -> Message:
    """Accept either an aggregate or the event payload that carries it."""
    for name in ("platform", "enterprise", "statistic", "record"):
        if snapshot.DESCRIPTOR.name.endswith(("Changed", "Reported")) and hasattr(snapshot, name):
            return getattr(snapshot, name)
    return snapshot


def aggregate_of(snapshot: Message) -> tuple[str, str]:
    """(aggregate type, aggregate id) of a snapshot."""
    s = unwrap(snapshot)
    if isinstance(s, platforms_pb2.Platform):
        return "platform", s.id
    if isinstance(s, enterprises_pb2.Enterprise):
        return "enterprise", s.credit_code
    if isinstance(s, enterprises_pb2.RegionalStatistic):
        return "statistic", statistic_key(s)
    if isinstance(s, talent_pb2.TalentRecord):
        return "talent", s.id
    if isinstance(s, finance_pb2.FinanceRecord):
        return "finance", s.id
    raise TypeError(f"not a snapshot the indicators know: {s.DESCRIPTOR.full_name}")


def facts_of(snapshot: Message) -> list[Fact]:
    s = unwrap(snapshot)
    if isinstance(s, platforms_pb2.Platform):
        return platform_facts(s)
    if isinstance(s, enterprises_pb2.Enterprise):
        return qualification_facts(s)
    if isinstance(s, enterprises_pb2.RegionalStatistic):
        return statistic_facts(s)
    if isinstance(s, talent_pb2.TalentRecord):
        return talent_facts(s)
    if isinstance(s, finance_pb2.FinanceRecord):
        return finance_facts(s)
    raise TypeError(f"not a snapshot the indicators know: {s.DESCRIPTOR.full_name}")


def periods_of(snapshot: Message) -> list[DistrictPeriod]:
    s = unwrap(snapshot)
    return district_periods(s) if isinstance(s, enterprises_pb2.Enterprise) else []
