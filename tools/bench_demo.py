"""Benchmark of the demo load's two ways into the enterprise registry: one command per call
(a pool of eight callers, as the demo sent before) and ApplyCommands batches."""
from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from tools.bench_harness import benchmark
from yinling.broker import EmbeddedBroker, free_port

N_FIRMS = 1000


def _load(broker: EmbeddedBroker, tmp: Path, name: str, batched: bool) -> str:
    from demo import enterprises
    from demo.batch_send import BatchSender
    from demo.send import Sender
    from services.enterprises.main import bindings
    from services.enterprises.store import MODELS
    from yinling.config import Settings
    from yinling.service import start_service

    base = Settings(bootstrap_servers=broker.bootstrap)
    runtime = start_service("enterprises", base, MODELS, bindings, grpc_port=free_port(),
                            database_url=f"sqlite:///{tmp / name}")
    settings = replace(base, ports={**base.ports, "enterprises.grpc": runtime.server.port})
    chains = enterprises.generate()[:N_FIRMS]
    sender = Sender(settings)
    try:
        cpu, started = time.process_time(), time.perf_counter()
        outcome = (BatchSender(sender, "enterprises").send(chains, lambda: None) if batched
                   else sender.send(chains))
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        sender.close()
        runtime.stop()
    how = "ApplyCommands batches" if batched else "one command per call"
    return (f"{how}: {outcome.sent} commands in {seconds:.1f} s ({outcome.sent / seconds:.0f}/s), "
            f"CPU of service and sender {cpu:.1f} s, {outcome.failed} failed")


@benchmark(f"demo enterprises ({N_FIRMS} firms) into the enterprise registry (SQLite, relay running)")
def bench_demo_load(broker: EmbeddedBroker, tmp: Path) -> list[str]:
    return [_load(broker, tmp, "single.db", batched=False), _load(broker, tmp, "batched.db", batched=True)]
