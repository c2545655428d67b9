"""Commands under failure, as a client that retries meets them: the platforms service killed
with SIGKILL in the middle of a stream of ApplyCommands batches, and its PostgreSQL connections
terminated (`pg_terminate_backend`) during writes. The client resends a batch with the same
request_ids until it is answered. Afterwards every command is applied exactly once (the
registry's records and histories match the commands) and every outbox event is on its topic;
duplicates by ce_id are counted and printed (subscribers dedupe by ce_id)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, func, select, text

from yinling.auth import bearer
from yinling.broker import EmbeddedBroker, free_port
from yinling.envelope import Envelope
from yinling.outbox import OutboxRecord
from yinling.territory import DISTRICTS
from yinling.topics import PLATFORM_EVENTS
from yinling.v1 import platforms_pb2 as ppb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STEWARD = bearer("dev-steward")
BATCHES, PER_BATCH = 20, 20   # each batch: 20 registrations and the accreditations of the last one's
FINAL = (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.UNAUTHENTICATED)


@dataclass
class Service:
    """`yinling serve platforms` as a process of its own, restartable on the same database."""
    env: dict[str, str]
    log: Path
    port: int
    process: subprocess.Popen | None = None
    starts: int = 0

    def start(self) -> Service:
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "yinling", "serve", "platforms"],
                                            cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        self.starts += 1
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            health = health_pb2_grpc.HealthStub(channel)
            deadline = time.monotonic() + 60
            while True:
                try:
                    if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == \
                            health_pb2.HealthCheckResponse.SERVING:
                        return self
                except grpc.RpcError:
                    pass
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"platforms did not start:\n{self.log.read_text(errors='replace')}")
                time.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def service(broker: EmbeddedBroker, tmp_path: Path, database_url: str | None) -> Service:
    grpc_port, metrics_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINLING_")}
    env.update(YINLING_DATA_DIR=str(tmp_path), YINLING_BOOTSTRAP_SERVERS=broker.bootstrap,
               YINLING_LOG_LEVEL="warning", YINLING_PORT_PLATFORMS_GRPC=str(grpc_port),
               YINLING_PORT_PLATFORMS_METRICS=str(metrics_port), PYTHONUNBUFFERED="1")
    if database_url:
        env["YINLING_DATABASE_URL"] = database_url
    return Service(env, tmp_path / "platforms.log", grpc_port)


@dataclass
class Client:
    """Sends the batches in order; resends a batch with the same request_ids until answered."""
    port: int
    answered: int = 0
    in_flight: threading.Event = field(default_factory=threading.Event)
    retries: Counter = field(default_factory=Counter)
    registered: list[ppb.RegisterPlatformRequest] = field(default_factory=list)
    accredited: dict[str, int] = field(default_factory=dict)   # platform id -> level

    def run(self) -> None:
        with grpc.insecure_channel(f"127.0.0.1:{self.port}") as channel:
            stub, previous = PlatformRegistryStub(channel), []
            for b in range(BATCHES):
                registers = [ppb.RegisterPlatformRequest(
                    name=f"江门故障测试平台{b:03d}-{i:02d}", kind="engineering_technology_research_centre",
                    host_organisation=f"江门故障测试科技有限公司{b:03d}", district=sorted(DISTRICTS)[i % 7],
                    registered_on="2023-01-10", request_id=f"reg-{b}-{i}") for i in range(PER_BATCH)]
                accredits = [ppb.AccreditPlatformRequest(
                    platform_id=p.id, level=ppb.PLATFORM_LEVEL_MUNICIPAL, accredited_on="2023-03-01",
                    request_id=f"acc-{p.id}") for p in previous]
                request = ppb.ApplyPlatformCommandsRequest(
                    commands=[ppb.PlatformCommand(register=r) for r in registers]
                    + [ppb.PlatformCommand(accredit=a) for a in accredits])
                answer = self.send(stub, request)
                assert all(o.HasField("platform") for o in answer.outcomes), \
                    [o.error for o in answer.outcomes if o.HasField("error")][:3]
                self.registered.extend(registers)
                self.accredited.update({a.platform_id: a.level for a in accredits})
                previous = [o.platform for o in answer.outcomes[:PER_BATCH]]
                self.answered += 1

    def send(self, stub: PlatformRegistryStub, request: ppb.ApplyPlatformCommandsRequest
             ) -> ppb.ApplyPlatformCommandsResponse:
        deadline = time.monotonic() + 120
        while True:
            self.in_flight.set()
            try:
                return stub.ApplyCommands(request, metadata=STEWARD, timeout=10)
            except grpc.RpcError as error:
                if error.code() in FINAL or time.monotonic() > deadline:
                    raise
                self.retries[error.code().name] += 1
                time.sleep(0.2)
            finally:
                self.in_flight.clear()


def drive(client: Client, fault: Callable[[], None], faults: int) -> None:
    """The client's stream in a thread; `fault` struck while a batch is in flight, `faults` times
    spread over the stream."""
    failure: list[BaseException] = []

    def run() -> None:
        try:
            client.run()
        except BaseException as error:  # noqa: BLE001 - reported below
            failure.append(error)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    for n in range(faults):
        share = BATCHES * (n + 1) // (faults + 1)
        deadline = time.monotonic() + 120
        while client.answered < share and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        client.in_flight.wait(30)
        fault()
    thread.join(300)
    assert not failure, failure
    assert client.answered == BATCHES


def registry(port: int) -> list[tuple[ppb.Platform, int]]:
    """Every platform with the number of its history entries."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub, token, out = PlatformRegistryStub(channel), "", []
        while True:
            page = stub.List(ppb.ListPlatformsRequest(page=PageRequest(page_size=500, page_token=token)),
                             timeout=10)
            for p in page.platforms:
                history = stub.History(ppb.PlatformHistoryRequest(platform_id=p.id), timeout=10)
                out.append((p, len(history.entries)))
            if not (token := page.next_page_token):
                return out


