"""Builders of source snapshots and their envelopes: for tests, audits and demonstrations."""
from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message

from yinling.envelope import Envelope, event_type, new_event_id
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import finance_pb2 as fin
from yinling.v1 import platforms_pb2 as plat
from yinling.v1 import talent_pb2 as tal

LEVEL = {"national": plat.PLATFORM_LEVEL_NATIONAL, "provincial": plat.PLATFORM_LEVEL_PROVINCIAL,
         "municipal": plat.PLATFORM_LEVEL_MUNICIPAL}


def period(level: str, start: str, until: str = "") -> plat.AccreditationPeriod:
    p = plat.AccreditationPeriod(level=LEVEL[level], until=until)
    setattr(p, "from", start)
    return p


def platform(id: str, kind: str, district: str, periods: list[tuple[str, str, str]],
             version: int = 1, host: str = "") -> plat.Platform:
    return plat.Platform(id=id, name=id, kind=kind, district=district, host_credit_code=host,
                         periods=[period(*p) for p in periods], version=version,
                         status=plat.PLATFORM_STATUS_ACCREDITED)


def qualification(kind: str, granted: str, until: str = "", revoked: str = "", year: int = 0,
                  id: str = "") -> ent.Qualification:
    return ent.Qualification(id=id or f"q-{kind}-{granted}", kind=kind, number=f"N-{granted}",
                             granted_on=granted, valid_until=until, revoked_on=revoked, year=year)


def stay(district: str, start: str, until: str = "") -> ent.DistrictPeriod:
    p = ent.DistrictPeriod(district=district, until=until)
    setattr(p, "from", start)
    return p


def enterprise(code: str, history: list[tuple[str, str, str]],
               qualifications: list[ent.Qualification], version: int = 1) -> ent.Enterprise:
    periods = [stay(*h) for h in history]
    return ent.Enterprise(credit_code=code, name=code, district=periods[-1].district if periods else "",
                          district_history=periods, qualifications=qualifications, version=version)


def talent(id: str, subject: str, category: str, district: str, recognised: str, ended: str = "",
           credit_code: str = "", version: int = 1) -> tal.TalentRecord:
    return tal.TalentRecord(id=id, subject_pseudonym=subject, category=category, district=district,
                            enterprise_credit_code=credit_code, recognised_on=recognised,
                            ended_on=ended, version=version)


def finance(id: str, kind: str, credit_code: str, district: str, amount_fen: int, granted: str,
            withdrawn: str = "", version: int = 1, loan_type: str = "", exchange: str = "") -> fin.FinanceRecord:
    return fin.FinanceRecord(id=id, kind=kind, loan_type=loan_type or ("credit" if kind == "loan" else ""),
                             enterprise_credit_code=credit_code, district=district,
                             amount_fen=amount_fen, granted_on=granted, exchange=exchange,
                             withdrawn_on=withdrawn, version=version)


def statistic(territory: str, year: int, measure: str, value: str, revision: int = 1,
              version: int = 0) -> ent.RegionalStatistic:
    return ent.RegionalStatistic(territory=territory, year=year, measure=measure, value=value,
                                 unit="CNY_10K", revision=revision, version=version or revision,
                                 reported_on=f"{year + 1}-06-30", source="yearbook")


def envelope(record: Message, event_id: str | None = None) -> Envelope:
    """The event a registry publishes for this snapshot (event-carried state)."""
    if isinstance(record, plat.Platform):
        payload: Message = plat.PlatformChanged(platform=record, change="changed")
        domain, key = "platform", record.id
    elif isinstance(record, ent.Enterprise):
        payload, domain, key = ent.EnterpriseChanged(enterprise=record), "enterprise", record.credit_code
    elif isinstance(record, ent.RegionalStatistic):
        payload = ent.StatisticReported(statistic=record, change="reported")
        domain, key = "statistic", f"{record.territory}/{record.year}/{record.measure}"
    elif isinstance(record, tal.TalentRecord):
        payload, domain, key = tal.TalentChanged(record=record), "talent", record.id
    elif isinstance(record, fin.FinanceRecord):
        payload, domain, key = fin.FinanceChanged(record=record), "finance", record.id
    else:
        raise TypeError(type(record).__name__)
    return Envelope(id=event_id or new_event_id(), source=f"/yinling/{domain}",
                    type=event_type(domain, "changed"), time=datetime.now(UTC),
                    subject=key, key=key, data=payload.SerializeToString(),
                    data_schema=f"urn:proto:{payload.DESCRIPTOR.full_name}",
                    sequence=int(record.version))
