"""`yinling up` as a new user runs it: the real supervisor, broker, services, worker and feed
as processes on free ports, driven over gRPC and HTTP only.

Three start-ups in all (each costs seconds): one with the small demo data set, stopped with
Ctrl-C (SIGINT) and started again on the same data directory, and that one stopped too.
Delays are printed, never asserted (the 2-second figure belongs to `make bench`).
"""
from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from platform_process import DEMO_LOADED, READY_LINE, PlatformProcess, metric_samples

from services.opendata.loading import STATUS_FILE, current_load
from yinling.auth import bearer
from yinling.topics import SOURCE_TOPICS
from yinling.v1 import indicators_pb2 as ipb
from yinling.v1 import platforms_pb2 as ppb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.indicators_pb2_grpc import IndicatorServiceStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

pytestmark = pytest.mark.slow

STEWARD = bearer("dev-steward")
CITY, DISTRICT = "440700", "440703"
INDICATOR = "provincial_platforms"
# The plan file's rule for provincial_platforms: national or provincial level, these kinds excluded.
COUNTED_LEVELS = {ppb.PLATFORM_LEVEL_NATIONAL, ppb.PLATFORM_LEVEL_PROVINCIAL}
EXCLUDED_KINDS = {"high_tech_zone", "high_tech_zone_subpark", "iur_centre"}
SOURCE_SERVICES = ("platforms", "enterprises", "talent", "finance", "ingest")
WORKER_TOPICS = {t.name for t in SOURCE_TOPICS}


def poll(read: Callable[[], Any], done: Callable[[Any], bool], timeout_s: float) -> tuple[Any, float]:
    """Read until `done(value)` or the deadline; returns the last value and the seconds taken."""
    started = time.monotonic()
    while True:
        value = read()
        if done(value) or time.monotonic() - started > timeout_s:
            return value, time.monotonic() - started
        time.sleep(0.1)


# -- reading the platform as a user does ------------------------------------------------
def platforms(up: PlatformProcess) -> list[ppb.Platform]:
    with grpc.insecure_channel(up.address("platforms.grpc")) as channel:
        stub, token, out = PlatformRegistryStub(channel), "", []
        while True:
            page = stub.List(ppb.ListPlatformsRequest(page=PageRequest(page_size=500, page_token=token)),
                             timeout=10)
            out.extend(page.platforms)
            if not (token := page.next_page_token):
                return sorted(out, key=lambda p: p.id)


def expected_count(records: list[ppb.Platform], territory: str) -> int:
    return sum(1 for p in records if p.status == ppb.PLATFORM_STATUS_ACCREDITED
               and p.level in COUNTED_LEVELS and p.kind not in EXCLUDED_KINDS
               and territory in (CITY, p.district))


def grpc_value(up: PlatformProcess, territory: str) -> str:
    with grpc.insecure_channel(up.address("indicators.grpc")) as channel:
        return IndicatorServiceStub(channel).Get(
            ipb.GetIndicatorRequest(indicator_id=INDICATOR, territory=territory), timeout=10).value


def feed(up: PlatformProcess, path: str) -> Any:
    return json.loads(up.get("opendata.http", path, timeout_s=10))


def feed_value(up: PlatformProcess, territory: str) -> str:
    rows = feed(up, f"/api/v1/indicators?territory={territory}")["indicators"]
    return next(r["value"] for r in rows if r["indicator_id"] == INDICATOR and r["territory"] == territory)


def without_computed_at(value: Any) -> Any:
    """Values are computed when read; only computed_at may differ between two reads."""
    if isinstance(value, dict):
        return {k: without_computed_at(v) for k, v in value.items() if k != "computed_at"}
    if isinstance(value, list):
        return [without_computed_at(v) for v in value]
    return value


