"""Benchmark of the platform registry's commands over real gRPC."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc

from tools.bench_harness import benchmark, percentiles
from yinling.broker import EmbeddedBroker, free_port

N_PLATFORMS = 500
THREADS = 8


def start_platforms(broker: EmbeddedBroker, tmp: Path, name: str):  # type: ignore[no-untyped-def]
    from services.platforms.main import MODELS, bindings
    from yinling.config import Settings
    from yinling.service import start_service

    return start_service("platforms", Settings(bootstrap_servers=broker.bootstrap), MODELS, bindings,
                         grpc_port=free_port(), database_url=f"sqlite:///{tmp / name}")


def register_and_accredit(stub, i: int, district: str = "440704",  # type: ignore[no-untyped-def]
                          prefix: str = "Bench") -> tuple[float, float, str]:
    """One platform registered then accredited provincial; the two command latencies and its id."""
    from yinling.auth import bearer
    from yinling.v1 import platforms_pb2 as pb

    steward = bearer("dev-steward")
    started = time.perf_counter()
    p = stub.Register(pb.RegisterPlatformRequest(
        name=f"{prefix} engineering centre {i:05d}", kind="engineering_technology_research_centre",
        host_organisation=f"江门基准企业{i % 50}有限公司", district=district,
        industry_cluster="new materials", registered_on="2022-01-10"), metadata=steward)
    registered = time.perf_counter()
    stub.Accredit(pb.AccreditPlatformRequest(platform_id=p.id, level=pb.PLATFORM_LEVEL_PROVINCIAL,
                                             accredited_on="2022-06-01"), metadata=steward)
    return registered - started, time.perf_counter() - registered, p.id


@benchmark("platform registry: Register + Accredit over real gRPC (SQLite, outbox relay running)")
def bench_registry(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

    runtime = start_platforms(broker, tmp, "platforms-registry.db")
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    stub = PlatformRegistryStub(channel)
    try:
        register_and_accredit(stub, -1, prefix="Warm-up")  # channel connect, first-statement costs
        regs, accs = [], []
        started = time.perf_counter()
        for i in range(N_PLATFORMS):
            reg, acc, _ = register_and_accredit(stub, i)
            regs.append(reg)
            accs.append(acc)
        sequential = time.perf_counter() - started
        started = time.perf_counter()
        with ThreadPoolExecutor(THREADS) as pool:
            list(pool.map(lambda i: register_and_accredit(stub, i, prefix="Parallel"), range(N_PLATFORMS)))
        parallel = time.perf_counter() - started
    finally:
        channel.close()
        runtime.stop()
    commands = 2 * N_PLATFORMS
    return [f"sequential, {N_PLATFORMS} platforms: Register {percentiles(regs)}",
            f"sequential, {N_PLATFORMS} platforms: Accredit {percentiles(accs)}",
            f"sequential: {commands / sequential:,.0f} commands/s ({sequential:.1f} s for {commands})",
            f"{THREADS} client threads, {N_PLATFORMS} more platforms: {commands / parallel:,.0f} commands/s "
            f"({parallel:.1f} s for {commands})"]

