"""Demo innovation platforms: register, accredit, yearly evaluations, level changes,
revocations and corrections through 2022-2024, generated deterministically."""
from __future__ import annotations

import random
from datetime import date, timedelta

from demo.model import Chain, RequestIds, rng_for, weighted
from demo.platform_life import N, P, accredit, lifecycle, register
from yinling.credit_code import make_credit_code
from yinling.territory import DISTRICTS
from yinling.v1.platforms_pb2 import PlatformLevel

# How common each kind is among the generated platforms (zones are placed separately).
KIND_WEIGHTS = {
    "engineering_technology_research_centre": 40, "enterprise_technology_centre": 22,
    "key_laboratory": 3, "technology_innovation_centre": 2, "new_rd_institution": 4,
    "industry_technology_research_institute": 2, "field_observation_station": 0.5,
    "clinical_research_centre": 1, "incubator": 4, "maker_space": 4, "university_science_park": 0.5,
    "academician_workstation": 3, "postdoctoral_station": 4, "iur_centre": 10,
}
LABELS = {
    "key_laboratory": "重点实验室", "provincial_laboratory": "省实验室", "technology_innovation_centre": "技术创新中心",
    "engineering_technology_research_centre": "工程技术研究中心", "enterprise_technology_centre": "企业技术中心",
    "new_rd_institution": "新型研发机构", "industry_technology_research_institute": "产业技术研究院",
    "gba_joint_laboratory": "粤港澳联合实验室", "field_observation_station": "野外科学观测研究站",
    "clinical_research_centre": "临床医学研究中心", "incubator": "科技企业孵化器", "maker_space": "众创空间",
    "university_science_park": "大学科技园", "academician_workstation": "院士工作站",
    "postdoctoral_station": "博士后科研工作站", "iur_centre": "产学研协同创新中心",
    "high_tech_zone": "高新技术产业开发区", "high_tech_zone_subpark": "高新区分园",
}
DISTRICT_WEIGHTS = {"440703": 26, "440704": 20, "440705": 18, "440781": 8, "440783": 10,
                    "440784": 12, "440785": 6}
FIELDS = ("智能", "新材料", "光电", "生物医药", "新能源", "精密制造", "食品", "电子信息", "环保")
SIZES = {"small": 75, "full": 800}


def hosts(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(name, credit code, district) of host organisations; bodies 9xxxxxxx keep them apart
    from the demo enterprises."""
    out = []
    for i in range(count):
        district = weighted(rng, DISTRICT_WEIGHTS)
        name = f"江门{DISTRICTS[district][0][:2]}{rng.choice(FIELDS)}科技有限公司{i + 1:03d}"
        out.append((name, make_credit_code(district, 90000000 + i), district))
    return out


def generate(scale: str) -> list[Chain]:
    rng, ids = rng_for("platforms"), RequestIds("platforms")
    chains = zone_chains(ids)
    pool = hosts(rng, SIZES[scale] // 2)
    names: set[tuple[str, str]] = set()
    for n in range(SIZES[scale]):
        kind = weighted(rng, KIND_WEIGHTS)
        host, code, district = rng.choice(pool)
        name = f"江门市{rng.choice(FIELDS)}{LABELS[kind]}"
        suffix = 1
        while (host, name if suffix == 1 else f"{name}（{suffix}）") in names:
            suffix += 1
        name = name if suffix == 1 else f"{name}（{suffix}）"
        names.add((host, name))
        chains.append(lifecycle(rng, ids, f"platform-{n:04d}", kind, name, host, code, district))
    # The plan asks for one or two GBA joint laboratories.
    chains.append(lifecycle(rng, ids, "platform-gba", "gba_joint_laboratory", "江门粤港澳先进制造联合实验室",
                            "五邑大学", "", "440703", level=P, accredited=date(2023, 9, 1)))
    return chains


def zone_chains(ids: RequestIds) -> list[Chain]:
    """The national zone in Jianghai with a sub-park, and provincial zones elsewhere, so that
    six of seven divisions hold a provincial-or-higher zone by 2024 (Pengjiang has a sub-park)."""
    zones = [("440704", "high_tech_zone", "江门国家高新技术产业开发区", N, date(2010, 11, 1)),
             ("440703", "high_tech_zone_subpark", "江门国家高新区蓬江分园", N, date(2016, 5, 1)),
             ("440705", "high_tech_zone", "新会省级高新技术产业开发区", P, date(2021, 6, 1)),
             ("440784", "high_tech_zone", "鹤山省级高新技术产业开发区", P, date(2022, 4, 1)),
             ("440783", "high_tech_zone", "开平省级高新技术产业开发区", P, date(2022, 12, 1)),
             ("440781", "high_tech_zone", "台山省级高新技术产业开发区", P, date(2023, 8, 1)),
             ("440785", "high_tech_zone", "恩平省级高新技术产业开发区", P, date(2024, 6, 1))]
    return [zone(ids, f"zone-{d}", kind, name, d, level, since)
            for d, kind, name, level, since in zones]


def zone(ids: RequestIds, subject: str, kind: str, name: str, district: str,
         level: PlatformLevel, since: date) -> Chain:
    host = name.replace("开发区", "开发区管理委员会").replace("分园", "分园管理委员会")
    chain = Chain(subject, [register(ids, name, kind, host, "", district, "smart_manufacturing",
                                      since - timedelta(days=200))])
    chain.commands.append(accredit(ids, level, since, "认定"))
    return chain

