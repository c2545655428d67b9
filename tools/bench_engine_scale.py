"""The indicator engine against the size of its history: 10,000, 100,000 and 1,000,000 facts held.

Each size is a SQLite database filled directly with facts (as the engine's projection holds
them after that many events), built once, then measured:
- the cost of a batch of 500 new enterprise events (three steps, one transaction), beside the
  baseline of a from-scratch recomputation of one indicator (what every batch cost before);
- "as of" reads: one (indicator, territory, day) and the whole table for one day, beside the
  baseline of the same read computed from the facts;
- a rebuild of every indicator from the facts, in a process of its own (time, peak memory).
Run alone on the machine: the figures are wall-clock.
"""
from __future__ import annotations

import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from statistics import median

from tools.bench_harness import benchmark, percentiles
from yinling.broker import EmbeddedBroker

REPO = Path(__file__).resolve().parents[1]
PLAN_PATH = REPO / "plans" / "jiangmen-2022-2024.yaml"
SIZES = (10_000, 100_000, 1_000_000)
BATCH, BATCHES = 500, 6
PLACES = ("440703", "440704", "440705", "440781", "440783", "440784", "440785")
QUALIFICATIONS = ("high_tech_enterprise", "tech_sme", "innovation_model", "provincial_specialised_sme",
                  "little_giant")


def _day(rng: random.Random, start: date, span: int) -> date:
    return start + timedelta(days=rng.randrange(span))


