"""The container's build steps, checked without a Docker engine: a clean clone of HEAD (no
generated code in it), `pip wheel --no-deps` as the Dockerfile's builder stage runs it, the
wheel installed with its declared dependencies into a fresh virtual environment, and every
console script and every module of the installed package loaded from there."""
from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]

# Runs inside the fresh environment: every module of the installed packages, imported
# (`__main__` modules run the command line when imported: `yinling --help` covers them).
IMPORT_ALL = """
import importlib, json, pkgutil, sys
import yinling, services
names = []
for pkg in (yinling, services):
    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        if info.name.endswith(".__main__"):
            continue
        importlib.import_module(info.name)
        names.append(info.name)
from importlib.metadata import entry_points
scripts = {e.name: e.value for e in entry_points(group="console_scripts") if e.dist.name == "yinling"}
for e in entry_points(group="console_scripts"):
    if e.dist.name == "yinling":
        e.load()
print(json.dumps({"modules": names, "scripts": scripts,
                  "yinling": yinling.__file__, "v1": sys.modules["yinling.v1"].__file__}))
"""


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    head = run("git", "rev-parse", "HEAD", cwd=ROOT).strip()
    target = tmp_path_factory.mktemp("clone") / "yinling"
    run("git", "clone", "--quiet", "--no-checkout", ROOT, target)
    run("git", "checkout", "--quiet", head, cwd=target)
    return target


@pytest.fixture(scope="module")
def wheel(clone: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", out, clone)
    (built,) = out.glob("yinling-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    env = tmp_path_factory.mktemp("venv") / "env"
    run(sys.executable, "-m", "venv", env)
    run(env / "bin" / "pip", "install", "--quiet", wheel)
    return env


def test_a_clean_clone_has_no_generated_code(clone: Path):
    assert not (clone / "yinling" / "v1").exists()
    assert run("git", "ls-files", "yinling/v1", cwd=clone) == ""


def test_the_wheel_carries_the_protobuf_code_generated_during_the_build(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    protos = sorted(p.stem for p in (ROOT / "proto" / "yinling" / "v1").glob("*.proto"))
    for stem in protos:
        assert f"yinling/v1/{stem}_pb2.py" in names
        assert f"yinling/v1/{stem}_pb2_grpc.py" in names
    assert "yinling/v1/__init__.py" in names
    assert "services/opendata/templates/indicators.html" in names
    assert not any(n.startswith(("tools/", "tests/")) for n in names)


def test_every_module_and_console_script_loads_from_the_fresh_environment(venv: Path):
    report = json.loads(run(venv / "bin" / "python", "-c", IMPORT_ALL, cwd=venv))
    assert Path(report["yinling"]).is_relative_to(venv)
    assert Path(report["v1"]).is_relative_to(venv)
    assert "services.indicators.worker" in report["modules"]
    assert "services.opendata.app" in report["modules"]
    assert report["scripts"] == {"yinling": "yinling.cli:main"}


def test_yinling_help_lists_every_process_command(venv: Path):
    out = run(venv / "bin" / "yinling", "--help", cwd=venv)
    for command in ("serve", "worker", "opendata", "broker", "up", "ingest"):
        assert command in out
    serve = run(venv / "bin" / "yinling", "serve", "--help", cwd=venv)
    assert "platforms|enterprises|talent|finance|ingest|indicators" in serve
    assert "Usage" in run(venv / "bin" / "python", "-m", "yinling", "--help", cwd=venv)
