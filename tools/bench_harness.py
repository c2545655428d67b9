"""The benchmark harness: benchmarks register with @benchmark and print their figures.

Each benchmark gets the shared embedded broker and a temporary folder, starts whatever
else it needs, and returns lines of figures; nothing is asserted.
"""
from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from yinling.broker import EmbeddedBroker, ensure_topics, free_port

BENCHMARKS: list[tuple[str, Callable[[EmbeddedBroker, Path], list[str]]]] = []


def benchmark(name: str):  # type: ignore[no-untyped-def]
    def register(fn):  # type: ignore[no-untyped-def]
        BENCHMARKS.append((name, fn))
        return fn
    return register


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return f"p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def run(only: set[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        broker = EmbeddedBroker(port=free_port()).start()
        ensure_topics(broker.bootstrap)
        try:
            for name, fn in BENCHMARKS:
                if only and not any(o in name for o in only):
                    continue
                print(f"\n== {name}", flush=True)
                for line in fn(broker, Path(folder)):
                    print(f"   {line}", flush=True)
        finally:
            broker.stop()
