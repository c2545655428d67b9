"""Observations as SDMX data messages: SDMX-CSV 2.0.0 and SDMX-JSON 2.0.0 (flat: every
dimension at the observation). A withheld value is an empty cell (CSV) or null (JSON) with
CONF_STATUS C, never a number. Pure: no I/O.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from services.opendata import sdmx_structure as st
from services.opendata.sdmx_vintage import Observation
from yinling.csv_export import to_csv
from yinling.envelope import format_time
from yinling.plan import Plan

CSV_MEDIA = "application/vnd.sdmx.data+csv;version=2.0.0"
JSON_MEDIA = "application/vnd.sdmx.data+json;version=2.0.0"
DATA_SCHEMA = "https://json.sdmx.org/2.0.0/sdmx-json-data-schema.json"
DIMENSIONS = ("INDICATOR", "REF_AREA", "TIME_PERIOD")
ATTRIBUTES = ("UNIT", "STATUS", "TARGET", "CONF_STATUS")
CSV_COLUMNS = ("STRUCTURE", "STRUCTURE_ID", "ACTION", *DIMENSIONS, "OBS_VALUE", *ATTRIBUTES)
# A version's dataset: None for the cells that never changed, else when it was published.
Version = tuple[datetime | None, list[Observation]]


def _cells(o: Observation) -> tuple[str, ...]:
    return (o.indicator, o.territory, o.period, o.value, o.unit, o.status, o.target,
            "C" if o.suppressed else "F")


def to_sdmx_csv(plan: Plan, observations: list[Observation]) -> bytes:
    """Action R (Replace): what a plain query or updatedAfter answers (SDMX-CSV field guide)."""
    head = {"STRUCTURE": "dataflow", "STRUCTURE_ID": st.structure_ref(plan), "ACTION": "R"}
    rows = ({**head, **dict(zip(CSV_COLUMNS[3:], _cells(o), strict=True))} for o in observations)
    return to_csv(rows, CSV_COLUMNS)


def _number(value: str) -> float | None:
    """Exact in the JSON number for the indicators' decimals (integers and a few decimals)."""
    return None if value == "" else float(Decimal(value))


def _values(ids: list[str], names: dict[str, tuple[str, str]] | None = None) -> list[dict[str, Any]]:
    out = []
    for i in ids:
        zh, en = (names or {}).get(i, (i, i))
        out.append({"id": i, "name": en, "names": {"en": en, "zh": zh}})
    return out


def _years(years: list[str]) -> list[dict[str, Any]]:
    return [{"id": y, "name": y, "start": f"{y}-01-01T00:00:00Z", "end": f"{y}-12-31T23:59:59Z"}
            for y in years]


def to_sdmx_json(plan: Plan, versions: list[Version], prepared: str, action: str = "Replace") -> bytes:
    """One dataset per version; a dataset published at a known moment says so (validFrom).
    At least one observation: an empty answer is 204 (SDMX REST), not an empty message."""
    every = [o for _moment, group in versions for o in group]
    dims = [sorted({o.indicator for o in every}), sorted({o.territory for o in every}),
            sorted({o.period for o in every})]
    attrs = [sorted({o.unit for o in every}), sorted({o.status for o in every}),
             sorted({o.target for o in every if o.target}), sorted({"C" if o.suppressed else "F" for o in every})]
    index = [{v: n for n, v in enumerate(values)} for values in (*dims, *attrs)]
    present = [n for n in range(len(ATTRIBUTES)) if attrs[n]]   # a value list may not be empty
    names = [st.indicator_codes(plan), st.territory_codes(plan), None]
    attr_names = [None, st.STATUS_CODES, None, st.CONF_CODES]

    def observations(group: list[Observation]) -> dict[str, list[Any]]:
        out = {}
        for o in group:
            cells = _cells(o)
            key = ":".join(str(index[n][cells[n]]) for n in range(3))
            attributes = [index[3 + n].get(cells[4 + n]) for n in present]
            out[key] = [_number(o.value), *attributes]
        return out

    flow_link = [{"urn": st.urn("Dataflow", st.dataflow_id(plan)), "rel": "dataflow"}]
    datasets = []
    for moment, group in versions:
        dataset: dict[str, Any] = {"structure": 0, "action": action, "links": flow_link,
                                   "observations": observations(group)}
        if moment is not None:
            dataset["validFrom"] = format_time(moment)
        datasets.append(dataset)
    dimension_list = [{"id": d, "keyPosition": n,
                       "values": _years(dims[n]) if d == "TIME_PERIOD" else _values(dims[n], names[n])}
                      for n, d in enumerate(DIMENSIONS)]
    dimension_list[2]["roles"] = ["TIME_PERIOD"]
    attribute_list: list[dict[str, Any]] = [{"id": a, "relationship": {"observation": {}},
                       "values": _values(attrs[n], attr_names[n]) if a in ("STATUS", "CONF_STATUS")
                       else [{"value": v} for v in attrs[n]]}
                      for n, a in enumerate(ATTRIBUTES) if n in present]
    structure = {
        "name": plan.name_en, "names": {"en": plan.name_en, "zh": plan.name_zh},
        "links": [{"urn": st.urn("Dataflow", st.dataflow_id(plan)), "rel": "dataflow"},
                  {"urn": st.urn("DataStructure", st.dsd_id(plan)), "rel": "datastructure"}],
        "dimensions": {"dataSet": [], "series": [], "observation": dimension_list},
        "measures": {"observation": [{"id": "OBS_VALUE", "name": "Value", "names": {"en": "Value"}}]},
        "attributes": {"dataSet": [], "series": [], "observation": attribute_list},
        "dataSets": list(range(len(datasets))),
    }
    message_id = st.dataflow_id(plan) + "-" + "".join(c for c in prepared if c.isalnum())
    message = {"meta": {"schema": DATA_SCHEMA, "id": message_id, "test": False,
                        "prepared": prepared, "contentLanguages": ["en", "zh"],
                        "sender": {"id": st.AGENCY}},
               "data": {"structures": [structure], "dataSets": datasets}}
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()
