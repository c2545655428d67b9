"""`yinling rebuild`: every indicator built again from the facts the engine holds.

tqdm draws the progress bar: it is the common, well-kept choice, and needs nothing else.
The rebuild is one transaction, so the feed and the API keep serving the previous values
until the new ones are complete; workers wait for it before they recompute more units.
"""
from __future__ import annotations

import click
from tqdm import tqdm

from services.indicators.runtime import open_runtime
from yinling.config import Settings


def main(settings: Settings) -> None:
    runtime = open_runtime(settings)
    try:
        total = runtime.engine.facts_to_read()
        with tqdm(total=total, unit="fact", unit_scale=True, desc="rebuilding indicators") as bar:
            changed = runtime.engine.rebuild(progress=bar.update)
        click.echo(f"rebuilt every indicator of {', '.join(p.id for p in runtime.plans)} from "
                   f"{total:,} facts; {changed:,} values changed")
    finally:
        runtime.close()
