"""Whether a data load is under way, for the page to say so: a loader (the demo data set of
`yinling up`) keeps a small JSON status file in the data directory while it runs.

The file names the loader's process; a file left behind by a loader that is gone (killed)
does not count, so the page never claims a load that nobody is doing.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

STATUS_FILE = "demo-status.json"
LOADING = "loading"


@dataclass(frozen=True)
class Loading:
    sent: int   # commands answered so far
    total: int  # commands in the whole load


def current_load(data_dir: Path) -> Loading | None:
    """The load under way, or None (no file, a finished load, a loader no longer running)."""
    try:
        status = json.loads((data_dir / STATUS_FILE).read_text("utf-8"))
        if status.get("state") != LOADING or not _alive(int(status["pid"])):
            return None
        return Loading(int(status["sent"]), int(status["total"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _alive(pid: int) -> bool:
    if pid <= 0:  # kill(0) and kill(-n) would address process groups
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process, but alive
        return True
    return True
