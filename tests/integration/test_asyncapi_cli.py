"""docs/asyncapi.yaml passes the official AsyncAPI CLI (`asyncapi validate`), the parser and
the governance rules that subscribers' code generators and viewers run, with no problem
reported at any severity. `make test` installs the CLI into tools/npm/node_modules."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI = ROOT / "tools" / "npm" / "node_modules" / ".bin" / "asyncapi"
ANALYTICS_OFF = ROOT / "tools" / "npm" / "asyncapi-analytics.json"


def validate(document: Path) -> subprocess.CompletedProcess[str]:
    assert CLI.exists(), f"{CLI} is missing: `make test` installs it (npm ci --prefix tools/npm)"
    # The CLI reports usage to a remote service unless its settings file says no.
    env = {**os.environ, "ASYNCAPI_METRICS_CONFIG_PATH": str(ANALYTICS_OFF),
           "SUPPRESS_NO_CONFIG_WARNING": "1"}
    return subprocess.run([str(CLI), "validate", str(document), "--fail-severity=info"],
                          capture_output=True, text=True, env=env, timeout=300)


def test_the_document_passes_the_asyncapi_cli_with_no_problem_at_all():
    done = validate(ROOT / "docs" / "asyncapi.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is valid" in done.stdout


def test_the_cli_refuses_a_payload_that_points_into_a_proto_file(tmp_path: Path):
    """The defect the generated schemas replaced: the CLI reads the .proto file as YAML."""
    text = (ROOT / "docs" / "asyncapi.yaml").read_text()
    broken = text.replace("$ref: '#/components/schemas/yinling.v1.PlatformChanged'",
                          "$ref: ../proto/yinling/v1/platforms.proto#yinling.v1.PlatformChanged", 1)
    assert broken != text
    (tmp_path / "docs").mkdir()
    document = tmp_path / "docs" / "asyncapi.yaml"
    document.write_text(broken)
    (tmp_path / "proto").symlink_to(ROOT / "proto")
    done = validate(document)
    assert done.returncode != 0
