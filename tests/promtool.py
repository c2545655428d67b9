"""promtool, Prometheus's own checker: `check metrics` lints a /metrics page (naming, units,
types, help text), `check rules`, `check config` and `test rules` check deploy/prometheus.
`make test` puts promtool beside the venv's python (the promtool target)."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def promtool() -> str:
    beside = Path(sys.executable).with_name("promtool")
    found = str(beside) if beside.exists() else shutil.which("promtool")
    assert found, "promtool is missing: `make test` installs it (make promtool)"
    return found


def check_metrics(text: str) -> str:
    """promtool's findings for a scrape; empty when it is clean."""
    done = subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=60)
    findings = (done.stdout + done.stderr).strip()
    return findings if done.returncode != 0 or findings else ""


def run(*args: str, cwd: Path | None = None) -> tuple[int, str]:
    """promtool with these arguments: its exit code and everything it printed."""
    done = subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120, cwd=cwd)
    return done.returncode, (done.stdout + done.stderr).strip()
