"""One demo platform's life: registered, accredited, evaluated each year, perhaps moved up
or down a level, perhaps revoked, now and then corrected. Dates always run forward."""
from __future__ import annotations

import random
from datetime import date, timedelta

from demo.model import Chain, Command, RequestIds, day_between
from yinling.v1 import platforms_pb2 as pb

N, P, M = pb.PLATFORM_LEVEL_NATIONAL, pb.PLATFORM_LEVEL_PROVINCIAL, pb.PLATFORM_LEVEL_MUNICIPAL
ALLOWED: dict[str, tuple[pb.PlatformLevel, ...]] = {
    "key_laboratory": (N, P), "provincial_laboratory": (P,), "technology_innovation_centre": (N, P),
    "engineering_technology_research_centre": (N, P, M), "enterprise_technology_centre": (N, P, M),
    "new_rd_institution": (P, M), "industry_technology_research_institute": (P, M),
    "gba_joint_laboratory": (P,), "field_observation_station": (N, P),
    "clinical_research_centre": (N, P), "incubator": (N, P, M), "maker_space": (N, P, M),
    "university_science_park": (N, P), "academician_workstation": (P, M),
    "postdoctoral_station": (N, P), "iur_centre": (M,), "high_tech_zone": (N, P),
    "high_tech_zone_subpark": (N, P),
}
CLUSTERS = ("smart_manufacturing", "new_energy", "new_materials", "biomedicine", "electronics",
            "new_energy_vehicles", "smart_home", "food_processing", "green_low_carbon")
ID = (("platform_id", "id"),)
GRADES = {"excellent": 0.2, "good": 0.42, "pass": 0.33, "fail": 0.05}
FIRST_REGISTRATION, LAST_REGISTRATION = date(2018, 6, 1), date(2024, 6, 30)
LAST_DAY = date(2024, 12, 31)


def register(ids: RequestIds, name: str, kind: str, host: str, code: str, district: str,
             cluster: str, on: date) -> Command:
    return Command("platforms", "Register", pb.RegisterPlatformRequest(
        name=name, kind=kind, host_organisation=host, host_credit_code=code, district=district,
        industry_cluster=cluster, registered_on=on.isoformat(), request_id=ids()))


def accredit(ids: RequestIds, level: pb.PlatformLevel, on: date, reason: str) -> Command:
    return Command("platforms", "Accredit", pb.AccreditPlatformRequest(
        level=level, accredited_on=on.isoformat(), reason=reason, request_id=ids()), refs=ID)


def _initial_level(rng: random.Random, allowed: tuple[pb.PlatformLevel, ...]) -> pb.PlatformLevel:
    weights = {N: 0.08, P: 0.8, M: 0.25}
    return rng.choices(allowed, weights=[weights[lv] for lv in allowed])[0]


def lifecycle(rng: random.Random, ids: RequestIds, subject: str, kind: str, name: str, host: str,
              code: str, district: str, level: pb.PlatformLevel | None = None,
              accredited: date | None = None) -> Chain:
    allowed = ALLOWED[kind]
    registered = day_between(rng, FIRST_REGISTRATION, LAST_REGISTRATION)
    if accredited is not None:
        registered = min(registered, accredited - timedelta(days=90))
    cluster = rng.choice(CLUSTERS)
    chain = Chain(subject, [register(ids, name, kind, host, code, district, cluster, registered)])
    if rng.random() < 0.03:
        chain.commands.append(Command("platforms", "Correct", pb.CorrectPlatformRequest(
            field="industry_cluster", value=rng.choice([c for c in CLUSTERS if c != cluster]),
            reason="申报材料中的产业集群填写有误，依据复核结果更正", request_id=ids()), refs=ID))
    if accredited is None:
        if rng.random() < 0.06:
            return chain  # still under construction
        accredited = min(registered + timedelta(days=rng.randint(30, 360)), LAST_DAY)
    current = level if level is not None else _initial_level(rng, allowed)
    chain.commands.append(accredit(ids, current, accredited, "通过认定"))
    for year in range(accredited.year, 2024 + 1):
        evaluated = day_between(rng, date(year + 1, 1, 15), date(year + 1, 3, 31))
        grade = rng.choices(list(GRADES), weights=list(GRADES.values()))[0]
        chain.commands.append(Command("platforms", "Evaluate", pb.EvaluatePlatformRequest(
            year=year, grade=grade, evaluated_on=evaluated.isoformat(), request_id=ids()),
            refs=ID))
        effective = evaluated + timedelta(days=rng.randint(20, 60))
        if effective > LAST_DAY:
            break  # what happens in 2025 belongs to the next plan
        if grade == "fail":
            lower = [lv for lv in allowed if lv > current]  # larger number, lower level
            if lower and rng.random() < 0.4:
                current = min(lower)
                chain.commands.append(_change(ids, current, effective, f"{year}年度评估不合格，降级"))
            else:
                chain.commands.append(Command("platforms", "Revoke", pb.RevokePlatformRequest(
                    revoked_on=effective.isoformat(), reason=f"{year}年度评估不合格，撤销认定",
                    request_id=ids()), refs=ID))
                return chain
        elif grade == "excellent" and rng.random() < 0.25:
            higher = [lv for lv in allowed if lv < current]
            if higher:
                current = max(higher)
                chain.commands.append(_change(ids, current, effective, f"{year}年度评估优秀，升级"))
    return chain


def _change(ids: RequestIds, level: pb.PlatformLevel, on: date, reason: str) -> Command:
    return Command("platforms", "ChangeLevel", pb.ChangePlatformLevelRequest(
        level=level, effective_on=on.isoformat(), reason=reason, request_id=ids()), refs=ID)
