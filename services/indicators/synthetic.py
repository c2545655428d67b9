"""Synthetic histories of every kind of record, for exactness tests and benchmarks.

Each aggregate is a list of consecutive snapshots (versions 1, 2, ...): enterprises that
move and gain, renew or lose qualifications; people recognised, sometimes twice under one
pseudonym, and leaving; loans, subsidies and listings, some withdrawn or corrected;
platforms accredited, downgraded and revoked; yearly statistics with revisions.
Deterministic for a given random generator.
"""
from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from google.protobuf.message import Message

from services.indicators.samples import (
    enterprise,
    finance,
    platform,
    qualification,
    statistic,
    talent,
)
from yinling.territory import DISTRICTS
from yinling.v1.enterprises_pb2 import Qualification

PLACES = sorted(DISTRICTS)
QUALIFICATIONS = ("high_tech_enterprise", "tech_sme", "innovation_model", "provincial_specialised_sme",
                  "little_giant")
TALENT = ("innovation_team", "entrepreneurship_team", "phd_commissioner", "scientist_team",
          "leading_talent", "high_level_talent", "young_talent")
FINANCE = ("loan", "loan", "interest_subsidy", "insurance", "listing")
PLATFORMS = ("key_laboratory", "engineering_technology_research_centre", "iur_centre",
             "gba_joint_laboratory", "high_tech_zone", "high_tech_zone_subpark")
LEVELS = ("national", "provincial", "municipal")


def credit_code(n: int) -> str:
    return f"91440700{n:010d}"


def _day(rng: random.Random, start: date = date(2019, 1, 1), span: int = 6 * 365) -> date:
    return start + timedelta(days=rng.randrange(span))


def enterprise_history(rng: random.Random, n: int, versions: int = 4) -> list[Message]:
    code = credit_code(n)
    stays = [[rng.choice(PLACES), _day(rng, date(2012, 1, 1), 3000).isoformat(), ""]]
    quals: list[Qualification] = []
    out: list[Message] = []
    day = date(2019, 1, 1) + timedelta(days=rng.randrange(700))
    for version in range(1, versions + 1):
        action = rng.random()
        if version > 1 and action < 0.25:   # a move, dated after the last one
            moved = max(day, date.fromisoformat(stays[-1][1]) + timedelta(days=1))
            stays[-1][2] = moved.isoformat()
            stays.append([rng.choice([p for p in PLACES if p != stays[-1][0]]), moved.isoformat(), ""])
        elif version > 1 and action < 0.35 and quals:   # a revocation
            q = rng.choice(quals)
            q.revoked_on = (date.fromisoformat(q.granted_on) + timedelta(days=rng.randrange(1, 900))).isoformat()
        else:
            kind = rng.choice(QUALIFICATIONS)
            granted = day + timedelta(days=rng.randrange(-300, 300))
            if kind == "tech_sme":
                quals.append(qualification(kind, granted.isoformat(), year=granted.year,
                                           id=f"q{n}-{version}"))
            else:
                until = granted.replace(year=granted.year + 3) if granted.month != 2 or granted.day != 29 \
                    else granted + timedelta(days=3 * 365)
                quals.append(qualification(kind, granted.isoformat(), until.isoformat(), id=f"q{n}-{version}"))
        out.append(enterprise(code, [(s[0], s[1], s[2]) for s in stays], [_copy(q) for q in quals], version=version))
        day += timedelta(days=rng.randrange(30, 400))
    return out


def _copy(message: Message) -> Message:
    twin = type(message)()
    twin.CopyFrom(message)
    return twin


def talent_history(rng: random.Random, n: int, enterprises: int) -> list[Message]:
    subject = f"S{rng.randrange(max(1, n // 2 + 1))}"   # some people recognised twice
    code = credit_code(rng.randrange(enterprises)) if enterprises and rng.random() < 0.6 else ""
    recognised = _day(rng, date(2020, 6, 1), 4 * 365).isoformat()
    first = talent(f"T{n}", subject, rng.choice(TALENT), rng.choice(PLACES), recognised, credit_code=code)
    if rng.random() < 0.4:
        ended = (date.fromisoformat(recognised) + timedelta(days=rng.randrange(1, 800))).isoformat()
        return [first, talent(f"T{n}", subject, first.category, first.district, recognised, ended,
                              credit_code=code, version=2)]
    return [first]


def finance_history(rng: random.Random, n: int, enterprises: int) -> list[Message]:
    kind = rng.choice(FINANCE)
    code = credit_code(rng.randrange(max(1, enterprises)))
    granted = _day(rng, date(2021, 6, 1), 4 * 365).isoformat()
    amount = 0 if kind == "listing" else rng.randrange(1, 5_000_000) * 100
    record = finance(f"F{n}", kind, code, rng.choice(PLACES), amount, granted,
                     exchange="szse" if kind == "listing" else "")
    out = [record]
    if rng.random() < 0.3:
        withdrawn = (date.fromisoformat(granted) + timedelta(days=rng.randrange(1, 500))).isoformat()
        out.append(finance(f"F{n}", kind, code, record.district, amount + 100, granted, withdrawn,
                           version=2, exchange=record.exchange))
    return out


def platform_history(rng: random.Random, n: int) -> list[Message]:
    kind, place = rng.choice(PLATFORMS), rng.choice(PLACES)
    start = _day(rng, date(2018, 1, 1), 6 * 365)
    periods = [(rng.choice(LEVELS), start.isoformat(), "")]
    out = [platform(f"P{n}", kind, place, list(periods))]
    for version in (2, 3):
        if rng.random() < 0.5:
            break
        until = date.fromisoformat(periods[-1][1]) + timedelta(days=rng.randrange(30, 700))
        periods[-1] = (periods[-1][0], periods[-1][1], until.isoformat())
        if rng.random() < 0.6:
            periods.append((rng.choice(LEVELS), until.isoformat(), ""))
        out.append(platform(f"P{n}", kind, place, list(periods), version=version))
    return out


def statistics_history(rng: random.Random) -> list[list[Message]]:
    out = []
    for year in (2021, 2022, 2023):
        for place in ["440700", *PLACES[:3]]:
            gdp = statistic(place, year, "gdp", str(rng.randrange(1_000_000, 5_000_000)))
            rd = [statistic(place, year, "rd_expenditure", str(rng.randrange(10_000, 150_000)))]
            if rng.random() < 0.3:
                rd.append(statistic(place, year, "rd_expenditure", str(rng.randrange(10_000, 150_000)),
                                    revision=2))
            out.extend([[gdp], rd])
    return out


def histories(rng: random.Random, enterprises: int, people: int, money: int,
              platforms: int) -> Iterator[list[Message]]:
    """Every aggregate's snapshots, oldest first."""
    for n in range(enterprises):
        yield enterprise_history(rng, n, versions=rng.randint(1, 5))
    for n in range(people):
        yield talent_history(rng, n, enterprises)
    for n in range(money):
        yield finance_history(rng, n, enterprises)
    for n in range(platforms):
        yield platform_history(rng, n)
    yield from statistics_history(rng)
