"""Benchmarks of the open-data feed: an indicator query at a steady 500 requests/s (open
loop: requests leave on schedule whether or not earlier ones have answered, so a slow server
shows as latency, not as a lower rate), and a 100,000-row CSV export. Baselines from the same
run: the IndicatorService's own gRPC Get at the same rate (what the feed adds is the
difference), and the csv module writing the same rows in memory (the ceiling of an export)."""
from __future__ import annotations

import csv
import io
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import httpx

from tools.bench_harness import benchmark
from yinling.broker import EmbeddedBroker, free_port

PLAN = Path(__file__).parents[1] / "plans" / "jiangmen-2022-2024.yaml"
RATE, SECONDS = 500, 20
EXPORT_ROWS = 100_000


def _pct(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.1f} ms, p99 {pick(0.99):.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def _open_loop(call: Callable[[], object], rate: int, seconds: int) -> tuple[list[float], int, float]:
    """Latencies measured from each request's scheduled start; failures counted."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def one(scheduled: float) -> None:
        nonlocal failures
        try:
            call()
            elapsed = time.perf_counter() - scheduled
            with lock:
                latencies.append(elapsed)
        except Exception:  # noqa: BLE001 - counted, not raised: a benchmark reports
            with lock:
                failures += 1
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for n in range(rate * seconds):
            scheduled = started + n / rate
            delay = scheduled - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, scheduled)
    return latencies, failures, time.perf_counter() - started


@benchmark("feed: an indicator query at 500 requests/s for 20 s, and a 100,000-row CSV export")
def bench_feed(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    import uvicorn

    from services.indicators.main import start
    from services.indicators.runtime import open_runtime
    from services.indicators.samples import envelope
    from services.indicators.synthetic import histories
    from services.opendata.app import create_app
    from yinling.config import Settings
    from yinling.grpc_server import GrpcServer, ServiceBinding
    from yinling.paging import next_token, page_bounds
    from yinling.v1 import indicators_pb2 as ipb
    from yinling.v1 import platforms_pb2 as ppb
    from yinling.v1 import platforms_pb2_grpc
    from yinling.v1.indicators_pb2_grpc import IndicatorServiceStub

    lines = []
    url = f"sqlite:///{tmp / 'indicators-feed-bench.db'}"
    settings = Settings(bootstrap_servers=broker.bootstrap, data_dir=tmp, plan_path=PLAN)
    runtime = open_runtime(settings, url)
    rng = random.Random(7)
    batch: list = []  # type: ignore[type-arg]
    for history in histories(rng, enterprises=2000, people=500, money=1000, platforms=300):
        batch.extend(envelope(s) for s in history)
        if len(batch) >= 2000:
            runtime.engine.apply_batch(batch)
            batch = []
    runtime.engine.apply_batch(batch)
    runtime.close()
    server, stop_api = start(settings, url, port=0)
    feed_port = free_port()
    feed_settings = settings.with_overrides(ports={**settings.ports, "indicators.grpc": server.port},
                                            opendata_rate_limit="")
    feed = uvicorn.Server(uvicorn.Config(create_app(feed_settings), host="127.0.0.1", port=feed_port,
                                         log_level="warning"))
    threading.Thread(target=feed.run, daemon=True).start()
    while not feed.started:
        time.sleep(0.05)
    query = f"http://127.0.0.1:{feed_port}/api/v1/indicators/high_tech_enterprises"
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    api = IndicatorServiceStub(channel)
    request = ipb.GetIndicatorRequest(indicator_id="high_tech_enterprises", territory="440703")
    try:
        with httpx.Client(limits=httpx.Limits(max_connections=64), timeout=10) as client:
            for _ in range(50):   # warm-up: connections, caches
                client.get(query, params={"territory": "440703"})
            got, failed, took = _open_loop(lambda: client.get(query, params={"territory": "440703"})
                                           .raise_for_status(), RATE, SECONDS)
            lines.append(f"feed GET {query.rsplit('/', 1)[-1]}: {len(got) / took:.0f} answered/s, "
                         f"{_pct(got)}, {failed} failed")
        base, failed, took = _open_loop(lambda: api.Get(request, timeout=10), RATE, SECONDS)
        lines.append(f"baseline IndicatorService.Get over gRPC: {len(base) / took:.0f} answered/s, "
                     f"{_pct(base)}, {failed} failed")
    finally:
        channel.close()
        feed.should_exit = True

    rows_out = [ppb.Platform(id=f"plt-{n:06d}", name=f"江门基准工程技术研究中心{n}",
                             kind="engineering_technology_research_centre",
                             level=ppb.PLATFORM_LEVEL_PROVINCIAL, status=ppb.PLATFORM_STATUS_ACCREDITED,
                             district="440703", host_organisation=f"江门基准企业{n % 500}有限公司",
                             industry_cluster="new materials") for n in range(EXPORT_ROWS)]

    class ManyPlatforms(platforms_pb2_grpc.PlatformRegistryServicer):
        def List(self, request, context):  # type: ignore[no-untyped-def]  # noqa: N802
            offset, limit = page_bounds(request.page.page_size, request.page.page_token)
            return ppb.ListPlatformsResponse(platforms=rows_out[offset:offset + limit], total=len(rows_out),
                                             next_page_token=next_token(offset, limit, len(rows_out)))

    backends = GrpcServer("bench-feed-backends", [ServiceBinding(
        "yinling.v1.PlatformRegistry", platforms_pb2_grpc.add_PlatformRegistryServicer_to_server,
        ManyPlatforms())], "127.0.0.1:0", max_workers=4).start()
    port = free_port()
    export_settings = settings.with_overrides(ports={**settings.ports, "platforms.grpc": backends.port,
                                                     "indicators.grpc": server.port},
                                              opendata_rate_limit="")
    export = uvicorn.Server(uvicorn.Config(create_app(export_settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    threading.Thread(target=export.run, daemon=True).start()
    while not export.started:
        time.sleep(0.05)
    try:
        with httpx.Client(timeout=120) as client:
            times = []
            for _ in range(3):
                started = time.perf_counter()
                body = client.get(f"http://127.0.0.1:{port}/api/v1/platforms.csv").raise_for_status().content
                times.append(time.perf_counter() - started)
    finally:
        export.should_exit = True
        backends.stop(0)
        stop_api()
    rows = body.count(b"\n") - 1
    started = time.perf_counter()
    out = io.StringIO()
    writer = csv.writer(out)
    for p in rows_out:
        writer.writerow([p.id, p.name, p.kind, "provincial", p.district, p.host_organisation,
                         p.industry_cluster, "", "accredited"])
    ceiling = time.perf_counter() - started
    lines.append(f"feed platforms.csv, {rows:,} rows, {len(body) / 1e6:.1f} MB: best {min(times):.2f} s "
                 f"of 3 ({', '.join(f'{t:.2f}' for t in times)})")
    lines.append(f"baseline: csv module writing the same rows in memory: {ceiling:.2f} s")
    return lines
