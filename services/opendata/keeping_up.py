"""Keeping up to date, wired into the feed: the change feeds of every dataset (JSON, Atom,
Server-Sent Events), webhook subscriptions in the feed's own database (`opendata`), and
the loop that delivers to them, started and stopped with the app."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

from fastapi import FastAPI, Request

from services.opendata.changefeeds import PATHS, ChangeFeed, feeds
from services.opendata.feed_routes import add_feed_routes
from services.opendata.webhook_delivery import Deliverer, DeliveryOptions
from services.opendata.webhook_store import MODELS, Subscriptions
from services.opendata.webhooks import add_webhook_routes
from yinling.config import Settings
from yinling.db import create_schema, make_engine, make_sessionmaker

DATABASE = "opendata"


@asynccontextmanager
async def running(app: FastAPI, settings: Settings, options: DeliveryOptions) -> AsyncIterator[None]:
    """Open the subscriptions' database and run the delivery loop while the app runs."""
    engine = make_engine(settings.db_url(DATABASE))
    create_schema(engine, MODELS, with_kernel_tables=False)   # replicas starting at once race safely
    app.state.subscriptions = Subscriptions(make_sessionmaker(engine))
    app.state.feeds = feeds(lambda: app.state.backends)
    deliverer = Deliverer(app.state.subscriptions, app.state.feeds, options)
    task = asyncio.create_task(deliverer.run(), name="webhook-delivery")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        app.state.subscriptions.release(deliverer.name)
        engine.dispose()


def add_routes(app: FastAPI, base: Callable[[Request], str]) -> None:
    def feeds_of(request: Request) -> dict[str, ChangeFeed]:
        return request.app.state.feeds  # type: ignore[no-any-return]

    def subscriptions(request: Request) -> Subscriptions:
        return request.app.state.subscriptions  # type: ignore[no-any-return]

    add_feed_routes(app, feeds_of, base)
    add_webhook_routes(app, subscriptions, lambda request, name: feeds_of(request)[name].latest(),
                       set(PATHS))
