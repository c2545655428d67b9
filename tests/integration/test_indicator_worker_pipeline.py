"""The indicators worker as a real process on the real broker, read through the real gRPC API:
platform events in, indicator values out, a Watch stream told of the change, and the change
published on the indicator-changes topic."""
from __future__ import annotations

import threading
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import grpc
import pytest
from kafka import KafkaConsumer

from indicator_streams import (
    PLAN,
    accredited,
    platform_event,
    publish,
    quiet_days,
    revoked,
    start_worker,
    stop_worker,
    wait_until,
    was_processed,
    worker_env,
)
from services.indicators.main import start
from yinling.broker import EmbeddedBroker
from yinling.config import Settings
from yinling.topics import INDICATOR_CHANGES
from yinling.v1 import indicators_pb2 as pb
from yinling.v1 import indicators_pb2_grpc as pb_grpc


@pytest.fixture
def pipeline(broker: EmbeddedBroker, database_url: str, tmp_path: Path,
             ) -> Iterator[tuple[pb_grpc.IndicatorServiceStub, str]]:
    """A worker process and an in-process API on one fresh database."""
    log = tmp_path / "worker.log"
    group = f"test-indicators-{uuid.uuid4().hex[:8]}"
    env = worker_env(broker.bootstrap, database_url, tmp_path, group)
    worker = start_worker(env, log)
    settings = Settings(bootstrap_servers=broker.bootstrap, data_dir=tmp_path, plan_path=PLAN)
    server, stop = start(settings, database_url, port=0)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        metrics_url = f"http://127.0.0.1:{env['YINLING_PORT_INDICATORS_WORKER_METRICS']}/metrics"
        yield pb_grpc.IndicatorServiceStub(channel), metrics_url
    finally:
        channel.close()
        stop()
        stop_worker(worker)
        print(log.read_text(errors="replace")[-20000:])  # shown when the test failed


def value_on(stub: pb_grpc.IndicatorServiceStub, indicator: str, territory: str, day: date) -> str:
    return stub.Get(pb.GetIndicatorRequest(indicator_id=indicator, territory=territory,
                                           as_of=day.isoformat())).value


def test_platform_events_reach_the_served_indicator_values(
        pipeline: tuple[pb_grpc.IndicatorServiceStub, str], broker: EmbeddedBroker) -> None:
    stub, metrics_url = pipeline
    # Other tests publish on this broker too: ask only about days no one else's platforms cover.
    start = quiet_days()
    since, revoked_on, later = start, start + timedelta(days=10), start + timedelta(days=20)
    lab = accredited(f"plt-{uuid.uuid4().hex[:8]}", "key_laboratory", "440703", "provincial", since.isoformat())
    gone = accredited(f"plt-{uuid.uuid4().hex[:8]}", "key_laboratory", "440704", "national", since.isoformat())
    iur = accredited(f"plt-{uuid.uuid4().hex[:8]}", "iur_centre", "440705", "municipal", since.isoformat())
    events = [platform_event(lab, "accredited"), platform_event(gone, "accredited"),
              platform_event(iur, "accredited"), platform_event(revoked(gone, revoked_on.isoformat()), "revoked")]
    publish(broker.bootstrap, events)

    wait_until(lambda: value_on(stub, "iur_centres", "440705", later) == "1", 60, "the IUR centre counted")
    wait_until(lambda: value_on(stub, "provincial_platforms", "440704", later) == "0", 30, "the revocation")
    assert value_on(stub, "provincial_platforms", "440703", later) == "1"
    assert value_on(stub, "provincial_platforms", "440700", later) == "1"
    # On a day inside the revoked lab's accreditation, both labs count, city-wide and per district.
    assert value_on(stub, "provincial_platforms", "440700", since + timedelta(days=5)) == "2"
    assert value_on(stub, "provincial_platforms", "440704", since + timedelta(days=5)) == "1"
    assert value_on(stub, "provincial_platforms", "440700", since - timedelta(days=1)) == "0"
    # Operators see what was consumed, by topic and event type.
    scraped = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    consumed = [line for line in scraped.splitlines() if line.startswith("yinling_events_consumed_total{")
                and 'topic="yinling.platforms.events.v1"' in line and "platform.revoked" in line]
    assert consumed and float(consumed[0].rsplit(" ", 1)[1]) >= 1
    assert "yinling_indicator_update_latency_seconds_count" in scraped


def test_watch_receives_the_change_a_new_event_causes(
        pipeline: tuple[pb_grpc.IndicatorServiceStub, str], broker: EmbeddedBroker,
        database_url: str) -> None:
    stub, _metrics_url = pipeline
    first = accredited(f"plt-{uuid.uuid4().hex[:8]}", "gba_joint_laboratory", "440781", "provincial", "2023-01-01")
    marker = platform_event(first, "accredited")
    publish(broker.bootstrap, [marker])
    # Counts "now" include other tests' platforms (the worker reads the topic from the start,
    # in batches): wait until it has caught up past this lab, then judge the next change by
    # its cause and its step.
    wait_until(lambda: was_processed(database_url, marker.id), 60, "the first lab applied")

    stream = stub.Watch(pb.WatchIndicatorsRequest(indicator_ids=["gba_joint_labs"],
                                                  territories=["440781"]))
    received: list[pb.IndicatorChanged] = []
    done = threading.Event()

    def collect() -> None:
        try:
            for change in stream:
                received.append(change)
                if change.cause_event_id == cause.id:
                    done.set()
                    return
        except grpc.RpcError:
            pass
    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    second = accredited(f"plt-{uuid.uuid4().hex[:8]}", "gba_joint_laboratory", "440781", "provincial", "2024-01-01")
    cause = platform_event(second, "accredited")
    publish(broker.bootstrap, [cause])
    assert done.wait(60), f"the change caused by the new lab did not arrive; received {received}"
    stream.cancel()
    reader.join(5)
    change = received[-1]
    assert (change.value.indicator_id, change.value.territory) == ("gba_joint_labs", "440781")
    assert int(change.value.value) == int(change.previous_value) + 1
    assert all(c.value.indicator_id == "gba_joint_labs" for c in received)

    # The same change is published for subscribers on the indicator-changes topic.
    consumer = KafkaConsumer(INDICATOR_CHANGES.name, bootstrap_servers=broker.bootstrap,
                             auto_offset_reset="earliest", consumer_timeout_ms=1000)
    try:
        def published() -> bool:
            for record in consumer:
                payload = pb.IndicatorChanged.FromString(record.value)
                if payload.cause_event_id == cause.id and payload.value.territory == "440781":
                    return True
            return False
        wait_until(published, 30, "the change on the indicator-changes topic")
    finally:
        consumer.close()
