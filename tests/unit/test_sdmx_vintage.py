"""Vintages of the year-end observations from the change log, worked out by hand."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

from services.opendata.sdmx_data import to_sdmx_csv, to_sdmx_json
from services.opendata.sdmx_params import key_filter, matches
from services.opendata.sdmx_vintage import Observation, first_last, updated_after, versions, vintage
from yinling.plan import load_plan

T1, T2, T3 = (datetime(2025, 1, d, tzinfo=UTC) for d in (1, 2, 3))


def obs(ind: str, year: str, value: str, at: datetime | None = None, suppressed: bool = False) -> Observation:
    return Observation(ind, "440703", year, "" if suppressed else value, suppressed, "teams",
                       "behind", "", at)


CURRENT = [obs("a", "2023", "5"), obs("b", "2023", "7"), obs("c", "2023", "1")]
LOG = [obs("a", "2023", "3", T1), obs("a", "2023", "5", T3), obs("c", "2023", "1", T2)]


def test_a_cell_is_as_its_last_change_up_to_the_moment_said_it_was() -> None:
    at = {o.indicator: (o.value, o.published) for o in vintage(CURRENT, LOG, datetime(2025, 1, 2, 12, tzinfo=UTC))}
    # a: 3 from T1 (its change at T3 came later); b never changed: as now; c: first published at T2
    assert at == {"a": ("3", T1), "b": ("7", None), "c": ("1", T2)}


def test_before_its_first_change_a_cell_had_not_been_published() -> None:
    at = {o.indicator for o in vintage(CURRENT, LOG, datetime(2024, 12, 31, tzinfo=UTC))}
    assert at == {"b"}


def test_now_is_the_current_values_with_when_they_were_published() -> None:
    now = {o.indicator: (o.value, o.published) for o in vintage(CURRENT, LOG)}
    assert now == {"a": ("5", T3), "b": ("7", None), "c": ("1", T2)}
    assert [o.indicator for o in updated_after(vintage(CURRENT, LOG), T2)] == ["a"]


def test_history_is_one_version_per_publication_after_the_unchanged_cells() -> None:
    got = [(moment, [(o.indicator, o.value) for o in group]) for moment, group in versions(CURRENT, LOG)]
    assert got == [(None, [("b", "7")]), (T1, [("a", "3")]), (T2, [("c", "1")]), (T3, [("a", "5")])]


def test_last_and_first_n_observations_are_per_series() -> None:
    cells = [obs("a", y, y) for y in ("2022", "2023", "2024")] + [obs("b", "2022", "1")]
    assert [(o.indicator, o.period) for o in first_last(cells, None, 1)] == [("a", "2024"), ("b", "2022")]
    assert [o.period for o in first_last(cells, 1, 1) if o.indicator == "a"] == ["2022", "2024"]


def test_keys_select_by_dimension_with_wildcards_and_alternatives() -> None:
    assert matches(key_filter("a+b.440703"), ("b", "440703"))
    assert not matches(key_filter("a+b.440703"), ("c", "440703"))
    assert matches(key_filter(".440703,c.*"), ("c", "440704"))
    assert matches(key_filter("*"), ("z", "440785"))


def test_a_withheld_value_is_never_written_as_a_number() -> None:
    plan = load_plan("plans/jiangmen-2022-2024.yaml")
    cells = [obs("talent_teams", "2023", "2", suppressed=True), obs("talent_teams", "2024", "9")]
    rows = list(csv.DictReader(io.StringIO(to_sdmx_csv(plan, cells).decode())))
    assert [(r["OBS_VALUE"], r["CONF_STATUS"]) for r in rows] == [("", "C"), ("9", "F")]
    assert rows[0]["STRUCTURE_ID"] == "YINLING:jiangmen-2022-2024(1.0.0)"
    message = json.loads(to_sdmx_json(plan, [(None, cells)], "2025-01-01T00:00:00.000000Z"))
    values = sorted(message["data"]["dataSets"][0]["observations"].values(), key=lambda v: str(v[0]))
    attributes = message["data"]["structures"][0]["attributes"]["observation"]
    at = next(n for n, a in enumerate(attributes) if a["id"] == "CONF_STATUS")
    assert "TARGET" not in [a["id"] for a in attributes]   # no value to list: left out
    conf = attributes[at]["values"]
    assert [(v[0], conf[v[1 + at]]["id"]) for v in values] == [(9.0, "F"), (None, "C")]


def test_structure_queries_give_the_artefact_and_with_references_what_it_uses() -> None:
    from services.opendata.sdmx_structure import query
    plan = load_plan("plans/jiangmen-2022-2024.yaml")
    flow = query([plan], "dataflow", plan.id, "none", "2025-01-01T00:00:00Z")
    assert flow is not None and list(flow["data"]) == ["dataflows"]
    full = query([plan], "dataflow", "*", "all", "2025-01-01T00:00:00Z")
    assert full is not None and sorted(full["data"]) == ["codelists", "conceptSchemes", "dataStructures", "dataflows"]
    territories = query([plan], "codelist", "CL_TERRITORY", "none", "2025-01-01T00:00:00Z")
    assert territories is not None and [c["id"] for c in territories["data"]["codelists"]] == ["CL_TERRITORY"]
    assert len(territories["data"]["codelists"][0]["codes"]) == 8
    assert query([plan], "codelist", "CL_NOTHING", "all", "2025-01-01T00:00:00Z") is None
