"""Who is calling: bearer tokens mapped to an actor and roles.

YINLING_TOKENS lists them as `token=actor:role+role;token=actor:role`. Roles:
  steward        may send commands (register, correct, ...)
  personal_data  may read personal fields (talent names, identity numbers, contacts)
Without YINLING_TOKENS the development tokens below apply; set it in production.
Anonymous callers may read public, non-personal records only.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache

import grpc

from yinling.errors import Forbidden, Unauthenticated

STEWARD = "steward"
PERSONAL_DATA = "personal_data"

# Trailing metadata naming the fields a response left empty because the caller may not see them.
REDACTED_METADATA = "yinling-redacted"

DEV_TOKENS = "dev-steward=steward@dev:steward;dev-talent-officer=talent-officer@dev:steward+personal_data"


@dataclass(frozen=True)
class Caller:
    actor: str
    roles: frozenset[str]

    def has(self, role: str) -> bool:
        return role in self.roles


ANONYMOUS = Caller("anonymous", frozenset())


@lru_cache(maxsize=4)
def parse_tokens(spec: str) -> dict[str, Caller]:
    table = {}
    for entry in filter(None, (e.strip() for e in spec.split(";"))):
        token, _, rest = entry.partition("=")
        actor, _, roles = rest.partition(":")
        if not token or not actor:
            raise ValueError(f"YINLING_TOKENS: malformed entry {entry!r}; expected token=actor:role+role")
        table[token] = Caller(actor, frozenset(r for r in roles.split("+") if r))
    return table


def token_table() -> dict[str, Caller]:
    return parse_tokens(os.environ.get("YINLING_TOKENS") or DEV_TOKENS)


def caller_of(context: grpc.ServicerContext) -> Caller:
    metadata = dict(context.invocation_metadata() or ())
    header = metadata.get("authorization", "")
    if not header:
        return ANONYMOUS
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or token not in token_table():
        raise Unauthenticated("the bearer token is not recognised")
    return token_table()[token]


def require(context: grpc.ServicerContext, role: str) -> Caller:
    caller = caller_of(context)
    if caller is ANONYMOUS:
        raise Unauthenticated()
    if not caller.has(role):
        raise Forbidden(role)
    return caller


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    """Client-side metadata for a call."""
    return (("authorization", f"Bearer {token}"),)
