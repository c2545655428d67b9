"""Query parameters and path parts of the SDMX REST routes, checked before any backend is
asked; what this service cannot honour is refused by name (501), never ignored."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from services.opendata.errors import FeedError, bad_parameter
from services.opendata.sdmx_data import CSV_MEDIA, JSON_MEDIA

FORMATS = {"csv": "csv", "sdmx-csv": "csv", "csvdata": "csv",
           "json": "json", "sdmx-json": "json", "jsondata": "json"}
WILDCARD_VERSIONS = {"*", "+", "~", "latest"}
REFERENCES = {"none", "children", "descendants", "all"}


def not_implemented(field: str, reason: str) -> FeedError:
    return FeedError(501, field, reason)


def moment(value: str | None, field: str, zone: str) -> datetime | None:
    """xs:dateTime; without an offset, the city's time; a bare date is the start of that day."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_parameter(field, f"{value!r} is not a date-time (e.g. 2024-12-31T18:00:00+08:00) "
                                   "or a date") from None
    if len(value) == 10:
        parsed = datetime.combine(parsed.date(), time())
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(zone))


def count(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or int(value) < 1:
        raise bad_parameter(field, f"{value!r} is not a positive integer")
    return int(value)


def boolean(value: str | None, field: str) -> bool:
    if value in (None, "", "false"):
        return False
    if value == "true":
        return True
    raise bad_parameter(field, f"{value!r} is not true or false")


def data_format(format_: str | None, accept: str | None) -> str:
    """The format parameter, else the Accept header; SDMX-JSON 2.0.0 by default."""
    if format_:
        if format_ not in FORMATS:
            raise bad_parameter("format", f"unknown format {format_!r}; expected one of {', '.join(FORMATS)}")
        return FORMATS[format_]
    for item in (accept or "").split(","):
        media, *options = [p.strip() for p in item.split(";")]
        version = next((o.split("=", 1)[1] for o in options if o.startswith("version=")), "2.0.0")
        if media in ("application/vnd.sdmx.data+csv", "application/vnd.sdmx.data+json"):
            if version != "2.0.0":
                raise FeedError(406, "Accept", f"{media} version {version} is not served; "
                                               f"ask for {CSV_MEDIA} or {JSON_MEDIA}")
            return "csv" if media.endswith("csv") else "json"
        if media in ("text/csv", "application/csv"):
            return "csv"
        if media in ("application/json", "*/*", "application/*", ""):
            return "json"
    raise FeedError(406, "Accept", f"none of {accept!r} is served; ask for {CSV_MEDIA} or {JSON_MEDIA}")


STRUCTURE_FORMATS = {"json": "json", "sdmx-json": "json", "xml": "xml", "sdmx-ml": "xml"}


def structure_format(format_: str | None, accept: str | None, served: str) -> str:
    """SDMX-JSON 2.0.0 (the default) or SDMX-ML 3.0.0, by the format parameter or Accept;
    any other format asked for is 406."""
    if format_:
        if format_ not in STRUCTURE_FORMATS:
            raise bad_parameter("format", f"unknown format {format_!r}; expected one of "
                                          f"{', '.join(STRUCTURE_FORMATS)}")
        return STRUCTURE_FORMATS[format_]
    for item in (accept or "*/*").split(","):
        media, *options = [p.strip() for p in item.split(";")]
        version = next((o.split("=", 1)[1] for o in options if o.startswith("version=")), "")
        if media in ("application/json", "*/*", "application/*", "") or (
                media == "application/vnd.sdmx.structure+json" and version in ("", "2.0.0")):
            return "json"
        if media in ("application/xml", "text/xml") or (
                media == "application/vnd.sdmx.structure+xml" and version in ("", "3.0.0")):
            return "xml"
    raise FeedError(406, "Accept", f"none of {accept!r} is served; structures are {served}")


def key_filter(key: str | None, dimensions: int = 2) -> list[list[set[str] | None]]:
    """SDMX keys (`ind.area`, `+` for several values, empty or `*` for any, `,` between keys);
    an empty list is every series."""
    if key in (None, "", "*", "all"):
        return []
    out: list[list[set[str] | None]] = []
    for one in key.split(","):
        parts = one.split(".")
        if len(parts) > dimensions:
            raise bad_parameter("key", f"{one!r} has {len(parts)} parts; the key has {dimensions} "
                                       "dimensions: INDICATOR.REF_AREA")
        parts += [""] * (dimensions - len(parts))
        out.append([None if p in ("", "*") else set(p.split("+")) for p in parts])
    return out


def matches(filters: list[list[set[str] | None]], values: tuple[str, ...]) -> bool:
    if not filters:
        return True
    return any(all(f is None or v in f for f, v in zip(one, values, strict=False)) for one in filters)


def unsupported(**given: str | None) -> None:
    """Parameters of SDMX REST this service does not honour: refused by name, not ignored."""
    honoured = {"dimensionAtObservation": {"AllDimensions"}, "attributes": {"dsd", "all"},
                "measures": {"all"}, "detail": {"full", "allstubs"}}
    for name, value in given.items():
        if value is None:
            continue
        if value not in honoured.get(name, set()):
            allowed = ", ".join(sorted(honoured.get(name, set()))) or "none"
            raise not_implemented(name, f"{name}={value!r} is not implemented by this service "
                                        f"(served: {allowed})")
