"""End to end: a platform accredited over gRPC until the indicators API serves the new count.

The platforms service and the indicators API run in this process; the worker is a real
`yinling worker` process on the same broker, as deployed.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import grpc

from tools.bench_services import benchmark, percentiles, register_and_accredit, start_platforms
from yinling.broker import EmbeddedBroker, free_port

REPO = Path(__file__).resolve().parents[1]
PLAN = REPO / "plans" / "jiangmen-2022-2024.yaml"
DISTRICT = "440783"   # Kaiping: no other benchmark accredits platforms there
SAMPLES = 20
POLL_S = 0.02


def start_worker(bootstrap: str, database_url: str, tmp: Path) -> subprocess.Popen:
    env = dict(os.environ, YINLING_BOOTSTRAP_SERVERS=bootstrap, YINLING_DATABASE_URL=database_url,
               YINLING_DATA_DIR=str(tmp), YINLING_PLAN=str(PLAN), YINLING_LOG_LEVEL="warning",
               YINLING_INDICATORS_GROUP=f"bench-indicators-{uuid.uuid4().hex[:8]}",
               YINLING_PORT_INDICATORS_WORKER_METRICS=str(free_port()),
               YINLING_PORT_INDICATORS_WORKER_WEB=str(free_port()))
    return subprocess.Popen([sys.executable, "-m", "yinling", "worker"], cwd=REPO, env=env,
                            stdout=open(tmp / "bench-worker.log", "ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def peak_rss_of(pid: int) -> str:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return "unknown (process gone)"
    line = next((x for x in status.splitlines() if x.startswith("VmHWM:")), "")
    return f"{int(line.split()[1]) / 1024:,.0f} MiB" if line else "unknown"


def wait_for(check: Callable[[], bool], timeout_s: float, worker: subprocess.Popen) -> float:
    """Poll every POLL_S until check() holds; seconds waited. Bounded, and gives up if the worker died."""
    started = time.perf_counter()
    while not check():
        if worker.poll() is not None:
            raise RuntimeError(f"the worker exited with {worker.returncode}")
        if time.perf_counter() - started > timeout_s:
            raise TimeoutError(f"not seen within {timeout_s} s")
        time.sleep(POLL_S)
    return time.perf_counter() - started


@benchmark("end to end: Accredit returns -> IndicatorService.Get shows the new provincial count")
def bench_end_to_end(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    from services.indicators.main import start
    from yinling.config import Settings
    from yinling.v1 import indicators_pb2 as ipb
    from yinling.v1.indicators_pb2_grpc import IndicatorServiceStub
    from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

    indicators_url = f"sqlite:///{tmp / 'indicators-e2e.db'}"
    platforms = start_platforms(broker, tmp, "platforms-e2e.db")
    worker = start_worker(broker.bootstrap, indicators_url, tmp)
    server, stop_api = start(Settings(bootstrap_servers=broker.bootstrap, data_dir=tmp, plan_path=PLAN),
                             indicators_url, port=0)
    registry_channel = grpc.insecure_channel(f"127.0.0.1:{platforms.server.port}")
    api_channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    registry, api = PlatformRegistryStub(registry_channel), IndicatorServiceStub(api_channel)
    request = ipb.GetIndicatorRequest(indicator_id="provincial_platforms", territory=DISTRICT)

    def shows(count: int) -> Callable[[], bool]:
        def check() -> bool:
            try:
                return api.Get(request).value == str(count)
            except grpc.RpcError:   # no value yet: the worker has not computed this territory
                return False
        return check
    try:
        # The worker's fresh group reads the platform topic from the start (earlier benchmarks'
        # events too); the first platform shows once it has caught up.
        started = time.perf_counter()
        register_and_accredit(registry, 0, DISTRICT, prefix="E2E")
        wait_for(shows(1), 600, worker)
        ready = time.perf_counter() - started
        samples = []
        for i in range(1, SAMPLES + 1):
            register_and_accredit(registry, i, DISTRICT, prefix="E2E")
            samples.append(wait_for(shows(i + 1), 60, worker))
        worker_rss = peak_rss_of(worker.pid)
    finally:
        api_channel.close()
        registry_channel.close()
        stop_api()
        stop_worker(worker)
        platforms.stop()
    within_2s = sum(s <= 2.0 for s in samples)
    return [f"worker start + catch-up with the topic's earlier events: {ready:.1f} s",
            f"{SAMPLES} accreditations, Get polled every {POLL_S * 1000:.0f} ms: {percentiles(samples)}",
            f"shown within 2 s: {within_2s} of {SAMPLES}",
            f"peak RSS (VmHWM) of the worker process: {worker_rss}"]