def assert_applied_once(client: Client, port: int) -> int:
    records = registry(port)
    assert sorted(p.name for p, _ in records) == sorted(r.name for r in client.registered)
    for platform, entries in records:
        if platform.id in client.accredited:
            assert (platform.level, platform.version, entries) == (client.accredited[platform.id], 2, 2), \
                platform
        else:
            assert (platform.version, entries) == (1, 1), platform
    return sum(entries for _, entries in records)


def outbox_ids(database_url: str) -> list[str]:
    """The platform events of the outbox once every row (audit notices too) is published."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            unpublished = conn.scalar(select(func.count()).select_from(OutboxRecord)
                                      .where(OutboxRecord.published_at.is_(None)))
            ids = list(conn.scalars(select(OutboxRecord.event_id)
                                    .where(OutboxRecord.topic == PLATFORM_EVENTS.name)))
    finally:
        engine.dispose()
    return ids if unpublished == 0 else []


def ce_ids_on(bootstrap: str, topic: str) -> list[str]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=3000)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        return [Envelope.from_record(r.key, r.value, r.headers).id for r in consumer]
    finally:
        consumer.close()


def assert_every_event_on_the_topic(broker: EmbeddedBroker, database_url: str, changes: int, what: str) -> None:
    deadline = time.monotonic() + 60
    while not (ids := outbox_ids(database_url)) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert len(ids) == changes   # one event per history entry: nothing twice, nothing lost
    on_topic = Counter(i for i in ce_ids_on(broker.bootstrap, PLATFORM_EVENTS.name) if i in set(ids))
    assert set(on_topic) == set(ids)
    print(f"{what}: {len(ids)} events, {sum(on_topic.values()) - len(on_topic)} duplicates by ce_id on the topic")


@pytest.fixture
def sqlite_service(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[Service]:
    svc = service(broker, tmp_path, None)
    yield svc
    svc.stop()


def test_a_service_killed_mid_batch_applies_every_retried_command_once(
        broker: EmbeddedBroker, sqlite_service: Service, tmp_path: Path) -> None:
    sqlite_service.start()
    client = Client(sqlite_service.port)

    def kill_and_restart() -> None:
        sqlite_service.kill()
        sqlite_service.start()
    drive(client, kill_and_restart, faults=2)
    print(f"SIGKILL x2: retries {dict(client.retries)}")
    assert sqlite_service.starts == 3 and client.retries   # every kill was met by the client
    changes = assert_applied_once(client, sqlite_service.port)
    assert_every_event_on_the_topic(broker, f"sqlite:///{tmp_path / 'platforms.db'}", changes, "SIGKILL x2")


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_terminated_postgres_connections_lose_no_write_and_apply_none_twice(
        broker: EmbeddedBroker, database_url: str, tmp_path: Path) -> None:
    svc = service(broker, tmp_path, database_url).start()
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    terminated: list[int] = []

    def terminate() -> None:
        """Every connection of the service, the moment one of them is inside a command's
        transaction (writing a platform or its history), else after 2 s whatever they do."""
        deadline = time.monotonic() + 2
        with admin.connect() as conn:
            while time.monotonic() < deadline and not conn.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND pid <> pg_backend_pid() AND state <> 'idle' AND (query ILIKE 'INSERT INTO platform%' "
                    "OR query ILIKE 'UPDATE platforms%' OR query ILIKE 'INSERT INTO command_log%')")):
                time.sleep(0.002)
            terminated.append(len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all()))
    try:
        client = Client(svc.port)
        drive(client, terminate, faults=4)
        # A batch whose connection dies is run again by the service itself on a fresh one
        # (yinling/batch.py), so the client may see no error at all.
        print(f"pg_terminate_backend x4: {terminated} connections terminated, retries {dict(client.retries)}")
        assert len(terminated) == 4 and all(terminated)
        assert svc.process is not None and svc.process.poll() is None   # the service rode it out
        changes = assert_applied_once(client, svc.port)
        assert_every_event_on_the_topic(broker, database_url, changes, "pg_terminate_backend x4")
    finally:
        svc.stop()
        admin.dispose()
