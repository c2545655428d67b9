"""Request counts of the feed, labelled by route template (not the raw path) and status,
so a crawler requesting many ids cannot blow up the number of series. Health checks and
scrapes of /metrics are not requests of the feed and are not counted."""
from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
# Probes and scrapes, not requests of the feed's users: not counted.
NOT_COUNTED = frozenset({"/healthz", "/metrics"})


class FeedMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("yinling_opendata_requests_total", "HTTP requests answered",
                                ["route", "code"], registry=self.registry)
        self.seconds = Histogram("yinling_opendata_request_seconds", "HTTP handling time",
                                 ["route"], registry=self.registry)


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: FeedMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in NOT_COUNTED:
            await self.app(scope, receive, send)
            return
        status = {"code": 500}
        started = time.perf_counter()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = _route_of(scope)
            self.metrics.requests.labels(route, str(status["code"])).inc()
            self.metrics.seconds.labels(route).observe(time.perf_counter() - started)


def _route_of(scope: Scope) -> str:
    route: Any = scope.get("route")
    return getattr(route, "path", UNMATCHED) if route is not None else UNMATCHED
