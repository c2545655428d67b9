"""Webhook subscriptions over HTTP: a steward registers a URL for a dataset and gets the
signing secret once; the owner reads it, enables it again after it was disabled, or removes it.

Who calls is decided by the platform's bearer tokens (yinling.auth's token table, the one
the gRPC services use); only a steward may subscribe, and only the owner sees a subscription.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from services.opendata.errors import FeedError, bad_parameter
from services.opendata.webhook_store import Subscription, Subscriptions
from yinling.access import PUBLIC, Rule, read, write
from yinling.auth import Caller, current_caller
from yinling.http_access import SAFE_METHODS

PATH = "/api/v1/webhooks"

# The OpenAPI description of the routes: the body is read by hand (subscription_request), so
# that a refusal names the field as every other refusal of the feed does.
_ERROR = {"description": "refused; error.field names what and error.reason why",
          "content": {"application/json": {"schema": {"type": "object", "properties": {
              "error": {"type": "object", "properties": {
                  "field": {"type": ["string", "null"]}, "reason": {"type": "string"}}}}}}}}
_SUBSCRIPTION = {"type": "object", "properties": {
    "id": {"type": "string"}, "url": {"type": "string"}, "dataset": {"type": "string"},
    "cursor": {"type": "integer"}, "enabled": {"type": "boolean"},
    "failures": {"type": "integer"}, "last_error": {"type": "string"},
    "secret": {"type": "string", "description": "at registration only"}}}
_ANSWERS: dict[int | str, dict[str, Any]] = {
    401: _ERROR, 403: _ERROR, 404: _ERROR, 429: _ERROR}
_REQUEST = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "required": ["url", "dataset"], "additionalProperties": False,
    "properties": {"url": {"type": "string", "format": "uri"},
                   "dataset": {"type": "string", "enum": ["indicators", "platforms"]},
                   "after": {"type": "integer", "minimum": 0}}}}}}}


SCOPE = "opendata:webhooks"


def access_rule(method: str, path: str) -> Rule | None:
    """The feed's access rules: everything is a public read but the webhook subscriptions,
    which need a token with the webhooks scope (checked and audited by the middleware).
    Another method on a public path passes on to the router, which has no such route and
    answers 405 with the Allow header (RFC 9110 15.5.6)."""
    if path == PATH or path.startswith(PATH + "/"):
        return read(SCOPE) if method in SAFE_METHODS else write(SCOPE)
    return PUBLIC


def caller_of(request: Request) -> Caller:
    """The subscriber: the middleware admitted only a token with the webhooks scope."""
    caller = current_caller()
    if not caller.may(SCOPE):   # a route reached without the middleware's rule
        raise FeedError(401, "Authorization", f"a bearer token with the scope {SCOPE!r} is required")
    return caller


def subscription_request(body: Any, datasets: set[str]) -> tuple[str, str, int | None]:
    """url (http or https), dataset, and optionally the cursor to start after."""
    if not isinstance(body, dict):
        raise bad_parameter("body", "must be a JSON object with url and dataset")
    unknown = sorted(set(body) - {"url", "dataset", "after"})
    if unknown:
        raise bad_parameter(unknown[0], "unknown field; this request takes: after, dataset, url")
    url = body.get("url")
    if not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise bad_parameter("url", "must be an absolute http or https URL")
    dataset = body.get("dataset")
    if dataset not in datasets:
        raise bad_parameter("dataset", f"must be one of {', '.join(sorted(datasets))}")
    after = body.get("after")
    if after is not None and (isinstance(after, bool) or not isinstance(after, int) or after < 0):
        raise bad_parameter("after", "must be 0 or a cursor received")
    return url, dataset, after


def add_webhook_routes(app: FastAPI, store: Callable[[Request], Subscriptions],
                       latest: Callable[[Request, str], int], datasets: set[str]) -> None:
    def owned(request: Request, subscription_id: str) -> Subscription:
        caller = caller_of(request)
        found = store(request).get(subscription_id)
        if found is None or found.owner != caller.actor:
            raise FeedError(404, "subscription_id", f"no subscription {subscription_id} of {caller.actor}")
        return found

    @app.post(PATH, status_code=201, openapi_extra=_REQUEST, responses={
        201: {"description": "subscribed", "content": {"application/json": {"schema": _SUBSCRIPTION}}},
        400: _ERROR, **_ANSWERS})
    async def subscribe(request: Request) -> Response:
        """Changes after `after` (default: from now on) are delivered to `url`. The answer
        holds the signing secret; it is never shown again."""
        caller = caller_of(request)
        try:
            body = json.loads(await request.body() or b"null")
        except ValueError:
            raise bad_parameter("body", "is not JSON") from None
        url, dataset, after = subscription_request(body, datasets)
        start = after if after is not None else latest(request, dataset)
        row = store(request).add(caller.actor, url, dataset, start)
        return JSONResponse({**row.public(), "secret": row.secret}, status_code=201,
                            headers={"Location": f"{PATH}/{row.id}"})

    @app.get(PATH + "/{subscription_id}", responses={
        200: {"description": "the subscription", "content": {"application/json": {"schema": _SUBSCRIPTION}}},
        **_ANSWERS})
    def subscription(request: Request, subscription_id: str) -> Response:
        return JSONResponse(owned(request, subscription_id).public())

    @app.post(PATH + "/{subscription_id}/enable", responses={
        200: {"description": "enabled", "content": {"application/json": {"schema": _SUBSCRIPTION}}},
        **_ANSWERS})
    def enable(request: Request, subscription_id: str) -> Response:
        """Deliveries resume from the last acknowledged cursor."""
        found = owned(request, subscription_id)
        enabled = store(request).enable(found.id)
        assert enabled is not None
        return JSONResponse(enabled.public())

    @app.delete(PATH + "/{subscription_id}", status_code=204,
                responses={204: {"description": "removed"}, **_ANSWERS})
    def unsubscribe(request: Request, subscription_id: str) -> Response:
        store(request).remove(owned(request, subscription_id).id)
        return Response(status_code=204)
