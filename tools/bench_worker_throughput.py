"""The indicators worker consuming from the broker with a large history held, beside two
baselines measured in the same run on the same topic: raw aiokafka consumption (the ceiling)
and a plain Faust agent updating one table entry per event. Then two workers against one.

Each process under test reads the same records: new enterprises (a certificate, a tech-SME
entry and a move each), on a broker of this benchmark alone. Run alone on the machine.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from kafka import KafkaProducer
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

from services.indicators.projection import DirtyRow, PendingRow, ProcessedEvent
from tools.bench_engine_scale import fill, new_enterprises, open_engine
from tools.bench_harness import benchmark
from tools.bench_pipeline import stop_worker
from yinling.broker import EmbeddedBroker, ensure_topics, free_port
from yinling.db import Base
from yinling.topics import ENTERPRISE_EVENTS

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "plans" / "jiangmen-2022-2024.yaml"
HELD = 1_000_000
HELD_PG, EVENTS_PG = 100_000, 20_000   # PostgreSQL: fewer, for time; the ratio is what it is for
POSTGRES = os.environ.get("YINLING_BENCH_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
EVENTS = 120_000
WINDOW_S = 60.0


def held_database(tmp: Path) -> Path:
    """A database with HELD facts, built (reused from the scale benchmark when it ran first)."""
    path = tmp / f"scale-{HELD}.db"
    if not path.exists():
        fill(f"sqlite:///{path}", HELD)
        db, engine = open_engine(f"sqlite:///{path}")
        engine.build()
        db.dispose()
    return path


def produce(bootstrap: str, count: int) -> float:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=20, batch_size=256 * 1024)
    started = time.perf_counter()
    for first in range(0, count, 5000):
        for env in new_enterprises(first + 5_000_000, min(5000, count - first)):
            producer.send(ENTERPRISE_EVENTS.name, key=env.key.encode(), value=env.data, headers=env.headers())
    producer.flush(120)
    producer.close()
    return time.perf_counter() - started


async def _raw(bootstrap: str, count: int) -> tuple[int, float]:
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(ENTERPRISE_EVENTS.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                group_id=f"bench-raw-{uuid.uuid4().hex[:8]}", enable_auto_commit=False)
    await consumer.start()
    seen, started = 0, time.perf_counter()   # from the subscription: the first fetch counts
    try:
        deadline = started + WINDOW_S + 30
        while seen < count and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            seen += sum(len(records) for records in batches.values())
    finally:
        await consumer.stop()
    return seen, time.perf_counter() - started


def faust_baseline(bootstrap: str, tmp: Path, count: int) -> tuple[int, float]:
    out = tmp / f"faust-{uuid.uuid4().hex[:6]}.count"
    process = subprocess.Popen([sys.executable, "-m", "tools.bench_faust_baseline", bootstrap,
                                ENTERPRISE_EVENTS.name, str(out)], cwd=REPO, stdout=subprocess.DEVNULL,
                               stderr=open(tmp / "faust-baseline.log", "ab"))
    try:
        return _rate(lambda: int(out.read_text() or 0) if out.exists() else 0, count, process)
    finally:
        stop_worker(process)


def _rate(read: Callable[[], int], count: int, process: subprocess.Popen) -> tuple[int, float]:
    """Events done in WINDOW_S from the first one seen (or until all `count` are done)."""
    deadline = time.perf_counter() + 180
    while (first := read()) == 0:
        if process.poll() is not None or time.perf_counter() > deadline:
            raise RuntimeError(f"nothing consumed (exit {process.returncode})")
        time.sleep(0.2)
    started = time.perf_counter()
    done = first
    while time.perf_counter() - started < WINDOW_S and done < count:
        time.sleep(0.5)
        done = read()
    return done - first, time.perf_counter() - started


def workers(n: int, bootstrap: str, url: str, tmp: Path, events: int) -> tuple[int, float]:
    group = f"bench-workers-{uuid.uuid4().hex[:8]}"
    processes = []
    for k in range(n):
        env = dict(os.environ, YINLING_BOOTSTRAP_SERVERS=bootstrap, YINLING_DATABASE_URL=url,
                   YINLING_DATA_DIR=str(tmp), YINLING_PLAN=str(PLAN), YINLING_LOG_LEVEL="warning",
                   YINLING_INDICATORS_GROUP=group, YINLING_PORT_INDICATORS_WORKER_METRICS=str(free_port()))
        processes.append(subprocess.Popen([sys.executable, "-m", "yinling", "worker"], cwd=REPO, env=env,
                                          stdout=open(tmp / f"bench-throughput-{n}-{k}.log", "ab"),
                                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
    engine = create_engine(url)
    held = _count(engine, ProcessedEvent)
    try:
        rate = _rate(lambda: _count(engine, ProcessedEvent) - held, events, processes[0])
        # Then let them finish every event, so the two runs' values can be compared.
        deadline = time.perf_counter() + 900
        while (_count(engine, ProcessedEvent) - held < events or _count(engine, PendingRow)
               or _dirty(engine)) and time.perf_counter() < deadline:
            time.sleep(1)
        return rate
    finally:
        for p in processes:
            stop_worker(p)
        engine.dispose()


def _count(engine: Engine, model: type[Base]) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def _dirty(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(DirtyRow).where(DirtyRow.version > DirtyRow.seen))
                   or 0)


def one_against_two(bootstrap: str, urls: dict[int, str], tmp: Path, label: str, events: int) -> list[str]:
    """One worker, then two in one group, each on its own copy of the database; then their values."""
    lines, rates = [], {}
    for n in (1, 2):
        seen, took = workers(n, bootstrap, urls[n], tmp, events)
        rates[n] = seen / took
        lines.append(f"{label}: {n} indicators worker{'s' if n > 1 else ''} (consume, decode, ingest, drain, "
                     f"refresh, commit): {seen / took:,.0f} events/s ({seen:,} in {took:.1f} s)")
    lines.append(f"{label}: two workers / one: {rates[2] / rates[1]:.2f}x")
    with_one, with_two = ({(v.indicator_id, v.territory, v.value) for d in (date(2023, 12, 31), date(2024, 12, 31))
                           for v in open_engine(urls[n])[1].values(None, None, d)} for n in (1, 2))
    lines.append(f"{label}: values after all events, one worker against two: "
                 + ("identical" if with_one == with_two else f"DIFFER in {len(with_one ^ with_two)} entries"))
    return lines


@contextmanager
def postgres_copies(tmp: Path) -> Iterator[dict[int, str]]:
    """Two databases on the local PostgreSQL server with HELD_PG facts, built; dropped after."""
    try:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        admin.connect().close()
    except Exception:  # noqa: BLE001 - any failure means not reachable
        yield {}
        return
    stem = f"yinling_bench_{uuid.uuid4().hex[:8]}"
    names = [f"{stem}_src", f"{stem}_1", f"{stem}_2"]
    url = make_url(POSTGRES)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[0]}"'))
        source = url.set(database=names[0]).render_as_string(hide_password=False)
        fill(source, HELD_PG)
        db, engine = open_engine(source)
        engine.build()
        db.dispose()
        with admin.connect() as conn:
            for name in names[1:]:
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{names[0]}"'))
        yield {n: url.set(database=names[n]).render_as_string(hide_password=False) for n in (1, 2)}
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@benchmark("indicators worker throughput from the broker, 1,000,000 facts held, beside raw aiokafka "
           "and a plain Faust agent; two workers against one (run alone)")
def bench_worker_throughput(_broker: EmbeddedBroker, tmp: Path) -> list[str]:
    lines = ["(run alone on the machine: wall-clock figures; SQLite)"]
    db = held_database(tmp)
    broker = EmbeddedBroker(port=free_port(), log_path=tmp / "throughput-broker.log").start()
    try:
        ensure_topics(broker.bootstrap)
        seconds = produce(broker.bootstrap, EVENTS)
        lines.append(f"{EVENTS:,} enterprise events produced in {seconds:.1f} s")
        seen, took = asyncio.run(_raw(broker.bootstrap, EVENTS))
        lines.append(f"baseline, raw aiokafka consumption: {seen / took:,.0f} events/s ({seen:,} in {took:.1f} s)")
        seen, took = faust_baseline(broker.bootstrap, tmp, EVENTS)
        lines.append(f"baseline, plain Faust agent, one table update per event: {seen / took:,.0f} events/s "
                     f"({seen:,} in {took:.1f} s)")
        urls = {}
        for n in (1, 2):
            copy = tmp / f"throughput-{n}.db"
            shutil.copy(db, copy)
            urls[n] = f"sqlite:///{copy}"
        lines += one_against_two(broker.bootstrap, urls, tmp, f"SQLite, {HELD:,} facts held", EVENTS)
        with postgres_copies(tmp) as pg_urls:
            if pg_urls:
                # A broker of its own with fewer events: each run goes on to the last event.
                small = EmbeddedBroker(port=free_port(), log_path=tmp / "throughput-pg-broker.log").start()
                try:
                    ensure_topics(small.bootstrap)
                    produce(small.bootstrap, EVENTS_PG)
                    lines += one_against_two(small.bootstrap, pg_urls, tmp,
                                             f"PostgreSQL, {HELD_PG:,} facts held", EVENTS_PG)
                finally:
                    small.stop()
            else:
                lines.append(f"PostgreSQL not reachable at {POSTGRES}: its run is left out")
    finally:
        broker.stop()
    return lines
