"""Every rendered manifest passes kubernetes-validate --strict (the Kubernetes OpenAPI
schemas, unknown fields refused), and the renderer used where kubectl is missing agrees
with `kubectl kustomize`."""
from __future__ import annotations

import base64
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from k8s_render import OVERLAYS, kubectl_kustomize
from kustomize_lite import render

STRIMZI = "kafka.strimzi.io/"
# The oldest Kubernetes the manifests are written for (gRPC probes are GA from 1.27) and the
# newest kubernetes-validate knows.
VERSIONS = ("1.29.0", None)


def validator() -> str:
    return str(Path(sys.executable).with_name("kubernetes-validate"))


@pytest.mark.parametrize("version", VERSIONS)
def test_every_manifest_passes_kubernetes_validate_strict(
        rendered: tuple[str, list[dict[str, Any]]], version: str | None, tmp_path: Path):
    name, resources = rendered
    manifest = tmp_path / f"{name}.yaml"
    manifest.write_text(yaml.safe_dump_all(resources, sort_keys=False))
    args = [validator(), "--strict", *(["-k", version] if version else []), str(manifest)]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    validated = [line for line in done.stdout.splitlines() if line.startswith("INFO")]
    core = [r for r in resources if not r["apiVersion"].startswith(STRIMZI)]
    assert len(validated) == len(core), done.stdout
    # Only the Strimzi custom resources lack a schema here; tests/k8s/test_kafka.py checks them.
    for line in (done.stdout + done.stderr).splitlines():
        if "Couldn't find schema" in line:
            assert STRIMZI in line, line


def _by_identity(resources: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Keyed by kind and name; Secret values decoded (kubectl wraps long base64 lines)."""
    for r in resources:
        if r["kind"] == "Secret":
            r["data"] = {k: base64.b64decode(v).decode() for k, v in r.get("data", {}).items()}
    return {(r["kind"], r["metadata"]["name"]): r for r in resources}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not on PATH: nothing to compare with")
@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_the_fallback_renderer_agrees_with_kubectl_kustomize(deploy_tree: Path, overlay: str):
    directory = deploy_tree / OVERLAYS[overlay]
    assert _by_identity(render(directory)) == _by_identity(kubectl_kustomize(directory) or [])
