"""Generate Python code and typed stubs from proto/yinling/v1/*.proto into yinling/v1/.

Run by `make proto` into the source tree, and by the package build (setup.py) into the
wheel, so an installed package always carries code that matches the pinned grpcio-tools.
The output is git-ignored: never committed.
"""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"


def generate(out: Path = ROOT) -> list[Path]:
    """Write yinling/v1/*_pb2.py, *_pb2_grpc.py and *.pyi under `out`."""
    sources = sorted((PROTO_ROOT / "yinling" / "v1").glob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"
    target = out / "yinling" / "v1"
    target.mkdir(parents=True, exist_ok=True)
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={out}",
        f"--pyi_out={out}",
        f"--grpc_python_out={out}",
        *[str(s) for s in sources],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    (target / "__init__.py").write_text('"""Generated; do not edit."""\n')
    return sources


if __name__ == "__main__":
    generated = generate()
    print(f"generated {len(generated)} proto files into yinling/v1/", file=sys.stderr)
