"""A Frictionless (Tabular) Data Package descriptor for the feed's CSV files.

Field order comes from the same column tuples the CSV writer uses, so the schema cannot
drift from the header; only the types and descriptions are stated here.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.opendata.catalog import DATASETS, LICENSE, PUBLISHER, PUBLISHER_EN, csv_path
from services.opendata.formatting import (
    CHANGE_COLUMNS,
    HISTORY_COLUMNS,
    INDICATOR_COLUMNS,
    PLATFORM_COLUMNS,
)
from yinling.territory import CITY, DISTRICTS

TERRITORIES = [CITY, *DISTRICTS]
PLAN_SOURCE = "江门市“科技引领”工程三年行动方案（2022-2024年）"

# name -> (Table Schema type, description, constraints)
INDICATOR_FIELDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "plan_id": ("string", "Identifier of the action plan", {"required": True}),
    "indicator_id": ("string", "Stable identifier of the indicator", {"required": True}),
    "territory": ("string", "GB/T 2260 code; 440700 is the whole city", {"enum": TERRITORIES}),
    "as_of": ("date", "Date the value is stated for", {"required": True}),
    "period": ("string", "What the value covers, e.g. a year; empty for stocks", {}),
    "name_zh": ("string", "Name in Chinese", {}),
    "name_en": ("string", "Name in English", {}),
    "kind": ("string", "stock, per_year, cumulative, ratio or coverage", {}),
    "value": ("number", "Exact decimal value; empty when unavailable (see note)", {}),
    "suppressed": ("boolean", "Withheld under the small-cell rule (fewer than the plan's minimum "
                   "of contributing enterprises or people): value is then empty", {}),
    "unit": ("string", "Unit of value, baseline, target and expected", {}),
    "baseline": ("number", "Value at the start of the plan", {}),
    "target": ("number", "Target of the plan; empty when none applies", {}),
    "target_date": ("date", "Date the target is due", {}),
    "expected": ("number", "Straight path from baseline to target at as_of", {}),
    "progress": ("number", "value / target (0 when no target)", {"minimum": 0}),
    "status": ("string", "Against the expected path",
               {"enum": ["ahead", "on_track", "behind", "no_target", "unspecified"]}),
    "note": ("string", "Why a value is unavailable, if it is", {}),
    "computed_at": ("datetime", "When the value was computed (RFC 3339)", {}),
}

PLATFORM_FIELDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "id": ("string", "Stable identifier of the platform", {"required": True, "unique": True}),
    "name": ("string", "Name of the platform", {}),
    "kind": ("string", "Kind of platform, e.g. key_laboratory", {}),
    "level": ("string", "Accreditation level",
              {"enum": ["national", "provincial", "municipal"]}),
    "district": ("string", "GB/T 2260 code of the district", {"enum": list(DISTRICTS)}),
    "host_organisation": ("string", "Organisation hosting the platform", {}),
    "industry_cluster": ("string", "Industry cluster served", {}),
    "accredited_since": ("date", "Start of the current unbroken accreditation", {}),
    "status": ("string", "Only accredited platforms are published", {"enum": ["accredited"]}),
}


_CURSOR = ("integer", "Position in the change log; increasing; pass it as ?after= to resume",
           {"required": True, "unique": True, "minimum": 1})
_STATUS = ("string", "Against the expected path",
           {"enum": ["ahead", "on_track", "behind", "no_target", "unspecified"]})
CHANGE_FIELDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    **{k: INDICATOR_FIELDS[k] for k in ("plan_id", "indicator_id", "territory", "as_of",
                                        "period", "unit")},
    "cursor": _CURSOR,
    "series": ("string", '"now", or the year-end date of the plan the series is for', {}),
    "value": ("number", "Exact decimal value after the change; empty when unavailable", {}),
    "suppressed": INDICATOR_FIELDS["suppressed"],
    "previous_value": ("number", "Value before the change; empty when first computed", {}),
    "status": _STATUS,
    "computed_at": ("datetime", "When the changed value was computed and recorded (RFC 3339)", {}),
}
HISTORY_FIELDS = {k: CHANGE_FIELDS[k] for k in HISTORY_COLUMNS if k in CHANGE_FIELDS} | {
    "expected": INDICATOR_FIELDS["expected"]}


def _schema(columns: tuple[str, ...], types: dict[str, tuple[str, str, dict[str, Any]]],
            primary_key: list[str]) -> dict[str, Any]:
    fields = []
    for name in columns:  # KeyError here means a CSV column was added without a type
        kind, description, constraints = types[name]
        field: dict[str, Any] = {"name": name, "type": kind, "description": description}
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    return {"fields": fields, "missingValues": [""], "primaryKey": primary_key}


SCHEMAS = {
    "indicators": _schema(INDICATOR_COLUMNS, INDICATOR_FIELDS,
                          ["plan_id", "indicator_id", "territory", "as_of"]),
    "platforms": _schema(PLATFORM_COLUMNS, PLATFORM_FIELDS, ["id"]),
    "indicator-changes": _schema(CHANGE_COLUMNS, CHANGE_FIELDS, ["cursor"]),
    "indicator-history": _schema(HISTORY_COLUMNS, HISTORY_FIELDS, ["cursor"]),
}
HISTORY = "indicator-history"


def _files(base: str, indicator_ids: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """(name, title, description, CSV URL) of each resource; the history's path is a
    template, so it becomes one resource (the city's "now" series) per indicator."""
    out = []
    for d in DATASETS:
        ident, title_en, title_zh, template = (str(d["id"]), str(d["title_en"]), str(d["title_zh"]),
                                                str(d["path"]))
        if ident != HISTORY:
            out.append((ident, title_en, title_zh, f"{base}{csv_path(d)}"))
            continue
        for i in indicator_ids:
            path = template.replace("{indicator_id}", i)
            name = f"{HISTORY}-{i.replace('_', '-')}"   # resource names allow no "_"
            out.append((name, f"{title_en}: {i}", title_zh, f"{base}{path}.csv"))
    return out


def descriptor(base: str, indicator_ids: Sequence[str] = ()) -> dict[str, Any]:
    licence = {"name": "CC-BY-4.0", "path": LICENSE, "title": "Creative Commons Attribution 4.0"}
    return {
        "profile": "tabular-data-package",
        "name": "yinling-jiangmen-st-leading",
        "title": "Jiangmen S&T Leading Project 2022-2024: open data (江门科技引领开放数据)",
        "homepage": f"{base}/",
        "licenses": [licence],
        "sources": [
            {"title": f"{PLAN_SOURCE} / {PUBLISHER}"},
            {"title": f"Yinling open-data feed of the {PUBLISHER_EN}", "path": f"{base}/api/v1"},
        ],
        "contributors": [{"title": PUBLISHER_EN, "role": "publisher"}],
        "resources": [
            {
                "name": name, "title": title, "description": description,
                "path": url, "profile": "tabular-data-resource",
                "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "licenses": [licence],
                "schema": SCHEMAS[HISTORY if name.startswith(HISTORY) else name],
            }
            for name, title, description, url in _files(base, indicator_ids)
        ],
    }
