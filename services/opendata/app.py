"""The public open-data feed: read-only HTTP over the indicator and platform services."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from services.opendata import (
    catalog,
    dashboard,
    datapackage,
    keeping_up,
    openapi,
    page,
    params,
    serving,
)
from services.opendata.backends import Backends
from services.opendata.catalog_routes import add_catalog_routes
from services.opendata.changes import add_change_routes
from services.opendata.conditional import NotModified, check, not_modified_handler
from services.opendata.errors import FeedError, feed_error_handler, validation_error_handler
from services.opendata.formatting import (
    HISTORY_COLUMNS,
    INDICATOR_COLUMNS,
    PLATFORM_COLUMNS,
    history_point,
    indicator_row,
    is_public_platform,
    platform_public,
)
from services.opendata.http_metrics import FeedMetrics, MetricsMiddleware
from services.opendata.loading import current_load
from services.opendata.negotiation import prefers_html
from services.opendata.plans import loader
from services.opendata.responses import (
    HTML,
    Bom,
    conditional,
    csv_file,
    dataset,
    json_response,
    spreadsheet,
)
from services.opendata.sdmx_routes import add_sdmx_routes
from services.opendata.series import add_series_routes
from services.opendata.webhook_delivery import DeliveryOptions
from services.opendata.webhooks import access_rule
from yinling.config import Settings
from yinling.http_access import AccessMiddleware, HttpAccess, tokens_database_parts
from yinling.territory import CITY


def create_app(settings: Settings, webhooks: DeliveryOptions | None = None) -> FastAPI:
    """Channels open when the app starts and close when it stops: nothing connects here."""

    access = HttpAccess("opendata", tokens_database_parts("opendata", settings))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.backends = Backends.from_settings(settings)
        try:
            async with keeping_up.running(app, settings, webhooks or DeliveryOptions.from_env()):
                yield
        finally:
            app.state.backends.close()
            access.close()

    app = FastAPI(title="Yinling open data", version="1", lifespan=lifespan,
                  docs_url="/docs", redoc_url=None)
    serving.install(app, settings.opendata_rate_limit)
    metrics = FeedMetrics()
    facts = dashboard.load_facts(settings.plan_path)
    app.mount("/static", StaticFiles(packages=[("services.opendata", "static")]), name="static")
    # Reads are public; a presented token must be valid; refusals are audited (yinling.http_access).
    app.add_middleware(AccessMiddleware, access=access, rule_of=access_rule)
    app.add_middleware(MetricsMiddleware, metrics=metrics)  # outermost: refusals are counted too
    app.add_exception_handler(FeedError, feed_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(NotModified, not_modified_handler)

    def backends(request: Request) -> Backends:
        return request.app.state.backends  # type: ignore[no-any-return]

    def indicators_version(request: Request) -> None:
        """ETag and Last-Modified of the indicator routes from the change log (conditional.py)."""
        latest = backends(request).latest_change()
        route = getattr(request.scope.get("route"), "path", "")
        daily = route in values_now and not request.query_params.get("as_of")
        check(request, latest.cursor, latest.recorded_at, settings.time_zone, daily)

    # Routes whose values are "now" unless ?as_of= is given.
    values_now = {"/api/v1/indicators", "/api/v1/indicators.csv", "/api/v1/indicators.xlsx",
                  "/api/v1/indicators/{indicator_id}"}
    versioned = [Depends(indicators_version)]

    def base(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    @app.get("/")
    def index(request: Request, territory: str | None = None,
              as_of: str | None = None) -> Response:
        """People (browsers) get the indicator page; machines the JSON index, as before."""
        if not prefers_html(request.headers.get("accept")):
            response = json_response(request, catalog.index(base(request)))
        else:
            response = indicator_page(request, territory, as_of)
        response.headers["Vary"] = "Accept"
        return response

    @app.get("/api/v1")
    def api_index(request: Request) -> Response:
        return json_response(request, catalog.index(base(request)))

    @app.get("/datapackage.json")
    def data_package(request: Request) -> Response:
        # One history resource per indicator, so every resource path is a real CSV file.
        ids = sorted({v.indicator_id for v in backends(request).list_indicators(CITY, "")})
        return json_response(request, datapackage.descriptor(base(request), ids))

    def indicator_page(request: Request, territory: str | None, as_of: str | None) -> Response:
        # A bad query or a backend that is down still gets the page (with the form), so the
        # person can choose again; the status code tells machines what happened.
        where, when, status = CITY, page.NOW, 200
        loading = current_load(settings.data_dir)
        try:
            where = params.territory(territory) or CITY
            when = (facts.default_view(dashboard.today(settings.time_zone)) if not as_of
                    else page.NOW if as_of == page.NOW else params.as_of(as_of))
            seen = dashboard.gather(backends(request), facts, where, when, settings.time_zone)
            view = page.PageView(where, when, seen.rows, loading=loading, facts=facts,
                                 updated=seen.updated, histories=seen.histories,
                                 districts=seen.districts)
        except FeedError as exc:
            status = exc.status
            view = page.PageView(where, when, loading=loading, facts=facts,
                                 error=f"{exc.field + ': ' if exc.field else ''}{exc.reason}")
        body = page.render(view).encode("utf-8")
        if status != 200:
            return Response(body, status_code=status, media_type=HTML)
        return conditional(request, body, HTML)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def indicator_rows(request: Request, territory: str | None, as_of: str | None) -> list[dict]:
        values = backends(request).list_indicators(params.territory(territory), params.as_of(as_of))
        return [indicator_row(v) for v in values]

    @app.get("/api/v1/indicators", dependencies=versioned)
    def indicators(request: Request, territory: str | None = None,
                   as_of: str | None = None) -> Response:
        rows = indicator_rows(request, territory, as_of)
        return dataset(request, {"indicators": rows}, rows, INDICATOR_COLUMNS, "indicators")

    @app.get("/api/v1/indicators.csv", dependencies=versioned)
    def indicators_csv(request: Request, territory: str | None = None,
                       as_of: str | None = None, bom: Bom = False) -> Response:
        rows = indicator_rows(request, territory, as_of)
        return csv_file(request, rows, INDICATOR_COLUMNS, "indicators", bom)

    @app.get("/api/v1/indicators.xlsx", dependencies=versioned)
    def indicators_xlsx(request: Request, territory: str | None = None,
                        as_of: str | None = None) -> Response:
        rows = indicator_rows(request, territory, as_of)
        return spreadsheet(request, rows, INDICATOR_COLUMNS, "indicators")

    @app.get("/api/v1/indicators/{indicator_id}", dependencies=versioned)
    def indicator(request: Request, indicator_id: str, territory: str | None = None,
                  as_of: str | None = None) -> Response:
        value = backends(request).get_indicator(
            params.code(indicator_id, "indicator_id"), params.territory(territory) or CITY,
            params.as_of(as_of))
        return json_response(request, indicator_row(value))

    @app.get("/api/v1/indicators/{indicator_id}/history", dependencies=versioned)
    def indicator_history(request: Request, indicator_id: str, territory: str | None = None,
                          series: str | None = None) -> Response:
        where = params.territory(territory) or CITY
        which = params.series(series)
        points = backends(request).indicator_history(
            params.code(indicator_id, "indicator_id"), where, which)
        return json_response(request, {
            "indicator_id": indicator_id, "territory": where, "series": which,
            "columns": list(HISTORY_COLUMNS), "points": [history_point(p) for p in points]})

    @app.get("/api/v1/platforms")
    def platforms(request: Request, district: str | None = None, kind: str | None = None,
                  level: str | None = None, cursor: str | None = None,
                  limit: str | None = None) -> Response:
        page = backends(request).platform_page(
            params.district(district), params.code(kind, "kind"), params.level(level),
            cursor or "", params.limit(limit))
        rows = [platform_public(p) for p in page.platforms if is_public_platform(p)]
        return dataset(request, {"platforms": rows, "next_cursor": page.next_page_token or None,
                                 "total": page.total}, rows, PLATFORM_COLUMNS, "platforms")

    def platform_rows(request: Request, district: str | None, kind: str | None,
                      level: str | None) -> Iterator[dict[str, str]]:
        every = backends(request).all_platforms(
            params.district(district), params.code(kind, "kind"), params.level(level))
        return (platform_public(p) for p in every if is_public_platform(p))

    @app.get("/api/v1/platforms.csv")
    def platforms_csv(request: Request, district: str | None = None, kind: str | None = None,
                      level: str | None = None, bom: Bom = False) -> Response:
        rows = platform_rows(request, district, kind, level)
        return csv_file(request, rows, PLATFORM_COLUMNS, "platforms", bom)

    @app.get("/api/v1/platforms.xlsx")
    def platforms_xlsx(request: Request, district: str | None = None, kind: str | None = None,
                       level: str | None = None) -> Response:
        rows = platform_rows(request, district, kind, level)
        return spreadsheet(request, rows, PLATFORM_COLUMNS, "platforms")

    add_change_routes(app, backends, base, versioned)
    keeping_up.add_routes(app, base)
    add_catalog_routes(app, backends, base, settings.opendata_contact)
    plans = loader(settings)
    add_sdmx_routes(app, backends, settings, plans)
    add_series_routes(app, backends, plans, versioned)
    openapi.install(app, plans)
    return app
