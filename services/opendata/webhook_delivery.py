"""Delivery of each change to each webhook subscriber, as a CloudEvent over HTTP.

One loop per feed process: every `poll_s` it takes the enabled subscriptions whose backoff has
passed and, for each, the changes after its acknowledged cursor, in order. Each change is one
POST in CloudEvents binary mode (the official SDK), signed as the Standard Webhooks spec says
(webhook-id, webhook-timestamp, webhook-signature: HMAC-SHA256 with the subscription's
secret, by the `standardwebhooks` library). A 2xx acknowledges it and the cursor moves on; a
failure is retried at once with exponential backoff (tenacity), then the subscription waits,
longer after each consecutive failure, and is disabled after `max_failures` of them.

Several feed processes share the subscriptions' database; each subscription is leased to one
of them at a time (Subscriptions.claim), so a change is not sent once per process.
At least once: a change whose acknowledgement was lost is sent again with the same event id
and the same body, so a receiver that keeps the ids it has seen gets each change once.
"""
from __future__ import annotations

import asyncio
import logging
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import httpx
from cloudevents.core.bindings.http import to_binary_event
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks import Webhook
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from services.opendata.changefeeds import ChangeFeed
from services.opendata.webhook_store import Subscription, Subscriptions

log = logging.getLogger(__name__)
EVENT_SOURCE = "/yinling/opendata"


class DeliveryFailed(Exception):
    pass


@dataclass(frozen=True)
class DeliveryOptions:
    poll_s: float = 1.0          # how often the loop looks for new changes
    batch: int = 100             # changes taken per subscription and pass
    attempts: int = 3            # tries of one POST before the pass gives up
    retry_s: float = 0.5         # first wait between tries, doubled each time
    backoff_s: float = 5.0       # wait after a failed pass, doubled per consecutive failure
    backoff_max_s: float = 3600.0
    max_failures: int = 10       # consecutive failed passes that disable the subscription
    timeout_s: float = 10.0
    lease_s: float = 60.0        # how long a feed process keeps a subscription to itself

    @classmethod
    def from_env(cls) -> DeliveryOptions:
        """YINLING_WEBHOOK_<FIELD> overrides each default."""
        values: dict[str, Any] = {}
        for name, default in cls().__dict__.items():
            variable = f"YINLING_WEBHOOK_{name.upper()}"
            raw = os.environ.get(variable)
            if not raw:
                continue
            try:
                values[name] = type(default)(raw)
            except ValueError:
                raise ValueError(f"{variable}={raw!r}: expected a number like {default}") from None
            if values[name] <= 0:
                raise ValueError(f"{variable}={raw!r}: must be greater than 0")
        return cls(**values)


def event_of(feed: ChangeFeed, row: dict[str, Any]) -> CloudEvent:
    """The change as a CloudEvent; its id names the dataset and cursor, so it is stable."""
    attributes: dict[str, Any] = {
        "id": f"{feed.name}-{row['cursor']}", "source": f"{EVENT_SOURCE}/{feed.name}",
        "type": f"cn.yinling.opendata.{feed.name.removesuffix('s')}.changed",
        "subject": feed.subject(row), "datacontenttype": "application/json",
        "dataschema": f"urn:yinling:opendata:{feed.name}-change"}
    moment = feed.moment(row)
    if moment:
        attributes["time"] = datetime.fromisoformat(moment)
    return CloudEvent(attributes, row)


def signed_request(subscription: Subscription, event: CloudEvent,
                   now: datetime) -> tuple[dict[str, str], bytes]:
    message = to_binary_event(event)
    event_id = str(event.get_attributes()["id"])
    signature = Webhook(subscription.secret).sign(event_id, now, message.body.decode())
    headers = {**message.headers, "webhook-id": event_id,
               "webhook-timestamp": str(int(now.timestamp())), "webhook-signature": signature}
    return headers, message.body


class Deliverer:
    def __init__(self, subscriptions: Subscriptions, feeds: dict[str, ChangeFeed],
                 options: DeliveryOptions) -> None:
        self.subscriptions = subscriptions
        self.feeds = feeds
        self.options = options
        self.name = "deliverer-" + secrets.token_hex(6)   # this process, for the leases

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self.options.timeout_s) as client:
            while True:
                try:
                    await self.deliver_due(client)
                except Exception as exc:   # a backend or the database away: the next pass retries
                    log.warning("webhook delivery pass failed: %s", exc)
                await asyncio.sleep(self.options.poll_s)

    async def deliver_due(self, client: httpx.AsyncClient) -> None:
        due = await anyio.to_thread.run_sync(self.subscriptions.due, datetime.now(UTC))
        await asyncio.gather(*(self.deliver(client, s) for s in due))

    async def deliver(self, client: httpx.AsyncClient, subscription: Subscription) -> None:
        """The changes after its cursor, while this process holds its lease (stopping at half
        the lease, so the lease never runs out in the middle of a delivery)."""
        started = datetime.now(UTC)
        lease = timedelta(seconds=self.options.lease_s)
        if not await anyio.to_thread.run_sync(self.subscriptions.claim, subscription.id,
                                              self.name, started, lease):
            return
        fresh = await anyio.to_thread.run_sync(self.subscriptions.get, subscription.id)
        if fresh is None:
            return
        subscription = fresh   # the cursor as it is now, not as the list read it
        feed = self.feeds[subscription.dataset]
        page = await anyio.to_thread.run_sync(feed.page, subscription.cursor, self.options.batch)
        for row in page.rows:
            if datetime.now(UTC) - started > lease / 2:
                return
            try:
                await self.post(client, subscription, event_of(feed, row))
            except DeliveryFailed as exc:
                after = await anyio.to_thread.run_sync(
                    self.subscriptions.failed, subscription.id, str(exc),
                    timedelta(seconds=self.options.backoff_s),
                    timedelta(seconds=self.options.backoff_max_s), self.options.max_failures)
                if after is not None and not after.enabled:
                    log.warning("webhook %s disabled after %d failures: %s", subscription.id,
                                after.failures, exc)
                return
            await anyio.to_thread.run_sync(self.subscriptions.acknowledged, subscription.id,
                                           int(row["cursor"]))
        if page.next_cursor > subscription.cursor:   # entries the public does not see, passed over
            await anyio.to_thread.run_sync(self.subscriptions.acknowledged, subscription.id,
                                           page.next_cursor)

    async def post(self, client: httpx.AsyncClient, subscription: Subscription,
                   event: CloudEvent) -> None:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.options.attempts), reraise=True,
            wait=wait_exponential(multiplier=self.options.retry_s, max=30),
            retry=retry_if_exception_type(DeliveryFailed))
        async for attempt in retrying:
            with attempt:
                headers, body = signed_request(subscription, event, datetime.now(UTC))
                try:
                    answer = await client.post(subscription.url, content=body, headers=headers)
                except httpx.HTTPError as exc:
                    raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc
                if not 200 <= answer.status_code < 300:
                    raise DeliveryFailed(f"HTTP {answer.status_code} from {subscription.url}")
