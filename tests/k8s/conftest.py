"""Fixtures: a copy of deploy/k8s, and each overlay rendered from it (k8s_render.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from k8s_render import OVERLAYS, copy_of_deploy, render_overlay


@pytest.fixture(scope="session")
def deploy_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_of_deploy(tmp_path_factory.mktemp("deploy"))


@pytest.fixture(scope="session", params=sorted(OVERLAYS))
def rendered(request: pytest.FixtureRequest, deploy_tree: Path) -> tuple[str, list[dict[str, Any]]]:
    return request.param, render_overlay(deploy_tree, request.param)