@dataclass
class Snapshot:
    platforms: list[ppb.Platform]
    indicators: list[dict[str, Any]]   # IndicatorService.List, every territory
    feed: dict[str, Any]               # GET /api/v1/indicators and /api/v1/platforms

    @classmethod
    def read(cls, up: PlatformProcess) -> Snapshot:
        with grpc.insecure_channel(up.address("indicators.grpc")) as channel:
            values = IndicatorServiceStub(channel).List(ipb.ListIndicatorsRequest(), timeout=10).values
        rows = [{"plan_id": v.plan_id, "indicator_id": v.indicator_id, "territory": v.territory,
                 "as_of": v.as_of, "value": v.value, "status": v.status, "progress": v.progress,
                 "period": v.period, "note": v.note} for v in values]
        published = feed(up, "/api/v1/platforms?limit=500")
        return cls(platforms(up), sorted(rows, key=lambda r: (r["indicator_id"], r["territory"])),
                   without_computed_at({"indicators": feed(up, "/api/v1/indicators"),
                                        "platforms": published}))


def settled(up: PlatformProcess) -> bool:
    """Every outbox published, and the worker has consumed at least every event the source
    services published to each of its topics since this start (the ingest gateway's own
    submission events are not the worker's to consume)."""
    keys = [f"{s}.metrics" for s in SOURCE_SERVICES] + ["indicators-worker.metrics"]
    if any(up.outbox_backlog(k) != 0 for k in keys):
        return False
    published: dict[str, float] = {}
    for service in SOURCE_SERVICES:
        for labels, value in metric_samples(up.metrics(f"{service}.metrics"), "yinling_events_published_total"):
            if labels["topic"] in WORKER_TOPICS:
                published[labels["topic"]] = published.get(labels["topic"], 0) + value
    consumed: dict[str, float] = {}
    for labels, value in metric_samples(up.metrics("indicators-worker.metrics"), "yinling_events_consumed_total"):
        consumed[labels["topic"]] = consumed.get(labels["topic"], 0) + value
    sources = {t.name for t in SOURCE_TOPICS}  # the audit topic is published, not consumed
    return all(consumed.get(topic, 0) >= count for topic, count in published.items() if topic in sources)


def stable_snapshot(up: PlatformProcess, timeout_s: float = 60) -> tuple[Snapshot, float]:
    """Two equal consecutive reads once the platform has settled (or the last read at the
    deadline: the test's comparison then shows what still moved)."""
    last: list[Snapshot] = []

    def read() -> Snapshot:
        last.append(Snapshot.read(up) if settled(up) else Snapshot([], [], {}))
        return last[-1]
    return poll(read, lambda s: len(last) > 1 and s.platforms and s == last[-2], timeout_s)


# -- the platform ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("yinling-up")


@dataclass
class FirstUp:
    up: PlatformProcess
    at_ready: str   # the output when the ready line (with the URLs) had come
    loaded: str     # the output once the demo load had finished


@pytest.fixture(scope="module")
def first(data_dir: Path) -> Iterator[FirstUp]:
    up = PlatformProcess(data_dir, extra_args=["--demo-scale", "small"]).start()
    at_ready = up.text()
    print(f"\n`yinling up --demo-scale small` ready after {up.up_seconds:.1f} s")
    try:
        loaded = up.wait_for(DEMO_LOADED, timeout_s=240)
        print(f"demo data loaded after {time.monotonic() - up.started_at:.1f} s")
        yield FirstUp(up, at_ready, loaded)
    finally:
        if up.running():
            up.stop()


@pytest.fixture(scope="module")
def first_up(first: FirstUp) -> PlatformProcess:
    """The first platform with its small demo data set loaded."""
    return first.up


@dataclass
class Accredited:
    platform: ppb.Platform
    grpc_seconds: float
    feed_seconds: float
    seen: dict[str, tuple[str, str, int]]   # territory -> (gRPC value, feed value, registry count)


