"""What every route of the feed does alike: HEAD as GET without the body, unknown query
parameters refused by name, CORS for browsers, and the per-client rate limit.

`install` is called before any route is added, so that its dependency reaches every route.
"""
from __future__ import annotations

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.opendata.errors import bad_parameter
from services.opendata.ratelimit import RateLimit, parse

# What a page in a browser may read of an answer, beyond the CORS-safelisted headers.
EXPOSED = ["ETag", "Last-Modified", "Link", "X-Next-Cursor", "Retry-After",
           "Content-Disposition"]


HEAD = "yinling.head"


class HeadAsGet:
    """HEAD is answered as GET is, with the same status and headers (Content-Length of the
    body included) and no body (RFC 9110 9.3.2)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        scope["method"] = "GET"   # in place: the metrics middleware reads the route from it
        scope[HEAD] = True        # for routes whose GET never ends (event streams)

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b""}
            await send(message)

        await self.app(scope, receive, without_body)


def _query_names(dependant: Dependant) -> set[str]:
    """The query parameters of a route and of every dependency it has."""
    names = {p.alias for p in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _declared(route: APIRoute) -> frozenset[str]:
    names = getattr(route, "_query_names", None)
    if names is None:
        names = frozenset(_query_names(route.dependant))
        route._query_names = names  # type: ignore[attr-defined]
    return names


def refuse_unknown_query(request: Request) -> None:
    """A misspelt parameter (?teritory=) would otherwise be ignored and the answer look right."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute):
        return
    known = _declared(route)
    unknown = sorted({k for k in request.query_params if k not in known})
    if unknown:
        expected = ", ".join(sorted(known)) or "none"
        raise bad_parameter(unknown[0], f"unknown query parameter{'s' if len(unknown) > 1 else ''} "
                                        f"{', '.join(unknown)}; this route takes: {expected}")


def install(app: FastAPI, rate_limit: str) -> None:
    app.router.dependencies.append(Depends(refuse_unknown_query))
    # Added innermost first: CORS outside the limit, so that a browser can read a 429.
    app.add_middleware(HeadAsGet)
    app.add_middleware(RateLimit, items=parse(rate_limit))   # a bad setting fails here
    app.add_middleware(CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD"],
                       allow_headers=["If-None-Match", "If-Modified-Since"],
                       expose_headers=EXPOSED, max_age=600)
