"""SDMX REST 2.x routes of the indicators under /sdmx/v2: structures (dataflow, datastructure,
codelist, conceptscheme) as SDMX-JSON 2.0.0 or SDMX-ML 3.0.0, and data as SDMX-CSV 2.0.0 or SDMX-JSON 2.0.0
with updatedAfter, asOf, includeHistory, firstNObservations and lastNObservations.

Observations are the plan's year-end values (TIME_PERIOD is the year); without a time
parameter they are the values the JSON API gives for those dates.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response

from services.opendata import sdmx_params as sp
from services.opendata import sdmx_structure as st
from services.opendata.backends import Backends
from services.opendata.conditional import NotModified, is_fresh, version_of
from services.opendata.errors import FeedError, bad_parameter
from services.opendata.responses import conditional, json_bytes
from services.opendata.sdmx_data import CSV_MEDIA, JSON_MEDIA, to_sdmx_csv, to_sdmx_json
from services.opendata.sdmx_ml import STRUCTURE_MEDIA as ML_STRUCTURE_MEDIA
from services.opendata.sdmx_ml import structure_message
from services.opendata.sdmx_vintage import (
    Observation,
    changed,
    first_last,
    observation,
    updated_after,
    versions,
    vintage,
)
from yinling.config import Settings
from yinling.envelope import format_time
from yinling.plan import Plan

ROOT = "/sdmx/v2"
STRUCTURE_TYPES = ("dataflow", "datastructure", "codelist", "conceptscheme")


def _paths(prefix: str, parts: Sequence[str]) -> list[str]:
    """The path and its shorter forms: trailing parts left out default to `*`."""
    return [prefix + "".join(f"/{{{p}}}" for p in parts[:n]) for n in range(len(parts), -1, -1)]


def negotiated(response: Response) -> Response:
    response.headers["Vary"] = "Accept"   # the format may come from Accept
    return response


def add_sdmx_routes(app: FastAPI, backends: Callable[[Request], Backends], settings: Settings,
                    plans: Callable[[], list[Plan]]) -> None:

    def chosen(agency: str, flow: str, version: str) -> list[Plan]:
        if agency not in ("*", st.AGENCY) or (version not in sp.WILDCARD_VERSIONS and version != st.VERSION):
            return []
        return [p for p in plans() if flow in ("*", st.dataflow_id(p))]

    started = format_time(datetime.now(UTC).replace(microsecond=0))

    def now() -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")   # of one width

    def structures(kind: str, agency: str, resource: str, version: str, references: str) -> dict:
        flows = chosen(agency, "*", version)
        if not flows:
            raise FeedError(404, None, f"no {kind} of agency {agency!r} at version {version!r}; "
                                       f"this service is agency {st.AGENCY}, version {st.VERSION}")
        # Prepared when the feed started: the structures are the plan files', read then.
        found = st.query(flows, kind, resource, references, started)
        if found is None:
            raise FeedError(404, None, f"no {kind} {agency}/{resource}/{version}")
        return found

    def structure_route(kind: str) -> None:
        def route(request: Request, agency: str = "*", resource: str = "*", version: str = "*",
                  references: str | None = None, detail: str | None = None,
                  format: str | None = None) -> Response:  # noqa: A002 (SDMX's name)
            if references is not None and references not in sp.REFERENCES:
                raise sp.not_implemented("references", f"references={references!r} is not implemented "
                                                       f"(served: {', '.join(sorted(sp.REFERENCES))})")
            sp.unsupported(detail=detail)
            kind_of = sp.structure_format(format, request.headers.get("accept"),
                                          f"{st.STRUCTURE_MEDIA} or {ML_STRUCTURE_MEDIA}")
            found = structures(kind, agency, resource, version, references or "none")
            if kind_of == "xml":
                return negotiated(conditional(request, structure_message(found), ML_STRUCTURE_MEDIA))
            return negotiated(conditional(request, json_bytes(found), st.STRUCTURE_MEDIA))
        for path in _paths(f"{ROOT}/structure/{kind}", ("agency", "resource", "version")):
            app.add_api_route(path, route, methods=["GET"], name=f"sdmx_{kind}_{path.count('{')}")

    for kind in STRUCTURE_TYPES:
        structure_route(kind)

    def observations(request: Request, plan: Plan, as_of: datetime | None, since: datetime | None,
                     history: bool) -> tuple[list[Observation], list[Observation]]:
        codes = set(st.indicator_codes(plan))
        current = [observation(v, day.isoformat()) for day in plan.series
                   for v in backends(request).list_indicators("", day.isoformat(), plan.id)
                   if v.indicator_id in codes]
        if as_of is None and since is None and not history:
            return current, []
        log = [changed(c) for c in backends(request).every_change()
               if c.value.plan_id == plan.id and c.series != "now" and c.value.indicator_id in codes]
        return current, log

    def check_version(request: Request, kind: str) -> None:
        """ETag and Last-Modified from the change log (conditional.py), one ETag per format: the
        format may come from Accept, so a cache must tell the representations apart."""
        latest = backends(request).latest_change()
        version = version_of(request, latest.cursor, latest.recorded_at, settings.time_zone, False)
        version = replace(version, etag=f'{version.etag[:-1]}-{kind}"')
        request.state.version = version
        if is_fresh(request, version):
            raise NotModified(version)

    @app.get(ROOT + "/data/dataflow/{agency}/{resource}/{version}/{key}")
    @app.get(ROOT + "/data/dataflow/{agency}/{resource}/{version}")
    @app.get(ROOT + "/data/dataflow/{agency}/{resource}")
    def data(request: Request, agency: str, resource: str, version: str = "*", key: str = "*",
             updatedAfter: str | None = None, asOf: str | None = None,  # noqa: N803 (SDMX names)
             includeHistory: str | None = None, firstNObservations: str | None = None,  # noqa: N803
             lastNObservations: str | None = None, format: str | None = None,  # noqa: A002,N803
             dimensionAtObservation: str | None = None, attributes: str | None = None,  # noqa: N803
             measures: str | None = None, offset: str | None = None, limit: str | None = None,
             sort: str | None = None, reportingYearStartDay: str | None = None) -> Response:  # noqa: N803
        kind = sp.data_format(format, request.headers.get("accept"))
        zone = settings.time_zone
        since, as_of = sp.moment(updatedAfter, "updatedAfter", zone), sp.moment(asOf, "asOf", zone)
        if since and as_of and since > as_of:
            raise bad_parameter("updatedAfter", "is after asOf; a change after the moment asked for "
                                                "cannot have been published by then")
        history = sp.boolean(includeHistory, "includeHistory")
        first = sp.count(firstNObservations, "firstNObservations")
        last = sp.count(lastNObservations, "lastNObservations")
        sp.unsupported(dimensionAtObservation=dimensionAtObservation, attributes=attributes,
                       measures=measures, offset=offset, limit=limit, sort=sort,
                       reportingYearStartDay=reportingYearStartDay)
        if history and kind == "csv":
            raise sp.not_implemented("includeHistory", "SDMX-CSV 2.0 has no dataset validity; "
                                                       f"ask for {JSON_MEDIA} (format=json)")
        keys = sp.key_filter(key)
        flows = chosen(agency, resource, version)
        if len(flows) != 1:
            raise FeedError(404, None, f"no dataflow {agency}/{resource}/{version}; "
                                       f"known: {', '.join(st.dataflow_id(p) for p in plans())}")
        plan = flows[0]
        check_version(request, kind)   # a bad query is refused before it could be "not modified"
        current, log = observations(request, plan, as_of, since, history)
        current = [o for o in current if sp.matches(keys, (o.indicator, o.territory))]
        log = [o for o in log if sp.matches(keys, (o.indicator, o.territory))]
        if history:
            groups = versions(current, log, as_of)
            if since:
                groups = [(m, g) for m, g in groups if m is not None and m > since]
            groups = [(m, kept) for m, g in groups if (kept := first_last(g, first, last))]
            if not groups:
                return Response(status_code=204)
            return negotiated(conditional(request, to_sdmx_json(plan, groups, now()), JSON_MEDIA))
        cells = vintage(current, log, as_of) if log or as_of else current
        if since:
            cells = updated_after(cells, since)
        cells = first_last(cells, first, last)
        if not cells:   # "an empty but still healthy state" (SDMX REST, status codes)
            return Response(status_code=204)
        if kind == "csv":
            return negotiated(conditional(request, to_sdmx_csv(plan, cells), CSV_MEDIA))
        return negotiated(conditional(request, to_sdmx_json(plan, [(None, cells)], now()), JSON_MEDIA))
