"""What `docker build` would see, checked without an engine: the .dockerignore rules
(evaluated by docker-py, the engine's own matching rules) and the Dockerfile's stages."""
from __future__ import annotations

import re
from pathlib import Path

from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[2]

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def build_context() -> set[str]:
    rules = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    return set(exclude_paths(str(ROOT), rules))


def test_generated_code_and_local_environments_stay_out_of_the_context():
    context = build_context()
    assert not any(p.startswith(("yinling/v1/", ".venv", ".git/", "var/", "tests/"))
                   for p in context)
    assert not any("__pycache__" in p for p in context)


def test_everything_the_dockerfile_copies_is_in_the_context():
    context = build_context()
    sources = [s for line in re.findall(r"^COPY (?!--from)(.+?) \S+$", DOCKERFILE, re.M)
               for s in line.split()]
    assert sources
    for source in sources:
        assert source.rstrip("/") in context, f"{source} is left out of the build context"


def test_the_runtime_stage_is_non_root_and_has_no_build_tools():
    stages = re.split(r"^FROM ", DOCKERFILE, flags=re.M)[1:]
    assert len(stages) >= 2, "a build stage and a runtime stage"
    runtime = stages[-1]
    user = re.search(r"^USER (\d+)(?::(\d+))?$", runtime, re.M)
    assert user and int(user.group(1)) != 0
    assert "pip wheel" not in runtime and "COPY yinling" not in runtime
    assert "COPY --from=build /opt/yinling /opt/yinling" in runtime
    assert "PYTHONDONTWRITEBYTECODE=1" in runtime