def fill(url: str, facts: int, seed: int = 1) -> None:
    """About `facts` facts: half qualifications of enterprises that sometimes moved, then
    people, money and platforms; with the processed-event and version rows of that history."""
    import json

    from sqlalchemy import insert

    from services.indicators.engine import MODELS
    from services.indicators.projection import (
        AggregateVersion,
        DistrictPeriodRow,
        FactRow,
        ProcessedEvent,
    )
    from yinling.db import create_schema, make_engine

    rng = random.Random(seed)
    db = make_engine(url)
    create_schema(db, MODELS)
    enterprises = max(1, facts // 10)   # five qualification facts each: half of all facts
    rows: list[dict] = []
    periods: list[dict] = []
    versions: list[dict] = []

    def fact(aggregate: str, aggregate_id: str, source: str, kind: str, subject: str, attributes: dict,
             district: str, code: str, start: date, until: date | None, cancelled: date | None = None,
             amount: int | None = None) -> None:
        rows.append({"aggregate": aggregate, "aggregate_id": aggregate_id, "source": source, "kind": kind,
                     "subject": subject, "attributes": json.dumps(attributes, sort_keys=True), "district": district,
                     "credit_code": code, "valid_from": start, "valid_until": until, "cancelled_on": cancelled,
                     "amount": None if amount is None else str(amount)})

    for n in range(enterprises):
        code = f"91440700{n:010d}"
        place = rng.choice(PLACES)
        if rng.random() < 0.2:
            moved = _day(rng, date(2019, 1, 1), 2000)
            other = rng.choice([p for p in PLACES if p != place])
            periods += [{"credit_code": code, "district": place, "valid_from": date(2010, 1, 1), "valid_until": moved},
                        {"credit_code": code, "district": other, "valid_from": moved, "valid_until": None}]
            place = other
        else:
            periods.append({"credit_code": code, "district": place, "valid_from": date(2010, 1, 1), "valid_until": None})
        for k in range(5):
            kind = QUALIFICATIONS[k] if k < 4 or rng.random() < 0.5 else "high_tech_enterprise"
            granted = _day(rng, date(2016, 1, 1), 3650)
            attributes = {"kind": kind, "number": f"N{n}-{k}", "qualification_id": f"q{n}-{k}"}
            if kind == "tech_sme":
                attributes["year"] = str(granted.year)
                until: date | None = date(granted.year + 1, 1, 1)
            else:
                until = granted + timedelta(days=3 * 365)
            fact("enterprise", code, "qualification", kind, code, attributes, place, code, granted, until)
        versions.append({"aggregate": "enterprise", "aggregate_id": code, "version": 1})
    people = facts // 10
    for n in range(people):
        code = f"91440700{rng.randrange(enterprises):010d}" if rng.random() < 0.5 else ""
        fact("talent", f"T{n}", "talent", rng.choice(("leading_talent", "high_level_talent", "young_talent",
                                                       "phd_commissioner", "innovation_team")),
             f"S{rng.randrange(people)}", {"category": "x"}, rng.choice(PLACES), code,
             _day(rng, date(2018, 1, 1), 3000), None)
        versions.append({"aggregate": "talent", "aggregate_id": f"T{n}", "version": 1})
    money = facts * 3 // 10
    for n in range(money):
        code = f"91440700{rng.randrange(enterprises):010d}"
        kind = rng.choice(("loan", "loan", "interest_subsidy", "insurance", "listing"))
        fact("finance", f"F{n}", "finance", kind, code, {"kind": kind, "loan_type": "credit", "exchange": ""},
             rng.choice(PLACES), code, _day(rng, date(2020, 1, 1), 2000), None,
             None, rng.randrange(1, 10_000_000) * 100)
        versions.append({"aggregate": "finance", "aggregate_id": f"F{n}", "version": 1})
    for n in range(max(0, facts - len(rows))):
        kind = rng.choice(("key_laboratory", "iur_centre", "gba_joint_laboratory", "high_tech_zone"))
        level = rng.choice(("national", "provincial", "municipal"))
        fact("platform", f"P{n}", "platform", kind, f"P{n}", {"kind": kind, "level": level},
             rng.choice(PLACES), "", _day(rng, date(2015, 1, 1), 3500), None)
        versions.append({"aggregate": "platform", "aggregate_id": f"P{n}", "version": 1})
    with db.begin() as conn:
        for table, data in ((FactRow, rows), (DistrictPeriodRow, periods), (AggregateVersion, versions)):
            for start in range(0, len(data), 20_000):
                conn.execute(insert(table), data[start:start + 20_000])
        ids = [{"event_id": f"held-{i:08d}"} for i in range(len(rows))]
        for start in range(0, len(ids), 50_000):
            conn.execute(insert(ProcessedEvent), ids[start:start + 50_000])
    db.dispose()


def new_enterprises(first: int, count: int) -> list:  # type: ignore[type-arg]
    """A batch of new enterprises: a certificate, a tech-SME entry, and a move."""
    from services.indicators.samples import enterprise, envelope, qualification

    out = []
    for n in range(first, first + count):
        a, b = PLACES[n % 7], PLACES[(n + 3) % 7]
        out.append(envelope(enterprise(f"91440799{n:010d}", [(a, "2015-01-01", "2023-05-01"), (b, "2023-05-01", "")], [
            qualification("high_tech_enterprise", "2022-06-01", "2025-06-01", id=f"b{n}-1"),
            qualification("tech_sme", "2024-03-01", year=2024, id=f"b{n}-2")])))
    return out


def open_engine(url: str):  # type: ignore[no-untyped-def]
    from services.indicators.engine import IndicatorEngine
    from yinling.db import make_engine, make_sessionmaker
    from yinling.plan import load_plan

    db = make_engine(url)
    return db, IndicatorEngine(make_sessionmaker(db), [load_plan(PLAN_PATH)], today=lambda: date(2024, 12, 31))


def from_scratch_seconds(engine, indicator_id: str, day: date) -> float:  # type: ignore[no-untyped-def]
    """The baseline: one indicator computed from every fact it reads (the engine before)."""
    from services.indicators import store
    from services.indicators.deps import needs
    from services.indicators.reader import compute_values

    plan = engine.plan(None)
    indicator = plan.indicator(indicator_id)
    started = time.perf_counter()
    with engine._sessions() as session:
        facts = [f for s, kinds in needs(indicator) for f in store.load_facts(session, s, kinds)]
        timelines = store.load_timelines(session)
        compute_values(plan, indicator, facts, timelines, day, "")
    return time.perf_counter() - started


def rebuild_in_child(url: str) -> str:
    """Rebuild every indicator in a process of its own: its time and its peak memory."""
    # VmHWM, not ru_maxrss: a child started by fork and exec inherits the parent's ru_maxrss.
    code = ("import sys,time;from tools.bench_engine_scale import rebuild, own_peak_mib;"
            "t=time.perf_counter();n=rebuild(sys.argv[1]);"
            "print(f'{time.perf_counter()-t:.1f} {own_peak_mib():.0f} {n}')")
    out = subprocess.run([sys.executable, "-c", code, url], cwd=REPO, capture_output=True, text=True, check=True)
    seconds, peak, built = out.stdout.split()
    return f"rebuild of {built} indicators from the facts: {float(seconds):,.1f} s, peak RSS {int(peak):,} MiB"


def own_peak_mib() -> float:
    """This process's peak resident memory (VmHWM)."""
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def rebuild(url: str) -> int:
    from sqlalchemy import delete

    from services.indicators.projection import BuildRow

    db, engine = open_engine(url)
    with db.begin() as conn:
        conn.execute(delete(BuildRow))
    built = engine.build()
    db.dispose()
    return built


@benchmark("indicator engine at scale: batch cost, as-of reads and rebuild vs facts held (SQLite; run alone)")
def bench_engine_scale(_broker: EmbeddedBroker, tmp: Path) -> list[str]:
    lines = ["(run alone on the machine: wall-clock figures)"]
    rng = random.Random(5)
    for size in SIZES:
        url = f"sqlite:///{tmp / f'scale-{size}.db'}"
        started = time.perf_counter()
        fill(url, size)
        filled = time.perf_counter() - started
        db, engine = open_engine(url)
        started = time.perf_counter()
        engine.build()
        built = time.perf_counter() - started
        lines.append(f"{size:>9,} facts held: filled in {filled:,.1f} s, built in {built:,.1f} s")
        costs = []
        for b in range(BATCHES):
            events = new_enterprises(b * BATCH, BATCH)
            t = time.perf_counter()
            engine.apply_batch(events)
            costs.append(time.perf_counter() - t)
        base = from_scratch_seconds(engine, "high_tech_enterprises", date(2024, 12, 31))
        lines.append(f"    batch of {BATCH} new enterprises (certificate, tech SME, move): median "
                     f"{median(costs) * 1000:,.0f} ms, max {max(costs) * 1000:,.0f} ms, "
                     f"{BATCH / median(costs):,.0f} events/s | baseline, one indicator from scratch: "
                     f"{base * 1000:,.0f} ms")
        plan = engine.plan(None)
        one, table = [], []
        for _ in range(300):
            indicator = rng.choice(plan.indicators)
            day = date(2020, 1, 1) + timedelta(days=rng.randrange(2500))
            t = time.perf_counter()
            engine.value(None, indicator.id, rng.choice(plan.territories), day)
            one.append(time.perf_counter() - t)
        for _ in range(60):
            day = date(2020, 1, 1) + timedelta(days=rng.randrange(2500))
            t = time.perf_counter()
            engine.values(None, None, day)
            table.append(time.perf_counter() - t)
        p99 = sorted(one)[int(0.99 * len(one))] * 1000
        lines.append(f"    as of a random day, one (indicator, territory): {percentiles(one)}, p99 {p99:.1f} ms")
        p99 = sorted(table)[int(0.99 * len(table))] * 1000
        lines.append(f"    as of a random day, the whole table ({len(plan.indicators)} x {len(plan.territories)}): "
                     f"{percentiles(table)}, p99 {p99:.1f} ms")
        db.dispose()
        if size == SIZES[-1]:
            lines.append(f"    {rebuild_in_child(url)}")
    return lines
