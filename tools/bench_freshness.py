"""Freshness: an accreditation accepted over gRPC until its new count is visible over gRPC
(IndicatorService.Get) and on the open-data feed (HTTP), with writes arriving at 100/s.

The platforms service, the indicators API and the feed run in this process (the feed on a
real uvicorn server); the worker is a real `yinling worker` process, as deployed.
"""
from __future__ import annotations

import json
import os
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from tools.bench_harness import benchmark
from tools.bench_pipeline import PLAN, start_worker, stop_worker, wait_for
from tools.bench_services import start_platforms
from yinling.broker import EmbeddedBroker, free_port

DISTRICT = "440785"   # Enping: no other benchmark accredits platforms there
WRITES, RATE = 1000, 100.0
POLL_S = 0.01


def _pct(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.0f} ms, p99 {pick(0.99):.0f} ms, max {ordered[-1] * 1000:.0f} ms"


class Watcher(threading.Thread):
    """Polls a reading of the count and remembers when each value was first seen."""

    def __init__(self, read) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.read, self.stop = read, threading.Event()
        self.first_seen: dict[int, float] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                value = self.read()
            except Exception:  # noqa: BLE001 - not served yet; keep polling
                value = None
            if value is not None and value not in self.first_seen:
                self.first_seen[value] = time.perf_counter()
            time.sleep(POLL_S)

    def latencies(self, accepted: list[float], base: int) -> list[float]:
        out = []
        for i, at in enumerate(accepted):
            seen = [t for v, t in self.first_seen.items() if v >= base + i + 1]
            if seen:
                out.append(max(0.0, min(seen) - at))
        return out


@benchmark("freshness at 100 writes/s: Accredit accepted -> new count in IndicatorService.Get and on the feed")
def bench_freshness(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    import uvicorn

    from services.indicators.main import start
    from services.opendata.app import create_app
    from yinling.auth import bearer
    from yinling.config import Settings
    from yinling.v1 import indicators_pb2 as ipb
    from yinling.v1 import platforms_pb2 as ppb
    from yinling.v1.indicators_pb2_grpc import IndicatorServiceStub
    from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

    url = f"sqlite:///{tmp / 'indicators-freshness.db'}"
    platforms = start_platforms(broker, tmp, "platforms-freshness.db")
    worker = start_worker(broker.bootstrap, url, tmp)
    settings = Settings(bootstrap_servers=broker.bootstrap, data_dir=tmp, plan_path=PLAN)
    server, stop_api = start(settings, url, port=0)
    os.environ["YINLING_ADDR_INDICATORS_GRPC"] = f"127.0.0.1:{server.port}"
    feed_port = free_port()
    feed = uvicorn.Server(uvicorn.Config(create_app(Settings.from_env().with_overrides(plan_path=PLAN)),
                                         host="127.0.0.1", port=feed_port, log_level="warning"))
    threading.Thread(target=feed.run, daemon=True).start()
    registry_channel = grpc.insecure_channel(f"127.0.0.1:{platforms.server.port}")
    api_channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    registry, api = PlatformRegistryStub(registry_channel), IndicatorServiceStub(api_channel)
    steward = bearer("dev-steward")
    request = ipb.GetIndicatorRequest(indicator_id="provincial_platforms", territory=DISTRICT)

    def over_grpc() -> int:
        return int(api.Get(request).value)

    def on_feed() -> int:
        with urllib.request.urlopen(f"http://127.0.0.1:{feed_port}/api/v1/indicators?territory={DISTRICT}",
                                    timeout=5) as answer:
            body = json.loads(answer.read())
        return int(next(r["value"] for r in body["indicators"] if r["indicator_id"] == "provincial_platforms"))

    def register(i: int) -> str:
        return str(registry.Register(ppb.RegisterPlatformRequest(
            name=f"Freshness centre {i:05d}", kind="engineering_technology_research_centre",
            host_organisation="江门基准企业有限公司", district=DISTRICT, industry_cluster="new materials",
            registered_on="2022-01-10"), metadata=steward).id)

    def accredit(pid: str) -> None:
        registry.Accredit(ppb.AccreditPlatformRequest(platform_id=pid, level=ppb.PLATFORM_LEVEL_PROVINCIAL,
                                                      accredited_on="2022-06-01"), metadata=steward)
    try:
        ids = [register(i) for i in range(WRITES + 1)]
        accredit(ids[0])   # the worker catches up with the topic, then the timed writes begin
        wait_for(lambda: _safe(over_grpc) == 1 and _safe(on_feed) == 1, 600, worker)
        watchers = [Watcher(over_grpc), Watcher(on_feed)]
        for w in watchers:
            w.start()
        accepted: list[float] = []
        started = time.perf_counter()

        def write(i: int, pid: str) -> None:
            delay = started + i / RATE - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            accredit(pid)
            accepted.append(time.perf_counter())
        # A few callers keep the pace of RATE whatever one call's latency; the n-th accepted
        # write is matched with the count reaching n.
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(write, range(WRITES), ids[1:]))
        accepted.sort()
        rate = WRITES / (time.perf_counter() - started)
        wait_for(lambda: _safe(over_grpc) == WRITES + 1 and _safe(on_feed) == WRITES + 1, 300, worker)
        time.sleep(0.2)
        for w in watchers:
            w.stop.set()
        grpc_lat, feed_lat = (w.latencies(accepted, 1) for w in watchers)
    finally:
        feed.should_exit = True
        api_channel.close()
        registry_channel.close()
        stop_api()
        stop_worker(worker)
        platforms.stop()
    return ["(run alone on the machine: wall-clock figures)",
            f"{WRITES:,} accreditations at {rate:,.0f}/s (target {RATE:.0f}/s), reads polled every "
            f"{POLL_S * 1000:.0f} ms",
            f"accepted -> visible in IndicatorService.Get: {_pct(grpc_lat)}",
            f"accepted -> visible on the feed (/api/v1/indicators): {_pct(feed_lat)}"]


def _safe(read) -> int | None:  # type: ignore[no-untyped-def]
    try:
        return int(read())
    except Exception:  # noqa: BLE001 - not served yet
        return None