@pytest.fixture(scope="module")
def accredited(first_up: PlatformProcess) -> Accredited:
    """A steward registers and accredits a provincial laboratory; we watch it arrive."""
    with grpc.insecure_channel(first_up.address("platforms.grpc")) as channel:
        stub = PlatformRegistryStub(channel)
        created = stub.Register(ppb.RegisterPlatformRequest(
            name=f"江门市端到端测试重点实验室 {uuid.uuid4().hex[:6]}", kind="key_laboratory",
            host_organisation="五邑大学", district=DISTRICT, registered_on="2023-02-01",
            request_id=str(uuid.uuid4())), metadata=STEWARD, timeout=10)
        platform = stub.Accredit(ppb.AccreditPlatformRequest(
            platform_id=created.id, level=ppb.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2023-06-01",
            reason="广东省科技厅认定", request_id=str(uuid.uuid4())), metadata=STEWARD, timeout=10)
    records = platforms(first_up)
    want = {t: str(expected_count(records, t)) for t in (DISTRICT, CITY)}
    _, grpc_s = poll(lambda: {t: grpc_value(first_up, t) for t in want}, lambda v: v == want, 45)
    _, feed_s = poll(lambda: {t: feed_value(first_up, t) for t in want}, lambda v: v == want, 20)
    print(f"accredited -> provincial_platforms: gRPC after {grpc_s:.2f} s, feed after {feed_s:.2f} s")
    seen = {t: (grpc_value(first_up, t), feed_value(first_up, t), int(want[t])) for t in want}
    return Accredited(platform, grpc_s, feed_s, seen)


@dataclass
class Restart:
    before: Snapshot
    after: Snapshot
    first_exit: int
    first_leftovers: list[tuple[int, str]]
    first_taken_ports: dict[str, int]
    second: PlatformProcess


@pytest.fixture(scope="module")
def restarted(first_up: PlatformProcess, accredited: Accredited, data_dir: Path) -> Iterator[Restart]:
    before, waited = stable_snapshot(first_up)
    print(f"before the restart: settled after {waited:.1f} s")
    code = first_up.stop(signal.SIGINT)
    leftovers, taken = first_up.leftovers(), first_up.taken_ports()
    second = PlatformProcess(data_dir, extra_args=["--no-demo"]).start()
    try:
        after, waited = stable_snapshot(second)
        print(f"restarted in {second.up_seconds:.1f} s; settled after {waited:.1f} s")
        yield Restart(before, after, code, leftovers, taken, second)
    finally:
        if second.running():
            second.stop()


# -- the tests ---------------------------------------------------------------------------
def test_the_urls_come_first_and_the_demo_data_then_loads_completely(first: FirstUp) -> None:
    assert READY_LINE in first.at_ready and "open-data feed     http://" in first.at_ready
    assert DEMO_LOADED not in first.at_ready, "the URLs must not wait for the demo load"
    text = first.loaded
    assert text.index(READY_LINE) < text.index("demo: loading") < text.index(DEMO_LOADED)
    counts = re.search(r"demo data loaded: (\d+)/(\d+) commands", text)
    assert counts is not None and int(counts[1]) == int(counts[2]) > 0
    assert "failed" not in text.split(DEMO_LOADED, 1)[1].splitlines()[0]
    page = first.up.get("opendata.http", "/?territory=440700", accept="text/html").decode()
    assert '<table class="indicators">' in page and "Demo data is loading" not in page


def test_an_accredited_provincial_platform_counts_in_the_indicator_api_and_the_feed(
        accredited: Accredited) -> None:
    assert accredited.platform.status == ppb.PLATFORM_STATUS_ACCREDITED
    for territory, (by_grpc, by_feed, registry) in accredited.seen.items():
        assert (territory, by_grpc) == (territory, str(registry))
        assert (territory, by_feed) == (territory, str(registry))
    assert accredited.seen[DISTRICT][2] >= 1
    assert accredited.seen[CITY][2] >= accredited.seen[DISTRICT][2]


