"""A small city whose indicator values were worked out by hand (tests and audits use it).

Enterprises (district timelines):
  E1 蓬江 440703; E2 蓬江 440703; E3 江海 440704 until 2023-07-01, then 新会 440705;
  E4 台山 440781; E5 开平 440783.
The expected values are in tests/unit/test_indicator_worked_example.py with the arithmetic.
"""
from __future__ import annotations

from google.protobuf.message import Message

from services.indicators.samples import enterprise, finance, platform, statistic, talent
from services.indicators.samples import qualification as q

E1, E2, E3, E4, E5 = (f"9144070000000000{n:02d}" for n in range(1, 6))
PENGJIANG, JIANGHAI, XINHUI, TAISHAN, KAIPING, HESHAN, ENPING = (
    "440703", "440704", "440705", "440781", "440783", "440784", "440785")


def enterprises() -> list[Message]:
    return [
        # HTE issued 2021-12-31 -> valid_until 2024-12-31 (exclusive): gone on 2024-12-31.
        enterprise(E1, [(PENGJIANG, "2015-01-01", "")], [
            q("high_tech_enterprise", "2021-12-31", "2024-12-31"),
            q("tech_sme", "2024-04-01", year=2024),
            q("little_giant", "2022-07-01", "2025-07-01")]),
        # Same certificate, renewed on the boundary day: still counts on 2024-12-31.
        enterprise(E2, [(PENGJIANG, "2016-01-01", "")], [
            q("high_tech_enterprise", "2021-12-31", "2024-12-31", id="q-e2-1"),
            q("high_tech_enterprise", "2024-12-31", "2027-12-31", id="q-e2-2"),
            q("innovation_model", "2024-03-01", "2027-03-01")]),
        # Moves from 江海 to 新会 on 2023-07-01: its certificates (stocks) move with it from that
        # day; what happened to it before (a PhD commissioner placed in 2022) stays in 江海.
        enterprise(E3, [(JIANGHAI, "2020-01-01", "2023-07-01"), (XINHUI, "2023-07-01", "")], [
            q("high_tech_enterprise", "2022-03-01", "2025-03-01"),
            q("tech_sme", "2023-05-01", year=2023, id="q-e3-sme23"),
            q("tech_sme", "2024-05-01", year=2024, id="q-e3-sme24"),
            q("provincial_specialised_sme", "2023-10-01", "2026-10-01")]),
        # HTE revoked 2024-05-01; its innovation-model title no longer counts after that.
        enterprise(E4, [(TAISHAN, "2018-01-01", "")], [
            q("high_tech_enterprise", "2023-01-10", "2026-01-10", revoked="2024-05-01"),
            q("innovation_model", "2023-06-01", "2026-06-01")]),
        enterprise(E5, [(KAIPING, "2019-01-01", "")], [
            q("tech_sme", "2024-06-01", year=2024, revoked="2024-09-01"),
            q("provincial_specialised_sme", "2022-01-15", "2025-01-15")]),
    ]


def platforms() -> list[Message]:
    return [
        platform("P1", "key_laboratory", PENGJIANG, [("provincial", "2020-05-01", "")]),
        # Downgraded below provincial on 2023-03-01.
        platform("P2", "engineering_technology_research_centre", JIANGHAI,
                 [("provincial", "2021-03-01", "2023-03-01"), ("municipal", "2023-03-01", "")]),
        # Revoked 2023-06-01, accredited again 2024-02-01.
        platform("P3", "technology_innovation_centre", XINHUI,
                 [("national", "2022-02-01", "2023-06-01"), ("provincial", "2024-02-01", "")]),
        platform("P4", "high_tech_zone", JIANGHAI, [("national", "2010-01-01", "")]),
        platform("P5", "iur_centre", HESHAN, [("municipal", "2022-06-01", "")]),
        platform("P6", "gba_joint_laboratory", PENGJIANG, [("provincial", "2023-09-01", "")]),
        platform("P7", "iur_centre", ENPING, [("municipal", "2022-01-01", "2024-06-30")]),
        platform("P8", "high_tech_zone_subpark", XINHUI, [("provincial", "2022-09-01", "")]),
        platform("P9", "high_tech_zone_subpark", TAISHAN, [("provincial", "2021-01-01", "2023-12-01")]),
    ]


def people() -> list[Message]:
    return [
        talent("T1", "S1", "innovation_team", PENGJIANG, "2022-05-01", ended="2023-05-01"),
        talent("T2", "S2", "entrepreneurship_team", XINHUI, "2021-11-01"),   # before the plan
        talent("T3", "S3", "innovation_team", JIANGHAI, "2023-08-01", credit_code=E3),
        talent("T4", "S4", "phd_commissioner", JIANGHAI, "2022-03-01", credit_code=E3),
        talent("T5", "S4", "phd_commissioner", PENGJIANG, "2024-02-01", credit_code=E1),
        talent("T6", "S6", "scientist_team", JIANGHAI, "2024-01-10"),
        talent("T7", "S7", "leading_talent", HESHAN, "2022-09-01", ended="2024-03-01"),
        talent("T8", "S8", "high_level_talent", ENPING, "2020-01-01"),
        talent("T9", "S9", "young_talent", PENGJIANG, "2023-03-01"),
    ]


def money() -> list[Message]:
    return [
        finance("F1", "loan", E1, PENGJIANG, 500_000_000, "2022-04-01"),
        finance("F2", "loan", E1, PENGJIANG, 123_456_789, "2023-02-01"),
        finance("F3", "interest_subsidy", E3, XINHUI, 1_234_567, "2023-08-01"),
        finance("F4", "loan", E4, TAISHAN, 200_000_000, "2022-06-01", withdrawn="2022-12-01"),
        finance("F5", "loan", E5, KAIPING, 30_000_050, "2021-10-01"),   # before the plan
        finance("L1", "listing", E2, PENGJIANG, 0, "2024-06-18", exchange="szse"),
        finance("L2", "listing", E1, PENGJIANG, 0, "2024-12-31", exchange="bse"),
        finance("L3", "listing", E5, KAIPING, 0, "2023-03-01", exchange="neeq"),
    ]


def statistics() -> list[Message]:
    return [
        statistic("440700", 2022, "gdp", "3800000"), statistic("440700", 2022, "rd_expenditure", "100000"),
        statistic("440700", 2023, "gdp", "4000000"),
        statistic("440700", 2023, "rd_expenditure", "110000"),
        statistic("440700", 2023, "rd_expenditure", "120000", revision=2),
        statistic(PENGJIANG, 2023, "gdp", "1000000"), statistic(PENGJIANG, 2023, "rd_expenditure", "30000"),
    ]


def world() -> list[Message]:
    return [*enterprises(), *platforms(), *people(), *money(), *statistics()]
