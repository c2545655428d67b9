"""`yinling demo`: the deterministic demo data set, loaded through the public gRPC APIs.

Same seed, same commands, same request ids: running it again (a restart of `make up`)
changes nothing, because every service answers a repeated request id with its first answer.
"""
from __future__ import annotations

import time
from collections.abc import Callable

from demo.model import Chain
from demo.send import Sender
from yinling.config import Settings

Domain = tuple[str, Callable[[str], list[Chain]]]


def domains(scale: str) -> list[Domain]:
    from demo import enterprises, finance, platforms, regional_statistics, talent

    chosen: list[Domain] = [("platforms", platforms.generate)]
    if scale == "full":
        # Enterprises first: talent and finance records name enterprises by credit code.
        chosen += [("enterprises", enterprises.generate),
                   ("regional statistics", regional_statistics.generate),
                   ("talent", talent.generate), ("finance", finance.generate)]
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
