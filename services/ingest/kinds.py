"""The kinds of table the gateway takes, as data (services/ingest/kinds/*.yaml): per kind its
columns, the headers bureaus write for each, how a cell is read, and which of the owner's
request fields a column feeds, so that the owner's refusal names the column of the file."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml

KINDS_DIR = Path(__file__).with_name("kinds")
TYPES = ("text", "code", "date", "year", "count", "district", "territory", "choice", "money", "unit")


@dataclass(frozen=True)
class Column:
    name: str
    headers: tuple[str, ...]
    type: str
    required: bool = False
    fields: tuple[str, ...] = ()  # the owner's request fields fed by this column
    values: dict[str, str] = field(default_factory=dict)  # choice: the words used -> code
    to: str = ""  # money: fen | CNY_10K
    unit_column: str = ""
    default_unit: str = ""
    personal: bool = False  # personal data: never quoted in an error, never kept after applying


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    owner: str
    unique: tuple[str, ...]
    columns: dict[str, Column]

    @property
    def personal(self) -> bool:
        return any(c.personal for c in self.columns.values())

    def column_of_field(self, owner_field: str) -> str:
        """The column that feeds an owner's request field ("" when none does)."""
        for column in self.columns.values():
            if owner_field in column.fields or owner_field == column.name:
                return column.name
        return ""


def _column(name: str, spec: dict) -> Column:  # type: ignore[type-arg]
    if spec.get("type") not in TYPES:
        raise ValueError(f"column {name}: type {spec.get('type')!r} is not one of {TYPES}")
    return Column(name=name, headers=tuple(spec["headers"]), type=spec["type"],
                  required=bool(spec.get("required", False)),
                  fields=tuple(spec.get("fields", (name,))),
                  values={str(k): str(v) for k, v in (spec.get("values") or {}).items()},
                  to=spec.get("to", ""), unit_column=spec.get("unit_column", ""),
                  default_unit=spec.get("default_unit", ""), personal=bool(spec.get("personal", False)))


@cache
def kinds() -> dict[str, Kind]:
    found: dict[str, Kind] = {}
    for path in sorted(KINDS_DIR.glob("*.yaml")):
        for name, spec in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).items():
            columns = {c: _column(c, s) for c, s in spec["columns"].items()}
            found[name] = Kind(name=name, title=spec["title"], owner=spec["owner"],
                               unique=tuple(spec.get("unique", ())), columns=columns)
    return found
