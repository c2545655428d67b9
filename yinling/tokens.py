"""Per-agency API tokens: issued, listed and revoked by operators (`yinling token`), checked by
every service on each request.

A token is a high-entropy random secret (`yl_` and 43 URL-safe characters, 256 bits) shown
once when it is issued. The store keeps only its SHA-256: with that much entropy a fast hash
is enough (nobody can guess a preimage), and a leaked table lets nobody call. Each token has
an agency, scopes (`platforms:write`, `talent:personal:read`, ...), optionally the districts
its writes are limited to, and an expiry; revoking it takes effect without a restart.

The store is one database shared by every service (YINLING_TOKENS_DATABASE_URL; by default
the `tokens` database of YINLING_DATABASE_URL, so `var/tokens.db` under `yinling up` and
`yinling_tokens` on PostgreSQL): a token is issued once and known everywhere. Services look a
token up on each request, keeping the answer at most `cache_s` seconds (5 by default,
YINLING_TOKEN_CACHE_S), so a revocation is seen everywhere within that time; the expiry is
compared with the clock on every request.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Engine, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from yinling.db import Base, create_schema, make_engine, make_sessionmaker
from yinling.errors import ValidationError, shown

PREFIX = "yl_"
MAX_LIFETIME = timedelta(days=3 * 366)
DEFAULT_CACHE_S = 5.0
_CACHE_LIMIT = 10_000  # distinct secrets remembered at once; garbage tokens cannot grow it further


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    agency: Mapped[str] = mapped_column(String(100))
    scopes: Mapped[str] = mapped_column(Text)           # space-separated
    districts: Mapped[str] = mapped_column(Text, default="")  # space-separated; empty: city-wide
    secret_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class TokenInfo:
    id: str
    agency: str
    scopes: frozenset[str]
    districts: frozenset[str]
    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None

    def state(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


@dataclass(frozen=True)
class Issued:
    info: TokenInfo
    secret: str  # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_lifetime(text: str) -> timedelta:
    """`90d`, `12h`, `30m`: how long a token lives, at most three years."""
    units = {"d": "days", "h": "hours", "m": "minutes"}
    number, unit = text[:-1], text[-1:]
    if unit not in units or not (number.isascii() and number.isdigit()) or int(number) == 0:
        raise ValidationError("expires", f"{shown(text)} is not a lifetime such as 90d, 12h or 30m")
    lifetime = timedelta(**{units[unit]: int(number)})
    if lifetime > MAX_LIFETIME:
        raise ValidationError("expires", f"{text} is longer than the longest lifetime, 3 years")
    return lifetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.agency, frozenset(row.scopes.split()), frozenset(row.districts.split()),
                     _aware(row.issued_at), _aware(row.expires_at),
                     _aware(row.revoked_at) if row.revoked_at else None)


def tokens_database_url(service_url: Callable[[str], str]) -> str:
    return os.environ.get("YINLING_TOKENS_DATABASE_URL") or service_url("tokens")


class TokenStore:
    def __init__(self, engine: Engine, cache_s: float | None = None,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.sessions: sessionmaker = make_sessionmaker(engine)
        self.cache_s = float(os.environ.get("YINLING_TOKEN_CACHE_S") or DEFAULT_CACHE_S) \
            if cache_s is None else cache_s
        self.clock = clock
        self._cache: dict[str, tuple[float, TokenInfo | None]] = {}
        self._lock = threading.Lock()
        create_schema(engine, [ApiToken], with_kernel_tables=False)

    @classmethod
    def at(cls, url: str, cache_s: float | None = None) -> TokenStore:
        return cls(make_engine(url), cache_s)

    def close(self) -> None:
        self.engine.dispose()

    # -- operators ---------------------------------------------------------
    def issue(self, agency: str, scopes: Iterable[str], districts: Iterable[str],
              lifetime: timedelta) -> Issued:
        if not agency.strip() or len(agency) > 100:
            raise ValidationError("agency", "is required, at most 100 characters")
        scopes, districts = sorted(set(scopes)), sorted(set(districts))
        if not scopes:
            raise ValidationError("scope", "at least one scope is required")
        secret = PREFIX + secrets.token_urlsafe(32)
        now = self.clock()
        row = ApiToken(id=secrets.token_hex(6), agency=agency.strip(), scopes=" ".join(scopes),
                       districts=" ".join(districts), secret_sha256=digest(secret), issued_at=now,
                       expires_at=now + lifetime, revoked_at=None)
        with self.sessions.begin() as session:
            session.add(row)
        return Issued(_info(row), secret)

    def list(self) -> list[TokenInfo]:
        with self.sessions() as session:
            return [_info(r) for r in session.scalars(select(ApiToken).order_by(ApiToken.issued_at))]

    def revoke(self, token_id: str) -> TokenInfo:
        with self.sessions.begin() as session:
            row = session.get(ApiToken, token_id)
            if row is None:
                raise ValidationError("id", f"no token {shown(token_id)}")
            if row.revoked_at is None:
                row.revoked_at = self.clock()
            return _info(row)

    # -- services ----------------------------------------------------------
    def lookup(self, secret: str) -> TokenInfo | None:
        """The token of this secret (whatever its state), None if none was issued; from the
        cache when looked up less than cache_s seconds ago."""
        key = digest(secret)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and now - cached[0] < self.cache_s:
            return cached[1]
        with self.sessions() as session:
            row = session.scalar(select(ApiToken).where(ApiToken.secret_sha256 == key))
            info = _info(row) if row is not None else None
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = (now, info)
        return info
