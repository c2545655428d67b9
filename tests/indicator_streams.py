"""Test support for the indicators worker: platform snapshot streams, publishing them as
CloudEvents, running the worker as a real process, and an independent count to compare.

Imported by tests/integration/test_indicator_* and tests/e2e/test_indicators_exactness.py
(pytest puts tests/ on sys.path because of tests/conftest.py).
"""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from kafka import KafkaProducer

from yinling.broker import free_port
from yinling.envelope import Envelope, event_type, new_event_id
from yinling.territory import CITY, DISTRICTS
from yinling.topics import PLATFORM_EVENTS
from yinling.v1 import platforms_pb2 as ppb

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "plans" / "jiangmen-2022-2024.yaml"
LEVELS = {"national": ppb.PLATFORM_LEVEL_NATIONAL, "provincial": ppb.PLATFORM_LEVEL_PROVINCIAL,
          "municipal": ppb.PLATFORM_LEVEL_MUNICIPAL}
KINDS = ("key_laboratory", "engineering_technology_research_centre", "iur_centre",
         "gba_joint_laboratory", "high_tech_zone")


_days_taken = 0


def quiet_days(span: int = 30) -> date:
    """The first of `span` days in the 1990s that no other test of this session looks at.
    Tests share the session's broker, so each asks only about days before every other test's
    platforms were accredited (each call hands out days earlier than the previous one)."""
    global _days_taken
    _days_taken += span
    return date(2000, 1, 1) - timedelta(days=_days_taken)


def platform_event(p: ppb.Platform, what: str) -> Envelope:
    payload = ppb.PlatformChanged(platform=p, change=what, actor="test")
    return Envelope(id=new_event_id(), source="/yinling/platforms", type=event_type("platform", what),
                    time=datetime.now(UTC), subject=p.id, key=p.id,
                    data=payload.SerializeToString(deterministic=True),
                    data_schema="urn:proto:yinling.v1.PlatformChanged", sequence=p.version)


def accredited(pid: str, kind: str, district: str, level: str, since: str, version: int = 2,
               ) -> ppb.Platform:
    return ppb.Platform(id=pid, name=pid, kind=kind, level=LEVELS[level], district=district,
                        status=ppb.PLATFORM_STATUS_ACCREDITED, registered_on="2022-01-03",
                        periods=[ppb.AccreditationPeriod(level=LEVELS[level], **{"from": since})],
                        version=version)


def revoked(p: ppb.Platform, on: str) -> ppb.Platform:
    new = ppb.Platform()
    new.CopyFrom(p)
    new.status = ppb.PLATFORM_STATUS_REVOKED
    new.periods[-1].until = on
    new.version = p.version + 1
    return new


def lifecycle(rng: random.Random, pid: str) -> list[tuple[ppb.Platform, str]]:
    """Consecutive snapshots of one platform: registered, accredited, then level changes,
    revocations and re-accreditations on increasing dates in 2022-2024."""
    kind, district = rng.choice(KINDS), rng.choice(sorted(DISTRICTS))
    day = date(2022, 1, 1) + timedelta(days=rng.randrange(60))
    p = ppb.Platform(id=pid, name=pid, kind=kind, district=district, version=1,
                     status=ppb.PLATFORM_STATUS_UNDER_CONSTRUCTION, registered_on=day.isoformat())
    out = [(p, "registered")]
    for _ in range(rng.randint(1, 5)):
        new = ppb.Platform()
        new.CopyFrom(p)
        new.version += 1
        day += timedelta(days=rng.randint(1, 180))
        if new.status != ppb.PLATFORM_STATUS_ACCREDITED:
            what, new.status, new.level = "accredited", ppb.PLATFORM_STATUS_ACCREDITED, rng.choice(list(LEVELS.values()))
            new.periods.add(level=new.level, **{"from": day.isoformat()})
        elif rng.random() < 0.5:
            what, new.status = "revoked", ppb.PLATFORM_STATUS_REVOKED
            new.periods[-1].until = day.isoformat()
        else:
            what = "level_changed"
            new.level = rng.choice([lv for lv in LEVELS.values() if lv != new.level])
            new.periods[-1].until = day.isoformat()
            new.periods.add(level=new.level, **{"from": day.isoformat()})
        out.append((new, what))
        p = new
    return out


@dataclass
class PlatformStream:
    """A deterministic stream of platform events with repeats (the same record published
    again, as a relay does after a crash) and the latest snapshot of every platform."""
    events: list[Envelope]
    latest: dict[str, ppb.Platform]


