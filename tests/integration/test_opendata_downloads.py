"""Every dataset as a whole file: the data package's resources are complete (the change log's
CSV is read in the indicator service's largest pages, more than one of them here) and
Frictionless validates the package as published; each dataset is an XLSX file holding the
same rows as its CSV, with a formula-like text neutralised in both; CSV with a BOM for Excel."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import frictionless
import httpx
import openpyxl
import pytest

from opendata_fakes import CHANGES, Indicators, backend_settings, running_feed
from yinling.v1 import indicators_pb2 as ipb

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA = '=HYPERLINK("http://example.invalid","click")'
# More changes than the service's largest page (5000), so a complete file takes two pages.
MANY = 5003


def _log() -> list[ipb.IndicatorChanged]:
    out = []
    for cursor in range(1, MANY + 1):
        change = ipb.IndicatorChanged()
        change.CopyFrom(CHANGES[cursor % len(CHANGES)])
        change.cursor = cursor
        if cursor == 42:
            change.value.period = FORMULA
        out.append(change)
    return out


@pytest.fixture(scope="module")
def feed() -> Iterator[httpx.Client]:
    with (backend_settings(Indicators(_log())) as settings, running_feed(settings) as url,
          httpx.Client(base_url=url, timeout=30) as client):
        yield client


def _csv(response: httpx.Response) -> list[list[str]]:
    assert response.status_code == 200, response.text
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def _xlsx(response: httpx.Response) -> list[list[Any]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    (sheet,) = book.worksheets
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _text(cell: Any) -> str:
    return "" if cell is None else str(cell)


def test_the_change_log_resource_is_the_whole_log_across_pages(feed):
    package = feed.get("/datapackage.json").json()
    resource = next(r for r in package["resources"] if r["name"] == "indicator-changes")
    rows = _csv(feed.get(resource["path"]))
    assert [int(r[0]) for r in rows[1:]] == list(range(1, MANY + 1))
    paged = _csv(feed.get("/api/v1/indicator-changes.csv"))
    assert len(paged) == 1 + 500   # the paged route still answers one page


def test_frictionless_validates_the_published_data_package(feed):
    report = frictionless.validate(str(feed.base_url).rstrip("/") + "/datapackage.json")
    assert report.valid, report.flatten(["resourcePath", "rowNumber", "fieldName", "type", "note"])
    stats = {task.name: task.stats["rows"] for task in report.tasks}
    assert stats["indicator-changes"] == MANY


@pytest.mark.parametrize("csv_path, xlsx_path", [
    ("/api/v1/indicators.csv?territory=440700", "/api/v1/indicators.xlsx?territory=440700"),
    ("/api/v1/platforms.csv", "/api/v1/platforms.xlsx"),
    ("/api/v1/indicator-changes/complete.csv", "/api/v1/indicator-changes.xlsx"),
    ("/api/v1/platform-changes.csv?limit=5000", "/api/v1/platform-changes.xlsx"),
])
def test_every_dataset_as_xlsx_holds_the_rows_of_its_csv(feed, csv_path, xlsx_path):
    expected = _csv(feed.get(csv_path))
    cells = [[_text(c) for c in row] for row in _xlsx(feed.get(xlsx_path))]
    assert len(expected) > 1 and cells[0] == expected[0]
    # An indicator value "now" is computed at the time of the request (computed_at).
    kept = [n for n, name in enumerate(expected[0]) if name != "computed_at"]
    assert [[row[n] for n in kept] for row in cells] == [[row[n] for n in kept] for row in expected]


@pytest.mark.parametrize("path", ["/api/v1/indicators", "/api/v1/platforms",
                                  "/api/v1/indicator-changes", "/api/v1/platform-changes"])
def test_a_dataset_route_answers_xlsx_when_accept_asks_for_it(feed, path):
    spreadsheet = feed.get(path, params={"limit": 3} if "changes" in path else {},
                           headers={"Accept": XLSX})
    answer = feed.get(path, params={"limit": 3} if "changes" in path else {})
    assert answer.headers["content-type"].startswith("application/json")
    assert "Accept" in spreadsheet.headers["vary"] and "Accept" in answer.headers["vary"]
    assert spreadsheet.headers["etag"] != answer.headers["etag"]   # two representations
    rows = next(v for k, v in answer.json().items() if isinstance(v, list) and k != "columns")
    cells = _xlsx(spreadsheet)
    key = cells[0][0]   # id or cursor: the JSON's keys are sorted, the sheet's in CSV order
    assert len(cells) == 1 + len(rows) and [r[0] for r in cells[1:]] == [r[key] for r in rows]
    again = feed.get(path, params={"limit": 3} if "changes" in path else {},
                     headers={"Accept": XLSX, "If-None-Match": spreadsheet.headers["etag"]})
    assert again.status_code == 304


def test_a_formula_like_text_is_neutralised_in_xlsx_as_in_csv(feed):
    response = feed.get("/api/v1/indicator-changes.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    header, *rows = sheet.iter_rows(max_row=1 + 42)
    column = [c.value for c in header].index("period")
    cell = rows[41][column]   # the change with cursor 42
    assert cell.data_type == "s" and cell.value == "'" + FORMULA
    assert not any(c.data_type == "f" for row in rows for c in row)
    text = _csv(feed.get("/api/v1/indicator-changes/complete.csv"))
    assert text[42][column] == "'" + FORMULA


def test_csv_with_a_bom_for_excel_and_without_by_default(feed):
    plain = feed.get("/api/v1/platforms.csv")
    marked = feed.get("/api/v1/platforms.csv", params={"bom": "true"})
    assert not plain.content.startswith(b"\xef\xbb\xbf")
    assert marked.content == b"\xef\xbb\xbf" + plain.content
    refused = feed.get("/api/v1/platforms.csv", params={"bom": "maybe"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "bom"


def test_the_catalogues_list_the_xlsx_and_the_complete_csv(feed):
    urls = {d["downloadURL"] if "downloadURL" in d else d.get("accessURL")
            for ds in feed.get("/data.json").json()["dataset"] for d in ds["distribution"]}
    base = str(feed.base_url).rstrip("/")
    assert {f"{base}/api/v1/{name}.xlsx" for name in ("indicators", "platforms",
                                                      "indicator-changes")} <= urls
    assert f"{base}/api/v1/indicator-changes/complete.csv" in urls
