"""A plain Faust agent that updates one table entry per event: the baseline the indicators
worker is measured against. `python -m tools.bench_faust_baseline BOOTSTRAP TOPIC OUT_FILE`
writes the number of events processed so far to OUT_FILE every half second."""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import faust


def main(bootstrap: str, topic_name: str, out: str) -> None:
    app = faust.App(f"bench-faust-{Path(out).stem}", broker=f"kafka://{bootstrap}", store="memory://",
                    datadir=tempfile.mkdtemp(), web_enabled=False, consumer_auto_offset_reset="earliest",
                    broker_session_timeout=6, broker_heartbeat_interval=1, topic_partitions=4)
    topic = app.topic(topic_name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw")
    counts = app.Table("bench-counts", default=int, partitions=4, key_type=bytes, value_type=int)
    processed = [0]

    @app.agent(topic)
    async def count(stream):  # type: ignore[no-untyped-def]
        async for key, _value in stream.items():
            counts[key] += 1
            processed[0] += 1

    @app.timer(0.5)
    async def report() -> None:
        Path(out).write_text(str(processed[0]))

    worker = faust.Worker(app, loglevel="warning", redirect_stdouts=False, override_logging=False)
    worker.execute_from_commandline()


if __name__ == "__main__":
    main(*sys.argv[1:4])
