"""deploy/k8s rendered as an operator would: `kubectl kustomize` where kubectl exists, else
the small renderer in kustomize_lite.py. The production overlay's secrets.env is never
committed, so rendering happens in a copy where it is made from secrets.env.example."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from kustomize_lite import render

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = {"base": "base", "production": "overlays/production"}


def copy_of_deploy(target: Path) -> Path:
    tree = target / "k8s"
    shutil.copytree(ROOT / "deploy" / "k8s", tree,
                    ignore=shutil.ignore_patterns("secrets.env"), dirs_exist_ok=False)
    for example in tree.glob("overlays/*/secrets.env.example"):
        shutil.copy(example, example.with_name("secrets.env"))
    return tree


def kubectl_kustomize(directory: Path) -> list[dict[str, Any]] | None:
    if shutil.which("kubectl") is None:
        return None
    done = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return [r for r in yaml.safe_load_all(done.stdout) if r]



def render_overlay(tree: Path, overlay: str) -> list[dict[str, Any]]:
    directory = tree / OVERLAYS[overlay]
    return kubectl_kustomize(directory) or render(directory)
