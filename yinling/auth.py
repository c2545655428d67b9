"""Who is calling: a bearer token mapped to an agency, its scopes and its districts.

Tokens come from two places:
  - the token store (`yinling.tokens`): per-agency tokens issued with `yinling token issue`,
    hashed, expiring, revocable without a restart; the way to give an agency access;
  - YINLING_TOKENS, a bootstrap table for development and for the platform's own processes
    (`token=actor:role+role;...`, roles below), city-wide and without expiry. Unset, the
    development tokens `dev-steward` and `dev-talent-officer` apply; `YINLING_TOKENS=none`
    turns the table off, so that only issued tokens are accepted.

A scope is `domain:action` or `domain:what:action`. Each method of a service names the scope
it needs (`yinling.access`); the servicer asks `current_caller().may(scope)` where an answer
shows more to some callers. Anonymous callers may read public, non-personal records only.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType

from yinling.errors import Unauthenticated, ValidationError, shown
from yinling.territory import require_district
from yinling.tokens import TokenStore

# Trailing metadata naming the fields a response left empty because the caller may not see them.
REDACTED_METADATA = "yinling-redacted"

SCOPES = MappingProxyType({
    "platforms:write": "commands of the platform registry",
    "enterprises:write": "commands of the enterprise registry, regional statistics included",
    "enterprises:statistics:read": "an enterprise's annual statistics (revenue, R&D, employees)",
    "talent:read": "talent records, without personal fields",
    "talent:personal:read": "talent personal fields (names, identity numbers) and reasons",
    "talent:write": "commands of the talent registry",
    "finance:write": "commands of the finance registry",
    "finance:amounts:read": "per-enterprise finance amounts and reasons",
    "ingest:write": "upload reported tables to the ingest gateway",
    "ingest:read": "submissions and their error reports (which quote the files' cells)",
    "opendata:webhooks": "register and manage webhook subscriptions of the open-data feed",
})

# Roles of the bootstrap table, as scopes.
STEWARD = "steward"
PERSONAL_DATA = "personal_data"
ROLE_SCOPES = MappingProxyType({
    STEWARD: frozenset(s for s in SCOPES if s != "talent:personal:read"),
    PERSONAL_DATA: frozenset({"talent:personal:read"}),
})
DEV_TOKENS = "dev-steward=steward@dev:steward;dev-talent-officer=talent-officer@dev:steward+personal_data"
ENV_PREFIX = "env:"


@dataclass(frozen=True)
class Caller:
    actor: str                 # the agency (or the bootstrap table's actor)
    scopes: frozenset[str]
    districts: frozenset[str] = frozenset()  # empty: city-wide
    token_id: str = ""          # "" anonymous; "env:<actor>" for the bootstrap table

    def may(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def anonymous(self) -> bool:
        return not self.token_id


ANONYMOUS = Caller("anonymous", frozenset())


def check_scopes(scopes: list[str]) -> list[str]:
    for scope in scopes:
        if scope not in SCOPES:
            raise ValidationError("scope", f"unknown scope {shown(scope)}; expected one of {sorted(SCOPES)}")
    return scopes


def check_districts(districts: list[str]) -> list[str]:
    return [require_district(d, "district") for d in districts]


@lru_cache(maxsize=4)
def parse_tokens(spec: str) -> dict[str, Caller]:
    if spec.strip().lower() == "none":
        return {}
    table = {}
    for entry in filter(None, (e.strip() for e in spec.split(";"))):
        token, _, rest = entry.partition("=")
        actor, _, roles = rest.partition(":")
        if not token or not actor:
            raise ValueError(f"YINLING_TOKENS: malformed entry {entry!r}; expected token=actor:role+role")
        unknown = [r for r in roles.split("+") if r and r not in ROLE_SCOPES]
        if unknown:
            raise ValueError(f"YINLING_TOKENS: unknown role {unknown[0]!r} in the entry of {actor!r}; "
                             f"expected {' or '.join(ROLE_SCOPES)}")
        scopes = frozenset().union(*(ROLE_SCOPES[r] for r in roles.split("+") if r))
        table[token] = Caller(actor, scopes, frozenset(), ENV_PREFIX + actor)
    return table


def env_token_table() -> dict[str, Caller]:
    return parse_tokens(os.environ.get("YINLING_TOKENS") or DEV_TOKENS)


class Authenticator:
    """Turns an `authorization` header into a Caller, or refuses it naming why."""

    def __init__(self, store: TokenStore | None) -> None:
        self.store = store

    def authenticate(self, header: str) -> Caller:
        if not header:
            return ANONYMOUS
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise Unauthenticated("the authorization header must be 'Bearer <token>'", agency="unknown")
        if (caller := env_token_table().get(token)) is not None:
            return caller
        info = self.store.lookup(token) if self.store is not None else None
        if info is None:
            raise Unauthenticated("the bearer token is not recognised")
        state = info.state(datetime.now(UTC))
        if state == "revoked":
            raise Unauthenticated(f"token {info.id} was revoked", info.id, info.agency)
        if state == "expired":
            raise Unauthenticated(f"token {info.id} expired at {info.expires_at:%Y-%m-%d %H:%M} UTC",
                                  info.id, info.agency)
        return Caller(info.agency, info.scopes, info.districts, info.id)


_current: ContextVar[Caller] = ContextVar("yinling_caller", default=ANONYMOUS)


def current_caller() -> Caller:
    """The caller of the request being served (set by the server's interceptor)."""
    return _current.get()


@contextmanager
def acting_as(caller: Caller) -> Iterator[Caller]:
    token = _current.set(caller)
    try:
        yield caller
    finally:
        _current.reset(token)


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """Client-side metadata for a call."""
    return (("authorization", f"Bearer {token}"),)
