"""The Frictionless Data Package descriptor of the feed's CSV files."""
from __future__ import annotations

import re

from services.opendata.datapackage import descriptor
from services.opendata.formatting import (
    CHANGE_COLUMNS,
    HISTORY_COLUMNS,
    INDICATOR_COLUMNS,
    PLATFORM_COLUMNS,
)

TABLE_SCHEMA_TYPES = {"string", "number", "integer", "boolean", "date", "datetime", "year"}


def _resources() -> dict[str, dict]:
    package = descriptor("http://feed.example", ["rd_intensity", "tech_smes"])
    return {r["name"]: r for r in package["resources"]}


def test_each_resource_lists_the_csv_header_in_order():
    resources = _resources()
    assert [f["name"] for f in resources["indicators"]["schema"]["fields"]] == list(INDICATOR_COLUMNS)
    assert [f["name"] for f in resources["platforms"]["schema"]["fields"]] == list(PLATFORM_COLUMNS)
    assert ([f["name"] for f in resources["indicator-changes"]["schema"]["fields"]]
            == list(CHANGE_COLUMNS))
    assert ([f["name"] for f in resources["indicator-history-tech-smes"]["schema"]["fields"]]
            == list(HISTORY_COLUMNS))


def test_each_indicator_gets_a_history_file_with_a_valid_resource_name():
    resources = _resources()
    assert resources["indicator-history-rd-intensity"]["path"] == (
        "http://feed.example/api/v1/indicators/rd_intensity/history.csv")
    assert {n for n in resources if n.startswith("indicator-history")} == {
        "indicator-history-rd-intensity", "indicator-history-tech-smes"}
    assert all(re.fullmatch(r"[-a-z0-9._/]+", name) for name in resources)
    assert not [r for r in descriptor("http://feed.example")["resources"]
                if "{" in r["path"]]  # no URI template where a file is expected


def test_every_field_has_a_table_schema_type_and_a_description():
    for resource in _resources().values():
        for field in resource["schema"]["fields"]:
            assert field["type"] in TABLE_SCHEMA_TYPES, field
            assert field["description"], field


def test_resources_point_at_the_csv_files_with_licence_and_primary_key():
    package = descriptor("http://feed.example")
    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert any("科技引领" in s["title"] for s in package["sources"])
    resources = _resources()
    assert resources["indicators"]["path"] == "http://feed.example/api/v1/indicators.csv"
    assert resources["platforms"]["path"] == "http://feed.example/api/v1/platforms.csv"
    assert resources["platforms"]["schema"]["primaryKey"] == ["id"]
    for resource in resources.values():
        assert (resource["format"], resource["encoding"]) == ("csv", "utf-8")
        assert resource["profile"] == "tabular-data-resource"
        names = {f["name"] for f in resource["schema"]["fields"]}
        assert set(resource["schema"]["primaryKey"]) <= names
