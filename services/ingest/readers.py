"""Reading a submitted file into a header and rows of text cells. Pure: bytes in.

Formats are told by their bytes, not by a file name: XLSX is a zip archive (read with
openpyxl in read-only mode, row by row, the first sheet or a named one), JSON Lines starts
with `{`, anything else is CSV. CSV text is UTF-8 (with or without a byte-order mark) or,
when it is not valid UTF-8, GB18030 (the superset of GBK and GB2312 that bureau spreadsheets
save as "CSV"); line ends may be CRLF, LF or CR alone.

Rows come out one by one, numbered from 1 (the header is row 0); a row that cannot be read
(a cell over the bound, a stray quote, a value that is not text or a number) comes out as a
`BadRow` with the reason, so the caller reports it with the other errors of the file.
"""
from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from yinling.errors import shown

MAX_CELL = 2_000  # characters of one cell: the longest field any owner accepts (free text)
ZIP_MAGIC = b"PK\x03\x04"
BOM = codecs.BOM_UTF8
DECODE_PIECE = 1024 * 1024


class FileError(ValueError):
    """The file cannot be read at all: no rows can be told apart."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class BadRow:
    row: int
    column: str
    reason: str


Row = tuple[int, list[str]]


@dataclass
class Table:
    format: str  # csv-utf-8 | csv-gb18030 | xlsx | jsonl
    header: list[str]
    rows: Iterator[Row | BadRow]


def read_table(content: bytes, sheet: str = "") -> Table:
    if not content:
        raise FileError("the file is empty")
    if content.startswith(ZIP_MAGIC):
        return _xlsx(content, sheet)
    if sheet:
        raise FileError(f"a sheet ({shown(sheet)}) is named, but the file is not XLSX")
    encoding = detect_encoding(content)
    body = content[len(BOM):] if content.startswith(BOM) else content
    if body.lstrip()[:1] == b"{":
        return _jsonl(_text(body, encoding, newline=None))
    return _csv(_text(body, encoding, newline=""), encoding)


def detect_encoding(content: bytes) -> str:
    """utf-8 if the whole file decodes as UTF-8, else gb18030 if it decodes as that. Decoded
    piece by piece and dropped: a large file is never held twice as text."""
    first_error = 0
    for encoding in ("utf-8", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(content), DECODE_PIECE):
                decoder.decode(content[start:start + DECODE_PIECE])
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError as exc:
            first_error = first_error or start + exc.start
    raise FileError(f"the text is neither UTF-8 (invalid byte near offset {first_error}) nor GB18030")


def _text(body: bytes, encoding: str, newline: str | None) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(body), encoding=encoding, newline=newline)


def _csv(text: io.TextIOWrapper, encoding: str) -> Table:
    # newline="" keeps CR, LF and CRLF line ends as csv expects, quoted line breaks included.
    reader = csv.reader(text)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise FileError(f"the header row is not valid CSV ({exc})") from None
    if not header or not any(h.strip() for h in header):
        raise FileError("the first row must be the header; it is empty")
    return Table(f"csv-{encoding}", header, _csv_rows(reader))


def _csv_rows(reader: Iterator[list[str]]) -> Iterator[Row | BadRow]:
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:  # a stray quote, or a cell over csv's own limit
            yield BadRow(number, "", f"not valid CSV ({exc})")
            continue
        if any(c.strip() for c in cells):
            yield _bounded(number, cells)
        else:
            number -= 1  # blank lines are not rows


def _bounded(number: int, cells: list[str]) -> Row | BadRow:
    for index, cell in enumerate(cells):
        if len(cell) > MAX_CELL:
            return BadRow(number, f"#{index + 1}", f"cell of {len(cell)} characters; at most {MAX_CELL}")
    return number, cells


def _xlsx(content: bytes, sheet: str) -> Table:
    from openpyxl import load_workbook  # imported here: only XLSX uploads pay for it

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FileError(f"not a readable XLSX workbook ({type(exc).__name__})") from None
    if sheet and sheet not in book.sheetnames:
        raise FileError(f"no sheet {shown(sheet)}; the workbook has {book.sheetnames}")
    worksheet = book[sheet] if sheet else book.worksheets[0]
    rows = worksheet.iter_rows(values_only=True)
    first = next(rows, None)
    header = [_cell_text(v) for v in first or ()]
    while header and not header[-1]:
        header.pop()  # formatted but empty cells at the right of the header
    if not header:
        raise FileError("the first row of the sheet must be the header; it is empty")
    return Table("xlsx", header, _xlsx_rows(rows, book))


def _xlsx_rows(rows: Iterator[tuple[object, ...]], book: object) -> Iterator[Row | BadRow]:
    number = 0
    try:
        for values in rows:
            cells = [_cell_text(v) for v in values]
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                number += 1
                yield _bounded(number, cells)
    finally:
        book.close()  # type: ignore[attr-defined]


def _cell_text(value: object) -> str:
    """A spreadsheet cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # 12345.6 typed in a cell is stored as the nearest double; its shortest repr is what was typed.
        exact = Decimal(repr(value))
        return format(exact.quantize(Decimal(1)) if exact == exact.to_integral() else exact, "f")
    return str(value)


def _jsonl(text: io.TextIOWrapper) -> Table:
    lines = iter(text)
    first = next(lines)
    try:
        record = json.loads(first)
    except ValueError as exc:
        raise FileError(f"line 1 is not JSON ({exc})") from None
    if not isinstance(record, dict) or not record:
        raise FileError("line 1 must be a JSON object naming the columns")
    header = list(record)

    def rows() -> Iterator[Row | BadRow]:
        yield _json_row(1, first, header)
        number = 1
        for line in lines:
            if line.strip():
                number += 1
                yield _json_row(number, line, header)
    return Table("jsonl", header, rows())


def _json_row(number: int, line: str, header: list[str]) -> Row | BadRow:
    try:
        record = json.loads(line)
    except ValueError as exc:
        return BadRow(number, "", f"not JSON ({exc.__class__.__name__}: {str(exc)[:80]})")
    if not isinstance(record, dict):
        return BadRow(number, "", "not a JSON object")
    extra = [k for k in record if k not in header]
    if extra:
        return BadRow(number, extra[0][:40], f"not a column of line 1 (columns: {', '.join(header)})")
    cells = []
    for key in header:
        value = record.get(key)
        if isinstance(value, (dict, list)):
            return BadRow(number, key, "a value must be text or a number, not a list or an object")
        cells.append(_cell_text(value) if not isinstance(value, str) else value)
    return _bounded(number, cells)
