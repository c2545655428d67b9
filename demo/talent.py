"""Demo talent records with fake persons: teams, scientist teams, leading, young and
high-level talents, PhD commissioners placed in 100 firms. Names and identity numbers are
invented deterministically; identity numbers have the right form and check digit."""
from __future__ import annotations

import random
from datetime import date, timedelta

from demo.model import Chain, Command, RequestIds, day_between, rng_for
from demo.population import firms
from yinling.v1 import talent_pb2 as pb

COUNTS = {"innovation_team": 40, "entrepreneurship_team": 32, "scientist_team": 7,
          "leading_talent": 72, "young_talent": 60, "high_level_talent": 420,
          "phd_commissioner": 102}
TEAMS = ("innovation_team", "entrepreneurship_team", "scientist_team")
SURNAMES = "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建文辉力晓宇浩然子轩嘉欣思远"
_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK = "10X98765432"


def identity_number(rng: random.Random, district: str) -> str:
    """GB 11643: region, birth date, sequence, ISO 7064 MOD 11-2 check character."""
    birth = day_between(rng, date(1960, 1, 1), date(1994, 12, 31))
    first17 = f"{district}{birth:%Y%m%d}{rng.randint(0, 999):03d}"
    return first17 + _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def generate(scale: str = "full") -> list[Chain]:
    rng, ids = rng_for("talent"), RequestIds("talent")
    population = firms()
    placements = iter(rng.sample(population, COUNTS["phd_commissioner"]))
    chains: list[Chain] = []
    for category, count in COUNTS.items():
        for _ in range(count):
            firm = next(placements) if category == "phd_commissioner" else rng.choice(population)
            earliest = date(2022, 1, 1) if category != "high_level_talent" else date(2016, 1, 1)
            recognised = day_between(rng, earliest, date(2024, 12, 20))
            serial = len(chains)
            person = pb.TalentPerson(
                name=person_name(rng), identity_number=identity_number(rng, firm.district),
                phone=f"13{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}",
                email=f"talent{serial:04d}@example.org",
                member_names=[person_name(rng) for _ in range(rng.randint(3, 8))]
                if category in TEAMS else [])
            chain = Chain(f"talent-{serial:04d}", [Command("talent", "Register", pb.RegisterTalentRequest(
                category=category, district=firm.district, enterprise_credit_code=firm.credit_code,
                recognised_on=recognised.isoformat(), person=person, request_id=ids()))])
            if category == "high_level_talent" and rng.random() < 0.05:
                ended = min(recognised + timedelta(days=rng.randint(120, 900)), date(2024, 12, 31))
                chain.commands.append(Command("talent", "End", pb.EndTalentRequest(
                    ended_on=ended.isoformat(), reason="调离江门", request_id=ids()),
                    refs=(("record_id", "id"),)))
            chains.append(chain)
    return chains
