"""Kinds of innovation platform named in the action plan, and the levels each may hold.

The codes are shared with the indicator engine and the demo data: do not rename them.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from yinling.errors import ValidationError, shown
from yinling.v1.platforms_pb2 import PlatformLevel

NATIONAL = PlatformLevel.PLATFORM_LEVEL_NATIONAL
PROVINCIAL = PlatformLevel.PLATFORM_LEVEL_PROVINCIAL
MUNICIPAL = PlatformLevel.PLATFORM_LEVEL_MUNICIPAL

LEVEL_NAMES = MappingProxyType({NATIONAL: "national", PROVINCIAL: "provincial", MUNICIPAL: "municipal"})


@dataclass(frozen=True)
class Kind:
    code: str
    name_zh: str
    name_en: str
    levels: frozenset[int]


def _kind(code: str, zh: str, en: str, *levels: int) -> tuple[str, Kind]:
    return code, Kind(code, zh, en, frozenset(levels))


KINDS = MappingProxyType(dict([
    _kind("key_laboratory", "重点实验室", "Key laboratory", NATIONAL, PROVINCIAL),
    _kind("provincial_laboratory", "省实验室", "Provincial laboratory", PROVINCIAL),
    _kind("technology_innovation_centre", "技术创新中心", "Technology innovation centre",
          NATIONAL, PROVINCIAL),
    _kind("engineering_technology_research_centre", "工程技术研究中心",
          "Engineering technology research centre", NATIONAL, PROVINCIAL, MUNICIPAL),
    _kind("enterprise_technology_centre", "企业技术中心", "Enterprise technology centre",
          NATIONAL, PROVINCIAL, MUNICIPAL),
    _kind("new_rd_institution", "新型研发机构", "New R&D institution", PROVINCIAL, MUNICIPAL),
    _kind("industry_technology_research_institute", "产业技术研究院",
          "Industry technology research institute", PROVINCIAL, MUNICIPAL),
    _kind("gba_joint_laboratory", "粤港澳联合实验室", "Guangdong-Hong Kong-Macao joint laboratory",
          PROVINCIAL),
    _kind("field_observation_station", "野外科学观测研究站", "Field scientific observation station",
          NATIONAL, PROVINCIAL),
    _kind("clinical_research_centre", "临床医学研究中心", "Clinical medical research centre",
          NATIONAL, PROVINCIAL),
    _kind("incubator", "科技企业孵化器", "Technology business incubator", NATIONAL, PROVINCIAL, MUNICIPAL),
    _kind("maker_space", "众创空间", "Maker space", NATIONAL, PROVINCIAL, MUNICIPAL),
    _kind("university_science_park", "大学科技园", "University science park", NATIONAL, PROVINCIAL),
    _kind("academician_workstation", "院士工作站", "Academician workstation", PROVINCIAL, MUNICIPAL),
    _kind("postdoctoral_station", "博士后科研工作站", "Postdoctoral research station", NATIONAL, PROVINCIAL),
    _kind("iur_centre", "江门市产学研协同创新中心",
          "Jiangmen industry-university-research collaborative innovation centre", MUNICIPAL),
    _kind("high_tech_zone", "高新技术产业开发区", "High-tech industrial development zone",
          NATIONAL, PROVINCIAL),
    _kind("high_tech_zone_subpark", "高新区分园", "High-tech zone sub-park", NATIONAL, PROVINCIAL),
]))


def require_kind(code: str, field: str = "kind") -> Kind:
    kind = KINDS.get(code)
    if kind is None:
        raise ValidationError(field, f"unknown platform kind {shown(code)}; expected one of {sorted(KINDS)}")
    return kind


def level_name(level: int) -> str:
    return LEVEL_NAMES.get(level, "unspecified")  # type: ignore[call-overload]


def require_level_for(kind: Kind, level: int, field: str = "level") -> int:
    """The level must be one the kind can hold (an IUR centre is municipal only)."""
    if level not in LEVEL_NAMES:
        raise ValidationError(field, "is required: national, provincial or municipal")
    if level not in kind.levels:
        allowed = ", ".join(level_name(lv) for lv in sorted(kind.levels))
        raise ValidationError(field, f"a {kind.code} cannot be {level_name(level)}; allowed: {allowed}")
    return level
