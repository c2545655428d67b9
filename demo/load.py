"""`yinling demo`: the deterministic demo data set, loaded through the public gRPC APIs.

Same seed, same commands, same request ids: running it again (a restart of `make up`)
changes nothing, because every service answers a repeated request id with its first answer.

Each service gets its own pool of senders, so the services (separate processes) work side
by side; within a service, chains run concurrently and each chain's commands in order. No
domain waits for another: talent and finance name enterprises by credit code only.
A progress bar (tqdm) shows commands answered and an estimate of the time left; the status
file lets the open-data page say that demo data is loading.
"""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from tqdm import tqdm

from demo.batch_send import BATCHED, BatchSender
from demo.model import Chain
from demo.send import Outcome, Sender
from demo.status import StatusFile
from yinling.config import Settings

Domain = tuple[str, Callable[[str], list[Chain]]]


def domains(scale: str) -> list[Domain]:
    from demo import enterprises, finance, platforms, regional_statistics, talent

    chosen: list[Domain] = [("platforms", platforms.generate)]
    if scale == "full":
        chosen += [("enterprises", enterprises.generate),
                   ("regional statistics", regional_statistics.generate),
                   ("talent", talent.generate), ("finance", finance.generate)]
    return chosen


def by_service(chains: list[Chain]) -> dict[str, list[Chain]]:
    """Chains grouped by the service that answers them, longest chains first so that the
    last ones to start are short (a chain never spans two services)."""
    groups: dict[str, list[Chain]] = {}
    for chain in chains:
        groups.setdefault(chain.commands[0].service, []).append(chain)
    return {service: sorted(group, key=lambda c: -len(c.commands))
            for service, group in groups.items()}


@dataclass
class Progress:
    """Commands answered, shown on the bar and in the status file; called from every sender."""

    bar: tqdm
    status: StatusFile
    sent: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def answered(self) -> None:
        with self._lock:
            self.sent += 1
            self.bar.update(1)
            self.status.progress(self.sent)


def main(settings: Settings, scale: str = "full", stop: threading.Event | None = None,
         out: TextIO | None = None) -> int:
    """Load the data set; returns the number of subjects whose commands failed. Setting
    `stop` ends the load between two commands of each chain."""
    if scale not in ("small", "full"):
        raise ValueError(f"scale must be 'small' or 'full', not {scale!r}")
    out = out or sys.stdout
    stop = stop or threading.Event()
    chains = [chain for _, generate in domains(scale) for chain in generate(scale)]
    groups = by_service(chains)
    total = sum(len(c.commands) for c in chains)
    print(f"demo: loading {total} commands for {len(chains)} subjects ({scale}) through "
          f"{', '.join(groups)} ...", flush=True, file=out)
    sender = Sender(settings, stop=stop)
    status = StatusFile(settings.data_dir, total)
    tty = out.isatty()
    bar = tqdm(total=total, desc="demo data", unit="cmd", file=out, dynamic_ncols=tty,
               mininterval=0.5 if tty else 5.0, ascii=not tty)
    progress = Progress(bar, status)
    outcomes: dict[str, Outcome] = {}
    started = time.perf_counter()
    status.progress(0)
    try:
        def send(service: str, group: list[Chain]) -> None:
            if service in BATCHED:
                done = BatchSender(sender, service).send(group, progress.answered)
            else:
                done = sender.send(group, progress.answered)
            outcomes[service] = done
            bar.write(f"demo: {service}: {done.sent} commands in {done.seconds:.1f} s", file=out)
        threads = [threading.Thread(target=send, args=item, name=f"demo-{item[0]}", daemon=True)
                   for item in groups.items()]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C in `yinling demo`: the senders stop between two commands
        stop.set()
        raise
    finally:
        bar.close()
        status.finish(progress.sent, interrupted=stop.is_set())
        sender.close()
    failed = sum(o.failed for o in outcomes.values())
    seconds = time.perf_counter() - started
    if stop.is_set():
        print(f"demo: stopped after {progress.sent}/{total} commands", flush=True, file=out)
    else:
        print(f"demo data loaded: {progress.sent}/{total} commands in {seconds:.1f} s "
              f"({progress.sent / max(seconds, 1e-9):.0f}/s)"
              f"{f', {failed} subjects failed (see log)' if failed else ''}", flush=True, file=out)
    return failed
