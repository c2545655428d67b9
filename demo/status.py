"""The demo load's status file in the data directory, which the open-data page reads to say
that demo data is loading (services.opendata.loading owns the file's name and meaning)."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from services.opendata.loading import LOADING, STATUS_FILE

LOADED, STOPPED = "loaded", "stopped"


class StatusFile:
    """Written whole to a temporary file and renamed, so a reader never sees half of it;
    progress at most every `every_s` seconds (the final state always)."""

    def __init__(self, data_dir: Path, total: int, every_s: float = 1.0) -> None:
        self.path = data_dir / STATUS_FILE
        self.total = total
        self.every_s = every_s
        self._last = float("-inf")

    def progress(self, sent: int) -> None:
        if time.monotonic() - self._last >= self.every_s:
            self._write(LOADING, sent)

    def finish(self, sent: int, interrupted: bool) -> None:
        self._write(STOPPED if interrupted else LOADED, sent)

    def _write(self, state: str, sent: int) -> None:
        self._last = time.monotonic()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"state": state, "sent": sent, "total": self.total, "pid": os.getpid()})
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        partial.write_text(text, "utf-8")
        os.replace(partial, self.path)
