"""Generate Python code and typed stubs from proto/yinling/v1/*.proto into yinling/v1/.

Run by `make proto`; the output is git-ignored so it always matches the pinned grpcio-tools.
"""
from __future__ import annotations

import sys
from importlib import resources
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_ROOT = ROOT / "proto"


def generate() -> list[Path]:
    sources = sorted((PROTO_ROOT / "yinling" / "v1").glob("*.proto"))
    well_known = resources.files("grpc_tools") / "_proto"
    args = [
        "protoc",
        f"-I{PROTO_ROOT}",
        f"-I{well_known}",
        f"--python_out={ROOT}",
        f"--pyi_out={ROOT}",
        f"--grpc_python_out={ROOT}",
        *[str(s) for s in sources],
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    (ROOT / "yinling" / "v1" / "__init__.py").write_text('"""Generated; do not edit."""\n')
    return sources


if __name__ == "__main__":
    generated = generate()
    print(f"generated {len(generated)} proto files into yinling/v1/", file=sys.stderr)
