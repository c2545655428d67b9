"""JSON Schemas of the event payloads in docs/asyncapi.yaml, generated from the protos.

Every message of the document names its protobuf message (`x-proto-message`); its payload
is a reference to `#/components/schemas/<that full name>`, and the schemas of that message
and of every message and enum it uses are generated here, comments of the .proto files as
descriptions. The schemas follow the protobuf JSON mapping (proto field names, 64-bit
integers as decimal strings, enums by name, bytes base64) and describe the structure that
the binary payload decodes to.

    python -m tools.asyncapi_schemas          # rewrite docs/asyncapi.yaml
    python -m tools.asyncapi_schemas --check  # exit 1 if it is out of date
"""
from __future__ import annotations

import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import descriptor_pb2 as d
from grpc_tools import protoc

from tools.protogen import PROTO_ROOT, ROOT

DOC = ROOT / "docs" / "asyncapi.yaml"
REF = "#/components/schemas/"
F = d.FieldDescriptorProto
INT32 = {F.TYPE_INT32: (-2**31, 2**31 - 1), F.TYPE_SINT32: (-2**31, 2**31 - 1),
         F.TYPE_SFIXED32: (-2**31, 2**31 - 1), F.TYPE_UINT32: (0, 2**32 - 1),
         F.TYPE_FIXED32: (0, 2**32 - 1)}
INT64 = {F.TYPE_INT64, F.TYPE_SINT64, F.TYPE_SFIXED64, F.TYPE_UINT64, F.TYPE_FIXED64}
SCALARS: dict[int, dict[str, Any]] = {
    F.TYPE_DOUBLE: {"type": "number"}, F.TYPE_FLOAT: {"type": "number"},
    F.TYPE_BOOL: {"type": "boolean"}, F.TYPE_STRING: {"type": "string"},
    F.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
}


def descriptor_set() -> d.FileDescriptorSet:
    """The protos compiled with their comments (source info), imports included."""
    sources = sorted((PROTO_ROOT / "yinling" / "v1").glob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        args = ["protoc", f"-I{PROTO_ROOT}", f"-I{resources.files('grpc_tools') / '_proto'}",
                "--include_imports", "--include_source_info", f"--descriptor_set_out={out}",
                *[str(s) for s in sources]]
        if protoc.main(args) != 0:
            raise SystemExit("protoc failed")
        return d.FileDescriptorSet.FromString(out.read_bytes())


class Catalogue:
    """Every message and enum by full name, with the comment that precedes or trails it."""

    def __init__(self, files: d.FileDescriptorSet) -> None:
        self.messages: dict[str, d.DescriptorProto] = {}
        self.enums: dict[str, d.EnumDescriptorProto] = {}
        self.comments: dict[str, str] = {}
        for file in files.file:
            notes = {tuple(loc.path): (loc.leading_comments or loc.trailing_comments).strip()
                     for loc in file.source_code_info.location}
            for i, message in enumerate(file.message_type):
                self._message(f"{file.package}.{message.name}", message, (4, i), notes)
            for i, enum in enumerate(file.enum_type):
                self._enum(f"{file.package}.{enum.name}", enum, (5, i), notes)

    def _message(self, name: str, message: d.DescriptorProto, path: tuple[int, ...],
                 notes: dict[tuple[int, ...], str]) -> None:
        self.messages[name] = message
        self._note(name, notes.get(path))
        for i, field in enumerate(message.field):
            self._note(f"{name}.{field.name}", notes.get((*path, 2, i)))
        for i, nested in enumerate(message.nested_type):
            self._message(f"{name}.{nested.name}", nested, (*path, 3, i), notes)
        for i, enum in enumerate(message.enum_type):
            self._enum(f"{name}.{enum.name}", enum, (*path, 4, i), notes)

    def _enum(self, name: str, enum: d.EnumDescriptorProto, path: tuple[int, ...],
              notes: dict[tuple[int, ...], str]) -> None:
        self.enums[name] = enum
        self._note(name, notes.get(path))

    def _note(self, name: str, text: str | None) -> None:
        if text:
            self.comments[name] = " ".join(text.split())


def schemas_for(roots: list[str], catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """JSON Schemas of `roots` and of everything they use, keyed by protobuf full name."""
    out: dict[str, dict[str, Any]] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in out:
            continue
        if name in catalogue.enums:
            out[name] = _described({"type": "string", "enum": [
                v.name for v in catalogue.enums[name].value]}, catalogue.comments.get(name))
            continue
        properties: dict[str, Any] = {}
        for field in catalogue.messages[name].field:
            schema, uses = _field(field, catalogue)
            pending.extend(uses)
            properties[field.name] = _described(schema, catalogue.comments.get(f"{name}.{field.name}"))
        out[name] = _described({"type": "object", "properties": properties},
                               catalogue.comments.get(name))
    return dict(sorted(out.items()))


def _field(field: d.FieldDescriptorProto, catalogue: Catalogue) -> tuple[dict[str, Any], list[str]]:
    if field.type == F.TYPE_MESSAGE:
        target = field.type_name.lstrip(".")
        entry = catalogue.messages[target]
        if entry.options.map_entry:  # map<key, value>: an object keyed by the key's text
            value, uses = _field(entry.field[1], catalogue)
            return {"type": "object", "additionalProperties": value}, uses
        single, uses = {"$ref": REF + target}, [target]
    elif field.type == F.TYPE_ENUM:
        target = field.type_name.lstrip(".")
        single, uses = {"$ref": REF + target}, [target]
    elif field.type in INT32:
        low, high = INT32[field.type]
        single, uses = {"type": "integer", "minimum": low, "maximum": high}, []
    elif field.type in INT64:
        single, uses = {"type": "string", "pattern": "^-?[0-9]+$", "format": "int64"}, []
    else:
        single, uses = dict(SCALARS[field.type]), []
    if field.label == F.LABEL_REPEATED:
        return {"type": "array", "items": single}, uses
    return single, uses


def _described(schema: dict[str, Any], comment: str | None) -> dict[str, Any]:
    if comment is None:
        return schema
    if "$ref" in schema:  # siblings of $ref are ignored by JSON Schema draft 7: wrap it
        return {"description": comment, "allOf": [schema]}
    return {"description": comment, **schema}


def updated(document: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    messages = document["components"]["messages"]
    for message in messages.values():
        message["payload"] = {"$ref": REF + message["x-proto-message"]}
    roots = sorted({m["x-proto-message"] for m in messages.values()})
    document["components"]["schemas"] = schemas_for(roots, catalogue)
    return document


def render(document: dict[str, Any], header: str) -> str:
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def main(argv: list[str]) -> int:
    text = DOC.read_text()
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    fresh = render(updated(yaml.safe_load(text), Catalogue(descriptor_set())), header)
    if "--check" in argv:
        if fresh != text:
            print(f"{DOC} is out of date: python -m tools.asyncapi_schemas", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
