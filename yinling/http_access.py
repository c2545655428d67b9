"""The HTTP twin of the gRPC interceptor's access check, as one ASGI middleware.

Each request is checked against the rule of its method and path (by default: reads are
public, any other method has no rule and is refused). A presented bearer token must be
valid (unknown, expired, revoked: 401 naming why); a rule with a scope needs a token holding
it (403); the route is then served as that caller (`yinling.auth.current_caller`). Every
refusal and every write is audited like the gRPC ones: `audit_log` and yinling.audit.v1
through an outbox. A process without a database of its own (the open-data feed) keeps them
in the tokens database, which it must reach to check tokens anyway, and publishes them with
its own relay of that database's outbox.

Nothing is opened until a request needs it: an anonymous public read touches no database,
so the feed answers the public with the token store down, and starts no relay it never needs.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from yinling.access import PUBLIC, AccessControl, Rule
from yinling.audit import Attempt, AuditLog
from yinling.auth import ANONYMOUS, Authenticator, Caller, acting_as
from yinling.config import Settings
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.errors import Forbidden, Unauthenticated
from yinling.relay import OutboxRelay
from yinling.service import bootstrap_of
from yinling.tokens import TokenStore, tokens_database_url

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RuleOf = Callable[[str, str], Rule | None]  # (HTTP method, path) -> rule; None: nobody may


def read_only(method: str, _path: str) -> Rule | None:
    """A public read-only site: anyone may read, nobody may do anything else."""
    return PUBLIC if method in SAFE_METHODS else None


@dataclass
class HttpAccessParts:
    access: AccessControl
    audit: AuditLog | None
    close: Callable[[], None] = lambda: None


class HttpAccess:
    """The checks and the audit of one HTTP service, opened by `open_parts` on first need."""

    def __init__(self, service: str, open_parts: Callable[[], HttpAccessParts]) -> None:
        self.service = service
        self._open_parts = open_parts
        self._parts: HttpAccessParts | None = None
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            if self._parts is not None:
                self._parts.close()
                self._parts = None

    def parts(self) -> HttpAccessParts:
        with self._lock:
            if self._parts is None:
                self._parts = self._open_parts()
            return self._parts

    def admit(self, method: str, path: str, rule: Rule | None, header: str, peer: str) -> tuple[Caller, Attempt]:
        parts = self.parts()
        attempt = Attempt(token_id="", agency=ANONYMOUS.actor, method=f"{method} {path}", peer=peer)
        try:
            caller = parts.access.authenticate(header)
            attempt.token_id, attempt.agency = caller.token_id, caller.actor
            parts.access.authorise(f"{method} {path}", rule, None, None, caller)
        except Unauthenticated as exc:
            if not attempt.token_id:
                attempt.token_id, attempt.agency = exc.token_id, exc.agency
            self.audit(attempt, "UNAUTHENTICATED", exc.reason)
            raise
        except Forbidden as exc:
            self.audit(attempt, "PERMISSION_DENIED", exc.reason)
            raise
        return caller, attempt

    def audit(self, attempt: Attempt, outcome: str, reason: str = "") -> None:
        audit = self.parts().audit
        if audit is None:
            log.warning("%s: %s %s by %s (%s) from %s: %s", self.service, outcome, attempt.method,
                        attempt.token_id or "-", attempt.agency, attempt.peer, reason)
            return
        try:
            audit.finish(attempt, outcome, reason)
        except Exception:  # noqa: BLE001 - the answer stands; operators see the log
            log.exception("%s: could not audit %s (%s)", self.service, attempt.method, outcome)


def tokens_database_parts(service: str, settings: Settings) -> Callable[[], HttpAccessParts]:
    """For a process without a database of its own: tokens checked against the token store,
    refusals and writes audited in the tokens database, published by a relay of its outbox."""
    def open_parts() -> HttpAccessParts:
        engine = make_engine(tokens_database_url(settings.db_url))
        create_schema(engine, [])  # the kernel's tables: audit_log, outbox
        sessions = make_sessionmaker(engine)
        relay = OutboxRelay(service, sessions, bootstrap_of(settings)).start()
        audit = AuditLog(service, sessions, relay.wake)

        def close() -> None:
            relay.stop()
            audit.close()
            engine.dispose()
        return HttpAccessParts(AccessControl(Authenticator(TokenStore(engine))), audit, close)
    return open_parts


def _peer(scope: Scope) -> str:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else ""


class AccessMiddleware:
    def __init__(self, app: ASGIApp, access: HttpAccess, rule_of: RuleOf = read_only) -> None:
        self.app = app
        self.access = access
        self.rule_of = rule_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        header = Headers(scope=scope).get("authorization", "")
        rule = self.rule_of(method, path)
        if not header and rule is not None and rule.scope is None:
            await self.app(scope, receive, send)  # an anonymous public read: nothing to check
            return
        try:
            caller, attempt = await run_in_threadpool(self.access.admit, method, path, rule, header,
                                                      _peer(scope))
        except Unauthenticated as exc:
            await _refusal(401, "authorization", exc.reason,
                           {"WWW-Authenticate": 'Bearer error="invalid_token"'})(scope, receive, send)
            return
        except Forbidden as exc:
            await _refusal(403, None, exc.reason)(scope, receive, send)
            return
        status = {"code": 500}

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        with acting_as(caller):
            await self.app(scope, receive, capture if rule is not None and rule.write else send)
        if rule is not None and rule.write and status["code"] < 400:
            await run_in_threadpool(self.access.audit, attempt, "OK")


def _refusal(status: int, field: str | None, reason: str,
             headers: dict[str, str] | None = None) -> JSONResponse:
    """The feed's error shape: {"error": {"field", "reason"}}."""
    return JSONResponse({"error": {"field": field, "reason": reason}}, status_code=status, headers=headers)
