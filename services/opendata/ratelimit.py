"""Per-client rate limits of the feed: 429 with Retry-After once a client is over its limit.

The counting is the `limits` library's moving window in memory (the library behind slowapi
and Flask-Limiter), per client address. Limits are written as `limits` parses them, several
separated by ";" (e.g. "20/second;1200/minute"); an empty setting turns limiting off. Health
checks and scrapes are not limited.
"""
from __future__ import annotations

import json
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from services.opendata.http_metrics import NOT_COUNTED


def parse(limit: str) -> list[RateLimitItem]:
    try:
        return parse_many(limit) if limit.strip() else []
    except ValueError:
        raise ValueError(f"opendata rate limit {limit!r}: expected e.g. '1200/minute' or "
                         f"'20/second;1200/minute'") from None


class RateLimit:
    def __init__(self, app: ASGIApp, items: list[RateLimitItem]) -> None:
        self.app = app
        self.items = items
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client: str) -> int | None:
        """Seconds until the client may ask again; None when it may now (the hit is counted)."""
        for item in self.items:
            if not self.limiter.hit(item, client):
                reset = self.limiter.get_window_stats(item, client).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.items or scope.get("path") in NOT_COUNTED:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown",))[0]
        wait = self.retry_after(client)
        if wait is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": {"field": None, "reason": (
            f"too many requests from {client}; retry after {wait} s")}}).encode()
        await send({"type": "http.response.start", "status": 429, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(wait).encode())]})
        await send({"type": "http.response.body", "body": body})
