"""`yinling demo`: the deterministic demo data set, loaded through the public gRPC APIs.

Same seed, same commands, same request ids: running it again (a restart of `make up`)
changes nothing, because every service answers a repeated request id with its first answer.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from yinling.config import Settings
from yinling.demo_model import Chain
from yinling.demo_send import Sender

Domain = tuple[str, Callable[[str], list[Chain]]]


def domains(scale: str) -> list[Domain]:
    from yinling import demo_enterprises, demo_finance, demo_platforms, demo_statistics, demo_talent

    chosen: list[Domain] = [("platforms", demo_platforms.generate)]
    if scale == "full":
        # Enterprises first: talent and finance records name enterprises by credit code.
        chosen += [("enterprises", demo_enterprises.generate),
                   ("regional statistics", demo_statistics.generate),
                   ("talent", demo_talent.generate), ("finance", demo_finance.generate)]
    return chosen


def main(settings: Settings, scale: str = "full") -> int:
    """Load the data set; returns the number of subjects whose commands failed."""
    if scale not in ("small", "full"):
        raise ValueError(f"scale must be 'small' or 'full', not {scale!r}")
    sender = Sender(settings)
    started, failures = time.perf_counter(), 0
    try:
        for name, generate in domains(scale):
            chains = generate(scale)
            total = sum(len(c.commands) for c in chains)
            print(f"demo: {name}: sending {total} commands for {len(chains)} subjects ...", flush=True)
            outcome = sender.send(chains)
            failures += outcome.failed
            print(f"demo: {name}: {outcome.sent}/{total} commands in {outcome.seconds:.1f} s"
                  f"{f', {outcome.failed} subjects failed (see log)' if outcome.failed else ''}",
                  flush=True)
    finally:
        sender.close()
    print(f"demo: done in {time.perf_counter() - started:.1f} s ({scale})", flush=True)
    return failures
