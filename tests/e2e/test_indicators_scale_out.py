"""One scenario replayed with one indicators worker and with two in one consumer group: the
same values and the same change feed (each event's changes, in cursor order, gapless)."""
from __future__ import annotations

import subprocess
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from google.protobuf.message import Message
from sqlalchemy import delete, func, select

from indicator_streams import (
    PLAN,
    accredited,
    platform_event,
    publish,
    start_worker,
    stop_worker,
    wait_until,
    worker_env,
)
from services.indicators.engine import MODELS
from services.indicators.projection import DirtyRow, PendingRow, ProcessedEvent
from services.indicators.runtime import IndicatorRuntime, open_runtime
from services.indicators.samples import enterprise, envelope, finance, qualification
from services.indicators.worked_example import world
from yinling.broker import EmbeddedBroker, ensure_topics, free_port
from yinling.config import Settings
from yinling.envelope import Envelope
from yinling.outbox import OutboxRecord
from yinling.topics import (
    ENTERPRISE_EVENTS,
    FINANCE_EVENTS,
    PLATFORM_EVENTS,
    STATISTICS_EVENTS,
    TALENT_EVENTS,
)

pytestmark = pytest.mark.slow
TOPIC = {"platform": PLATFORM_EVENTS.name, "enterprise": ENTERPRISE_EVENTS.name,
         "statistic": STATISTICS_EVENTS.name, "talent": TALENT_EVENTS.name, "finance": FINANCE_EVENTS.name}
M = "914407000000000888"


def scenario() -> list[Envelope]:
    """The worked example, then an enterprise that borrows, moves and borrows again."""
    records: list[Message] = [*world(),
                              enterprise(M, [("440703", "2015-01-01", "")],
                                         [qualification("high_tech_enterprise", "2022-03-01", "2025-03-01")]),
                              finance("F-m1", "loan", M, "440703", 50_000_000, "2022-06-01"),
                              enterprise(M, [("440703", "2015-01-01", "2023-07-01"), ("440704", "2023-07-01", "")],
                                         [qualification("high_tech_enterprise", "2022-03-01", "2025-03-01")],
                                         version=2),
                              finance("F-m2", "loan", M, "440704", 20_000_000, "2023-09-01")]
    return [envelope(r, event_id=f"scale-out-{n:03d}") for n, r in enumerate(records)]


@pytest.fixture
def reader(database_url: str, tmp_path: Path) -> Iterator[IndicatorRuntime]:
    runtime = open_runtime(Settings(data_dir=tmp_path, plan_path=PLAN), database_url)
    yield runtime
    runtime.close()


def quiet(runtime: IndicatorRuntime, event_id: str) -> bool:
    """The event applied, nothing queued, nothing dirty: every worker is done with it."""
    with runtime.sessions() as s:
        return (s.scalar(select(func.count()).select_from(ProcessedEvent)
                         .where(ProcessedEvent.event_id == event_id)) == 1
                and s.scalar(select(func.count()).select_from(PendingRow)) == 0
                and s.scalar(select(func.count()).select_from(DirtyRow)
                             .where(DirtyRow.version > DirtyRow.seen)) == 0)


def consumed(metrics_port: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("yinling_events_consumed_total{"))


def warm_up(bootstrap: str, ports: list[str]) -> None:
    """Publish records no indicator counts (municipal laboratories) until every worker of the
    group has been given partitions and consumed some: the group has settled."""
    for attempt in range(60):
        labs = [accredited(f"warm-{attempt}-{n}", "key_laboratory", "440703", "municipal", "2022-01-01")
                for n in range(8)]
        publish(bootstrap, [platform_event(p, "accredited") for p in labs])
        time.sleep(1)
        if all(consumed(port) > 0 for port in ports):
            return
    raise AssertionError("the workers of the group did not all get partitions within 60 s")


def replay(workers: int, database_url: str, runtime: IndicatorRuntime,
           tmp_path: Path) -> tuple[list[tuple[str, ...]], dict[tuple[str, str], str], list[float]]:
    """The scenario on a broker of its own, with `workers` workers in one new group."""
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path / f"broker-{workers}.log").start()
    ensure_topics(broker.bootstrap)
    bootstrap = broker.bootstrap
    group = f"scale-out-{uuid.uuid4().hex[:8]}"
    envs = [worker_env(bootstrap, database_url, tmp_path, group) for _ in range(workers)]
    logs = [tmp_path / f"worker-{workers}-{n}.log" for n in range(workers)]
    processes: list[subprocess.Popen] = []
    try:
        for env, log in zip(envs, logs, strict=True):
            processes.append(start_worker(env, log))
        ports = [env["YINLING_PORT_INDICATORS_WORKER_METRICS"] for env in envs]
        wait_until(lambda: all(_answers(port) for port in ports), 60, "the workers' metrics")
        warm_up(bootstrap, ports)
        for event in scenario():   # one at a time: each event's changes are then well defined
            publish(bootstrap, [event], topic=TOPIC[event.type.split(".")[-3]])
            wait_until(lambda e=event: quiet(runtime, e.id), 90, f"{event.id} applied by the workers",
                       processes[0], logs[0])
        feed = [(c.cause_event_id, c.value.indicator_id, c.value.territory, c.series, c.previous_value,
                 c.value.value) for c in runtime.engine.changes_after(0, set(), set(), limit=100_000)]
        cursors = [c.cursor for c in runtime.engine.changes_after(0, set(), set(), limit=100_000)]
        assert cursors == list(range(cursors[0], cursors[0] + len(cursors)))   # gapless, in order
        values = {(v.indicator_id, v.territory): v.value for day in (date(2023, 6, 30), date(2024, 12, 31))
                  for v in runtime.engine.values(None, None, day)}
        return feed, values, [consumed(port) for port in ports]
    finally:
        for process in processes:
            stop_worker(process)
        broker.stop()
        for log in logs:
            print(log.read_text(errors="replace")[-5000:])


def _answers(port: str) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read()
        return True
    except OSError:
        return False


def test_two_workers_give_the_values_and_change_feed_of_one(database_url: str, reader: IndicatorRuntime,
                                                            tmp_path: Path) -> None:
    one_feed, one_values, _ = replay(1, database_url, reader, tmp_path)
    with reader.sessions.begin() as s:   # the same database, empty again, for the second replay
        for model in [*MODELS, OutboxRecord]:
            s.execute(delete(model))
    two_feed, two_values, per_worker = replay(2, database_url, reader, tmp_path)
    assert all(n > 0 for n in per_worker), f"both workers consumed: {per_worker}"
    assert two_values == one_values
    assert two_feed == one_feed
    assert any(cause == "scale-out-000" for cause, *_ in one_feed)