def platform_stream(total: int, seed: int = 7, repeat_share: float = 0.08) -> PlatformStream:
    rng = random.Random(seed)
    per_platform: list[list[Envelope]] = []
    latest: dict[str, ppb.Platform] = {}
    count = 0
    n = 0
    while count < total * (1 - repeat_share):
        pid = f"plt-e2e-{n:05d}"
        n += 1
        versions = lifecycle(rng, pid)
        per_platform.append([platform_event(p, what) for p, what in versions])
        latest[pid] = versions[-1][0]
        count += len(versions)
    # Interleave platforms (each keeps its own order), then repeat some records later on.
    events: list[Envelope] = []
    cursors = [0] * len(per_platform)
    live = list(range(len(per_platform)))
    while live:
        i = rng.choice(live)
        events.append(per_platform[i][cursors[i]])
        cursors[i] += 1
        if cursors[i] == len(per_platform[i]):
            live.remove(i)
    while len(events) < total:
        at = rng.randrange(len(events))
        events.insert(rng.randrange(at, len(events) + 1), events[at])
    return PlatformStream(events, latest)


def publish(bootstrap: str, envelopes: Iterable[Envelope], topic: str = PLATFORM_EVENTS.name) -> int:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        sent = 0
        for env in envelopes:
            producer.send(topic, key=env.key.encode(), value=env.data, headers=env.headers())
            sent += 1
        producer.flush(timeout=30)
        return sent
    finally:
        producer.close(timeout=5)


def expected_platform_counts(latest: Iterable[ppb.Platform], on: date) -> dict[tuple[str, str], int]:
    """An independent reading of the plan for three platform indicators, by hand:
    {(indicator, territory): count} over platforms accredited on `on`."""
    counts: dict[tuple[str, str], int] = defaultdict(int)
    zones: set[str] = set()
    for p in latest:
        period = next((x for x in p.periods if date.fromisoformat(getattr(x, "from")) <= on
                       and (not x.until or on < date.fromisoformat(x.until))), None)
        if period is None:
            continue
        level = period.level
        ids = []
        if p.kind == "iur_centre":
            ids.append("iur_centres")
        elif p.kind == "gba_joint_laboratory":
            ids.append("gba_joint_labs")
        if p.kind == "high_tech_zone" and level != ppb.PLATFORM_LEVEL_MUNICIPAL:
            zones.add(p.district)
        elif p.kind != "iur_centre" and level != ppb.PLATFORM_LEVEL_MUNICIPAL:
            ids.append("provincial_platforms")
        for indicator in ids:
            counts[(indicator, p.district)] += 1
            counts[(indicator, CITY)] += 1
    for district in zones:
        counts[("hitech_zone_coverage", district)] = 1
    counts[("hitech_zone_coverage", CITY)] = len(zones)
    return counts


def was_processed(database_url: str, event_id: str) -> bool:
    """Whether the worker has applied this event (its ce_id is in the engine's dedupe table)."""
    from sqlalchemy import create_engine, select

    from services.indicators.projection import ProcessedEvent

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(ProcessedEvent.event_id)
                               .where(ProcessedEvent.event_id == event_id)) is not None
    finally:
        engine.dispose()


def worker_env(bootstrap: str, database_url: str, data_dir: Path, group: str) -> dict[str, str]:
    return dict(os.environ, YINLING_BOOTSTRAP_SERVERS=bootstrap, YINLING_DATABASE_URL=database_url,
                YINLING_DATA_DIR=str(data_dir), YINLING_PLAN=str(PLAN),
                YINLING_INDICATORS_GROUP=group, YINLING_LOG_LEVEL=os.environ.get("TEST_WORKER_LOG_LEVEL", "warning"),
                YINLING_PORT_INDICATORS_WORKER_METRICS=str(free_port()),
                YINLING_PORT_INDICATORS_WORKER_WEB=str(free_port()))


def start_worker(env: dict[str, str], log_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "yinling", "worker"], cwd=REPO, env=env,
                            stdout=open(log_path, "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def stop_worker(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout_s: float = 20) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_until(check: Callable[[], object], timeout_s: float, what: str,
               process: subprocess.Popen | None = None, log_path: Path | None = None) -> object:
    """Poll `check` until it returns something truthy; fail naming what was awaited."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            log = log_path.read_text(errors="replace")[-3000:] if log_path else ""
            raise AssertionError(f"worker exited ({process.returncode}) while waiting for {what}\n{log}")
        result = check()
        if result:
            return result
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
