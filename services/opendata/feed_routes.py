"""Routes over the datasets' change feeds: the platforms' changes by cursor (JSON, as the
indicators' are in changes.py), an Atom feed per dataset, and a Server-Sent Events stream
per dataset whose event ids are cursors, so a client resumes with Last-Event-ID."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.opendata import atom, params
from services.opendata.changefeeds import PATHS, ChangeFeed, FeedPage
from services.opendata.changes import next_link
from services.opendata.errors import FeedError
from services.opendata.responses import Bom, conditional, csv_file, dataset, spreadsheet
from services.opendata.serving import HEAD

STREAM_POLL_S = 0.5    # how often a stream asks for new changes when it is caught up
STREAM_PAGE = 500
COMPLETE_PAGE = 5000   # the page size of the platforms' change feed at most


def add_feed_routes(app: FastAPI, feeds: Callable[[Request], dict[str, ChangeFeed]],
                    base: Callable[[Request], str]) -> None:
    def platform_changes_page(request: Request, path: str, after: str | None,
                              limit: str | None) -> tuple[ChangeFeed, FeedPage, str]:
        feed = feeds(request)["platforms"]
        size = params.limit(limit, 5000)
        page = feed.page(params.cursor(after), size)
        return feed, page, next_link(base(request), path, page.next_cursor, size, [], [])

    def with_next(response: Response, cursor: int, link: str) -> Response:
        response.headers["Link"] = f'<{link}>; rel="next"'
        response.headers["X-Next-Cursor"] = str(cursor)
        return response

    @app.get(PATHS["platforms"])
    def platform_changes(request: Request, after: str | None = None,
                         limit: str | None = None) -> Response:
        """Every insert, revision and deletion of the accredited platforms after `after`."""
        feed, page, link = platform_changes_page(request, PATHS["platforms"], after, limit)
        payload = {"columns": list(feed.columns), "changes": page.rows,
                   "next_cursor": page.next_cursor, "next": link}
        return with_next(dataset(request, payload, page.rows, feed.columns, "platform-changes"),
                         page.next_cursor, link)

    @app.get(PATHS["platforms"] + ".csv")
    def platform_changes_csv(request: Request, after: str | None = None,
                             limit: str | None = None, bom: Bom = False) -> Response:
        feed, page, link = platform_changes_page(request, PATHS["platforms"] + ".csv", after,
                                                 limit)
        return with_next(csv_file(request, page.rows, feed.columns, "platform-changes", bom),
                         page.next_cursor, link)

    @app.get(PATHS["platforms"] + ".xlsx")
    def platform_changes_xlsx(request: Request) -> Response:
        """Every change of the accredited platforms, from the first, in cursor order."""
        feed = feeds(request)["platforms"]
        return spreadsheet(request, every(feed), feed.columns, "platform-changes")

    for name in PATHS:
        add_atom_route(app, name, feeds, base)
        add_stream_route(app, name, feeds)


def add_atom_route(app: FastAPI, name: str, feeds: Callable[[Request], dict[str, ChangeFeed]],
                   base: Callable[[Request], str]) -> None:
    path = PATHS[name]

    def atom_feed(request: Request) -> Response:
        feed = feeds(request)[name]
        body = atom.render(feed, atom.newest(feed), base(request))
        return conditional(request, body, atom.ATOM)

    app.add_api_route(f"{path}.atom", atom_feed, methods=["GET"], name=f"{name}_atom",
                      summary=f"Atom feed of the newest changes of {name}")


def add_stream_route(app: FastAPI, name: str,
                     feeds: Callable[[Request], dict[str, ChangeFeed]]) -> None:
    path = PATHS[name]

    def stream(request: Request, after: str | None = None) -> Response:
        """From the Last-Event-ID header (a reconnecting EventSource), else `after`, else
        from now on."""
        feed = feeds(request)[name]
        if request.scope.get(HEAD):    # the headers of the stream; its body would never end
            return Response(status_code=200, media_type="text/event-stream; charset=utf-8",
                            headers={"Cache-Control": "no-store"})
        resume = request.headers.get("last-event-id")
        if resume is not None:
            start = params.cursor(resume, "Last-Event-ID")
        elif after is not None:
            start = params.cursor(after)
        else:
            start = feed.latest()
        return EventSourceResponse(events(request, feed, start), ping=15)

    app.add_api_route(f"{path}/stream", stream, methods=["GET"], name=f"{name}_stream",
                      response_class=EventSourceResponse,
                      summary=f"Server-Sent Events: every change of {name}, id = cursor")


def every(feed: ChangeFeed) -> Iterator[dict[str, Any]]:
    """The whole feed from its first change, read in its largest pages."""
    cursor = 0
    while True:
        page = feed.page(cursor, COMPLETE_PAGE)
        yield from page.rows
        if not page.rows:
            return
        cursor = page.next_cursor


async def events(request: Request, feed: ChangeFeed, cursor: int) -> AsyncIterator[ServerSentEvent]:
    event = f"{feed.name.removesuffix('s')}-change"
    while not await request.is_disconnected():
        try:
            page = await anyio.to_thread.run_sync(feed.page, cursor, STREAM_PAGE)
        except FeedError as exc:   # a backend restarting: say so, keep the cursor, try again
            yield ServerSentEvent(data=json.dumps({"error": exc.reason}), event="error")
            await anyio.sleep(STREAM_POLL_S * 4)
            continue
        for row in page.rows:
            yield ServerSentEvent(data=json.dumps(row, ensure_ascii=False), id=str(row["cursor"]),
                                  event=event)
        cursor = page.next_cursor
        if not page.rows:
            await anyio.sleep(STREAM_POLL_S)
