"""CSV for people's spreadsheets: UTF-8, a header row, CRLF line ends (RFC 4180), and no cell
a spreadsheet would run as a formula.

OWASP (CSV Injection) asks that no cell begin with `=`, `+`, `-`, `@`, tab or carriage
return, and that such a cell be prefixed with a single quote so the spreadsheet shows it as
text. Applied to every cell as written here, with one exception: a cell that is a plain
decimal number (`-12.5`, `+3`) is left alone. It cannot run as a formula, and quoting it
would turn the negative figures of a numeric column into text in every spreadsheet.
Anything else that starts with a trigger (`-2+3`, `=1`, `-1E5`, `@SUM(A1)`) is neutralised.

`bom=True` starts the file with a UTF-8 byte order mark, which Excel needs to read UTF-8 (and
so Chinese text) from a CSV file it opens by double-click; other readers do better without it.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet may open it: text starting with a trigger gets a leading '."""
    if not isinstance(value, str) or not value.startswith(TRIGGERS):
        return value
    if PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def to_csv(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], bom: bool = False) -> bytes:
    """UTF-8 CSV with a header row; CRLF line ends as RFC 4180 asks; formula cells neutralised."""
    out = io.StringIO()
    if bom:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore")
    writer.writerow({c: neutralise(c) for c in columns})
    for row in rows:
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    return out.getvalue().encode("utf-8")
