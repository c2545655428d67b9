"""Benchmarks of the indicator engine alone: batches of source snapshots into SQLite."""
from __future__ import annotations

import resource
import time
from datetime import UTC, date, datetime
from pathlib import Path

from tools.bench_harness import benchmark
from yinling.broker import EmbeddedBroker

PLAN_PATH = Path(__file__).resolve().parents[1] / "plans" / "jiangmen-2022-2024.yaml"
BATCH = 500
EVENTS = 5_000
PLATFORMS = 1_000     # five versions each
ENTERPRISES = 3_000


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def platform_events() -> list:  # type: ignore[type-arg]
    """Versions 1..5 of 1,000 platforms, every version an accreditation at another level,
    interleaved so each batch of 500 carries one version of 500 platforms."""
    from yinling.envelope import Envelope, event_type, new_event_id
    from yinling.territory import DISTRICTS
    from yinling.v1 import platforms_pb2 as pb

    levels = [pb.PLATFORM_LEVEL_PROVINCIAL, pb.PLATFORM_LEVEL_NATIONAL, pb.PLATFORM_LEVEL_MUNICIPAL]
    kinds = ["key_laboratory", "engineering_technology_research_centre", "iur_centre", "gba_joint_laboratory"]
    districts = sorted(DISTRICTS)
    now = datetime.now(UTC)
    out = []
    for n in range(EVENTS):
        i, version = n % PLATFORMS, n // PLATFORMS + 1
        level = levels[(i + version) % len(levels)]
        p = pb.Platform(id=f"plt-bench-{i:05d}", name=f"平台{i}", kind=kinds[i % len(kinds)],
                        district=districts[i % len(districts)], level=level,
                        status=pb.PLATFORM_STATUS_ACCREDITED, registered_on="2022-01-03", version=version,
                        periods=[pb.AccreditationPeriod(level=level, **{"from": f"202{2 + i % 3}-03-01"})])
        payload = pb.PlatformChanged(platform=p, change="accredited", actor="bench")
        out.append(Envelope(id=new_event_id(), source="/yinling/platforms",
                            type=event_type("platform", "accredited"), time=now, subject=p.id, key=p.id,
                            data=payload.SerializeToString(deterministic=True),
                            data_schema="urn:proto:yinling.v1.PlatformChanged", sequence=version))
    return out


def enterprise_events() -> list:  # type: ignore[type-arg]
    from services.indicators.samples import enterprise, envelope, qualification
    from yinling.territory import DISTRICTS

    districts = sorted(DISTRICTS)
    return [envelope(enterprise(f"9144070000BENCH{i:04d}", [(districts[i % len(districts)], "2020-01-01", "")],
                                [qualification("high_tech_enterprise", f"202{1 + i % 4}-12-01",
                                               until=f"202{4 + i % 4}-11-30")]))
            for i in range(ENTERPRISES)]


Result = tuple[float, float, list[float], int]


def run(engine, events: list) -> Result:  # type: ignore[no-untyped-def,type-arg]
    """Apply in batches: wall seconds, CPU seconds of this process, seconds per batch, values changed."""
    per_batch, changed = [], 0
    started, cpu = time.perf_counter(), time.process_time()
    for at in range(0, len(events), BATCH):
        t = time.perf_counter()
        changed += engine.apply_batch(events[at:at + BATCH])
        per_batch.append(time.perf_counter() - t)
    return time.perf_counter() - started, time.process_time() - cpu, per_batch, changed


def figures(label: str, count: int, result: Result) -> str:
    # CPU next to wall time: the machine is shared, so the gap is mostly waiting for a core.
    total, cpu, per_batch, changed = result
    return (f"{label}: {count / total:,.0f} events/s, {total / len(per_batch) * 1000:,.0f} ms per batch of "
            f"{BATCH} (max {max(per_batch) * 1000:,.0f} ms, CPU {cpu / len(per_batch) * 1000:,.0f} ms), "
            f"{changed:,} indicator values changed")


@benchmark("indicator engine: apply_batch on SQLite (batches of 500)")
def bench_engine(_broker: EmbeddedBroker, tmp: Path) -> list[str]:
    from services.indicators.engine import MODELS, IndicatorEngine
    from yinling.db import create_schema, make_engine, make_sessionmaker
    from yinling.plan import load_plan

    rss_before, peak_before = rss_mib(), peak_rss_mib()
    db = make_engine(f"sqlite:///{tmp / 'indicators-engine.db'}")
    create_schema(db, MODELS)
    engine = IndicatorEngine(make_sessionmaker(db), [load_plan(PLAN_PATH)], today=lambda: date(2024, 12, 31))
    platforms = platform_events()
    lines = [figures(f"{EVENTS:,} platform events ({PLATFORMS:,} platforms x 5 versions)", EVENTS,
                     run(engine, platforms)),
             figures(f"the same {EVENTS:,} again (all duplicates, deduped by ce_id)", EVENTS,
                     run(engine, platforms))]
    enterprises = enterprise_events()
    lines.append(figures(f"{ENTERPRISES:,} enterprises with a high-tech qualification", ENTERPRISES,
                         run(engine, enterprises)))
    t = time.perf_counter()
    engine.recompute_all()
    lines.append(f"recompute_all over {PLATFORMS:,} platforms + {ENTERPRISES:,} enterprises: "
                 f"{(time.perf_counter() - t) * 1000:,.0f} ms")
    db.dispose()
    # The peak is the whole bench process's; run this benchmark alone for the engine's own.
    lines.append(f"RSS {rss_before:,.0f} -> {rss_mib():,.0f} MiB over this benchmark; peak RSS of the bench "
                 f"process {peak_rss_mib():,.0f} MiB (was {peak_before:,.0f} MiB before it)")
    return lines