def test_a_restart_on_the_same_data_keeps_records_values_and_feed(restarted: Restart,
                                                                  accredited: Accredited) -> None:
    assert restarted.before.platforms, "no platform records were read before the restart"
    assert accredited.platform.id in {p.id for p in restarted.before.platforms}
    assert restarted.after.platforms == restarted.before.platforms
    assert restarted.after.indicators == restarted.before.indicators
    assert restarted.after.feed == restarted.before.feed


def test_a_platform_accredited_after_the_restart_counts_once_more(restarted: Restart) -> None:
    up = restarted.second
    before = {t: int(grpc_value(up, t)) for t in (DISTRICT, CITY)}
    with grpc.insecure_channel(up.address("platforms.grpc")) as channel:
        stub = PlatformRegistryStub(channel)
        created = stub.Register(ppb.RegisterPlatformRequest(
            name=f"江门市重启后技术创新中心 {uuid.uuid4().hex[:6]}", kind="technology_innovation_centre",
            host_organisation="江门某科技有限公司", district=DISTRICT, registered_on="2023-03-01"),
            metadata=STEWARD, timeout=10)
        stub.Accredit(ppb.AccreditPlatformRequest(
            platform_id=created.id, level=ppb.PLATFORM_LEVEL_NATIONAL, accredited_on="2024-01-15",
            reason="科技部认定"), metadata=STEWARD, timeout=10)
    want = {t: str(n + 1) for t, n in before.items()}
    seen, waited = poll(lambda: {t: grpc_value(up, t) for t in want}, lambda v: v == want, 30)
    print(f"after the restart: accredited -> gRPC value after {waited:.2f} s")
    assert seen == want
    records = platforms(up)
    assert {t: str(expected_count(records, t)) for t in want} == want


def test_a_service_that_dies_is_started_again_with_its_records(restarted: Restart) -> None:
    up = restarted.second
    before = platforms(up)
    [victim] = [pid for pid, command in up.leftovers() if command.endswith("yinling serve platforms")]
    os.kill(victim, signal.SIGKILL)

    def answers() -> list[ppb.Platform] | None:
        try:
            return platforms(up)
        except grpc.RpcError:
            return None
    seen, waited = poll(answers, lambda records: records is not None, 60)
    print(f"platforms service killed; answering again after {waited:.1f} s")
    assert seen == before
    assert victim not in {pid for pid, _ in up.leftovers()}


def test_ctrl_c_stops_every_process_it_started_and_frees_every_port(restarted: Restart) -> None:
    second = restarted.second
    running = " | ".join(command for _, command in second.leftovers())
    for part in ("broker --listener-url", "yinling up", "yinling worker", "yinling opendata",
                 *(f"yinling serve {s}" for s in (*SOURCE_SERVICES, "indicators"))):
        assert part in running, "the check must see every process of the running platform"
    code = second.stop(signal.SIGINT)
    assert "stopped." in second.text()
    assert (code, second.leftovers(), second.taken_ports()) == (0, [], {})
    assert (restarted.first_exit, restarted.first_leftovers, restarted.first_taken_ports) == (0, [], {})


def test_ctrl_c_during_the_demo_load_stops_the_load_and_every_process(tmp_path: Path) -> None:
    up = PlatformProcess(tmp_path / "interrupted", extra_args=["--demo-scale", "full"]).start()
    try:
        up.wait_for("demo: loading", timeout_s=60)
        _, waited = poll(lambda: current_load(up.data_dir), lambda load: load is not None
                         and load.sent > 0, 60)
        print(f"the page says the demo is loading {waited:.1f} s after the load began")
        assert "Demo data is loading" in up.get("opendata.http", "/", accept="text/html").decode()
    finally:
        code = up.stop(signal.SIGINT)
    text = up.text()
    assert code == 0 and "stopped." in text
    assert "demo: stopped after" in text and DEMO_LOADED not in text
    assert (up.leftovers(), up.taken_ports()) == ([], {})
    status = json.loads((up.data_dir / STATUS_FILE).read_text())
    assert status["state"] == "stopped" and 0 < status["sent"] < status["total"]
