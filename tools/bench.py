"""`make bench`: throughput and latency figures of the platform's hot paths, printed.

Each benchmark starts what it needs (an embedded broker, SQLite databases in a temporary
folder, real gRPC servers and worker processes on free ports) and prints its figures;
nothing is asserted. `python -m tools.bench [substring ...]` runs the matching ones.
"""
from __future__ import annotations

import logging
import sys

from tools import (  # noqa: F401 - register
    bench_demo,
    bench_engine_scale,
    bench_feed,
    bench_freshness,
    bench_indicators,
    bench_ingest,
    bench_pipeline,
    bench_relay,
    bench_services,
    bench_worker_throughput,
)
from tools.bench_harness import run

if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)  # refused connections while the broker starts
    run(set(sys.argv[1:]))
