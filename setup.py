"""Build hook: the protobuf code (yinling/v1) is generated while the package is built, so a
wheel made from a clean clone carries it. Everything else is declared in pyproject.toml."""
from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithProtos(build_py):
    """Runs protoc (grpcio-tools, a build requirement) before the ordinary build_py."""

    def run(self) -> None:
        sys.path.insert(0, str(ROOT))
        from tools.protogen import generate

        # An editable install imports from the source tree; a wheel from build_lib.
        generate(ROOT if self.editable_mode else Path(self.build_lib))
        super().run()


setup(cmdclass={"build_py": BuildPyWithProtos})
