"""Validating a submitted file whole, before anything is applied. Pure: bytes in, every
accepted row (in the owner's terms) or every error out.

Checked in order: the file can be read; the header names each of the kind's required columns
once and nothing else; each row has as many cells as the header; each cell reads as its
column's type; the row's requests pass the request bounds every server applies and the
owner's own domain rules (services/ingest/owners); the kind's unique columns do not repeat
in the file. Each error names the row (1-based data row; the header is row 0), the column as
the file writes it, the value (shortened) and the reason.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from services.ingest.cells import convert_money, header_unit, read_cell
from services.ingest.kinds import Column, Kind
from services.ingest.owners import owner
from services.ingest.readers import BadRow, FileError, Table, read_table
from yinling.bounds import check_request
from yinling.errors import Conflict, ValidationError

SHORT = 40  # characters of an offending value kept in a report
PERSONAL = "(personal data, not shown)"
MAX_ERRORS = 1_000  # errors kept for the report; more are counted
MAX_ROWS = 200_000
MAX_TITLE_ROWS = 3


def short(value: str) -> str:
    """An offending value as the report shows it: whole, or its start and its length."""
    return value if len(value) <= SHORT else f"{value[:SHORT]}... ({len(value)} characters)"


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f", column {self.column}" if self.column else ""
        value = f" ({self.value})" if self.value else ""
        return f"row {self.row}{where}{value}: {self.reason}"


@dataclass
class Outcome:
    format: str = ""
    # (row, canonical JSON of its fields, UTF-8: about half the memory of a str of Chinese text)
    rows: list[tuple[int, bytes]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    digest: str = ""  # of the kind and the canonical rows: the same table in any format, same digest

    def refuse(self, error: RowError) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)


def validate(kind: Kind, content: bytes, today: date, *, sheet: str = "", reason: str = "") -> Outcome:
    outcome = Outcome()
    try:
        table = read_table(content, sheet)
    except FileError as exc:
        outcome.refuse(RowError(0, "", "", exc.reason))
        return outcome
    outcome.format = table.format
    table = _past_title_rows(kind, table)
    layout = _layout(kind, table.header, outcome)
    if outcome.error_count:
        return outcome  # rows cannot be read against a header that is wrong
    digest = hashlib.sha256(kind.name.encode())
    seen: dict[tuple[object, ...], int] = {}
    for number, fields, raw in _rows(kind, layout, table.header, table.rows, outcome):
        if number > MAX_ROWS:
            outcome.refuse(RowError(number, "", "", f"more than {MAX_ROWS} rows; split the file"))
            break
        if fields is None or not _owner_accepts(kind, layout, number, fields, raw, today, reason, outcome):
            continue
        key = tuple(fields.get(c) for c in kind.unique)
        if key in seen:
            column = kind.unique[0]
            outcome.refuse(RowError(number, layout.header_of(column), _quoted(kind, column, raw.get(column, "")),
                                    f"same {' + '.join(layout.header_of(c) for c in kind.unique)} "
                                    f"as row {seen[key]}"))
            continue
        seen[key] = number
        if outcome.error_count:
            continue  # the file is rejected: the rest is read for its errors only
        canonical = json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()
        digest.update(canonical + b"\n")
        outcome.rows.append((number, canonical))
    if not outcome.rows and not outcome.error_count:
        outcome.refuse(RowError(0, "", "", "the file has no data rows"))
    if outcome.error_count:
        outcome.rows = []
    else:
        outcome.digest = digest.hexdigest()
    return outcome


def _past_title_rows(kind: Kind, table: Table) -> Table:
    """Spreadsheets often open with a title row or two ("2024年第一批高新技术企业名单") above
    the header: rows in which no cell is a header of the kind are skipped, up to three, and the
    data rows are numbered from the header found. With no header found, the first row stays
    the header (and its unknown columns are reported)."""
    known = {h for column in kind.columns.values() for h in column.headers}

    def is_header(cells: list[str]) -> bool:
        return any(header_unit(cell.strip())[0] in known for cell in cells)

    if is_header(table.header):
        return table
    passed: list[tuple[int, list[str]] | BadRow] = []
    while len(passed) < MAX_TITLE_ROWS:
        following = next(table.rows, None)
        if following is None:
            break
        passed.append(following)
        if not isinstance(following, BadRow) and is_header(following[1]):
            return Table(table.format, following[1], _renumbered(table.rows, len(passed)))
    return Table(table.format, table.header, itertools.chain(passed, table.rows))


def _renumbered(rows: Iterator[tuple[int, list[str]] | BadRow], skipped: int
                ) -> Iterator[tuple[int, list[str]] | BadRow]:
    for item in rows:
        if isinstance(item, BadRow):
            yield BadRow(item.row - skipped, item.column, item.reason)
        else:
            yield item[0] - skipped, item[1]


@dataclass
class Layout:
    columns: list[Column | None]  # by position in the file
    units: list[str]  # a unit stated in a header cell, by position
    headers: dict[str, str]  # column name -> header as written

    def header_of(self, column: str) -> str:
        return self.headers.get(column, column)


def _layout(kind: Kind, header: list[str], outcome: Outcome) -> Layout:
    by_header = {h: c for c in kind.columns.values() for h in c.headers}
    layout = Layout([], [], {})
    for position, cell in enumerate(header, start=1):
        text = cell.strip()
        base, unit = header_unit(text)
        column = by_header.get(text) or by_header.get(base)
        if not text:
            outcome.refuse(RowError(0, f"#{position}", "", "header cell is empty"))
        elif column is None:
            known = ", ".join(c.headers[0] for c in kind.columns.values())
            outcome.refuse(RowError(0, text[:40], short(text), f"unknown column for {kind.name}; "
                                                               f"columns: {known}"))
        elif column.name in layout.headers:
            outcome.refuse(RowError(0, text[:40], short(text), f"duplicated: column {position} is "
                                    f"{column.name} again, like {layout.headers[column.name]!r}"))
            column = None
        else:
            layout.headers[column.name] = text
        layout.columns.append(column)
        layout.units.append(unit if column is not None and column.type == "money" else "")
    for column in kind.columns.values():
        if column.required and column.name not in layout.headers:
            outcome.refuse(RowError(0, column.headers[0], "", f"required column is missing "
                                                              f"(headers: {', '.join(column.headers)})"))
    return layout


Fields = dict[str, object]


def _rows(kind: Kind, layout: Layout, header: list[str], rows: Iterator[tuple[int, list[str]] | BadRow],
          outcome: Outcome) -> Iterator[tuple[int, Fields | None, dict[str, str]]]:
    for item in rows:
        if isinstance(item, BadRow):
            column = item.column
            if column.startswith("#") and column[1:].isdigit() and int(column[1:]) <= len(header):
                column = header[int(column[1:]) - 1].strip()
            outcome.refuse(RowError(item.row, column, "", item.reason))
            yield item.row, None, {}
            continue
        number, cells = item
        if len(cells) != len(header):
            outcome.refuse(RowError(number, "", "", f"{len(cells)} cells; the header has {len(header)}"))
            yield number, None, {}
            continue
        raw = {c.name: cells[i].strip() for i, c in enumerate(layout.columns) if c is not None}
        units = {c.name: layout.units[i] for i, c in enumerate(layout.columns) if c is not None}
        yield number, _fields(kind, layout, number, raw, units, outcome), raw


def _fields(kind: Kind, layout: Layout, number: int, raw: dict[str, str], header_units: dict[str, str],
            outcome: Outcome) -> Fields | None:
    fields: Fields = {}
    bad = False
    for column in kind.columns.values():
        text = raw.get(column.name, "")
        try:
            if not text:
                if column.required:
                    raise ValidationError(column.name, "is required")
                continue
            if column.type == "money":
                unit = raw.get(column.unit_column) or header_units.get(column.name) or column.default_unit
                fields[column.name] = convert_money(column, text, unit)
            else:
                fields[column.name] = read_cell(column, text)
        except ValidationError as exc:
            outcome.refuse(RowError(number, layout.header_of(column.name), _quoted(kind, column.name, text),
                                    exc.reason))
            bad = True
    for column in kind.columns.values():
        if column.type == "unit":  # amounts are converted: the unit they came in is not a fact
            fields.pop(column.name, None)
    return None if bad else fields


def _owner_accepts(kind: Kind, layout: Layout, number: int, fields: Fields, raw: dict[str, str],
                   today: date, reason: str, outcome: Outcome) -> bool:
    owning = owner(kind.owner)
    requests = owning.builders[kind.name](fields, reason)
    try:
        for request in requests:
            check_request(request)  # the bounds every server applies to a request
        owning.check(requests, today)
    except (ValidationError, Conflict) as exc:
        column = kind.column_of_field(exc.field) or kind.column_of_field(exc.field.rpartition(".")[2])
        outcome.refuse(RowError(number, layout.header_of(column) if column else exc.field,
                                _quoted(kind, column, raw.get(column, "")) if column else "", exc.reason))
        return False
    return True


def _quoted(kind: Kind, column: str, text: str) -> str:
    """The value an error shows: shortened, and never a personal one."""
    spec = kind.columns.get(column)
    return PERSONAL if spec is not None and spec.personal and text else short(text)
