"""Webhook subscriptions in the feed's own database (`opendata`): where to deliver, the
secret to sign with, and the last cursor the subscriber acknowledged, so delivery resumes
there after any restart or outage."""
from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from yinling.db import Base


class Subscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200), index=True)   # the actor who registered it
    url: Mapped[str] = mapped_column(Text)
    dataset: Mapped[str] = mapped_column(String(40))
    secret: Mapped[str] = mapped_column(String(100))              # Standard Webhooks whsec_...
    cursor: Mapped[int] = mapped_column(BigInteger)               # last acknowledged change
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)     # consecutive failed deliveries
    last_error: Mapped[str] = mapped_column(Text, default="")
    retry_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The feed process delivering to it now (several run behind one load balancer), and until
    # when; another takes it over only when the lease has run out.
    lease_owner: Mapped[str | None] = mapped_column(String(40), nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    def public(self) -> dict[str, object]:
        """What the subscriber sees of it; the secret only once, at registration."""
        return {"id": self.id, "url": self.url, "dataset": self.dataset, "cursor": self.cursor,
                "enabled": self.enabled, "failures": self.failures, "last_error": self.last_error}


MODELS = (Subscription,)


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; they were written in UTC.
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class Subscriptions:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def add(self, owner: str, url: str, dataset: str, cursor: int) -> Subscription:
        row = Subscription(id="whk-" + secrets.token_hex(8), owner=owner, url=url, dataset=dataset,
                           secret=new_secret(), cursor=cursor, enabled=True, failures=0,
                           last_error="", created_at=datetime.now(UTC))
        with self.sessions.begin() as s:
            s.add(row)
        return row

    def get(self, subscription_id: str) -> Subscription | None:
        with self.sessions() as s:
            return s.get(Subscription, subscription_id)

    def remove(self, subscription_id: str) -> None:
        with self.sessions.begin() as s:
            row = s.get(Subscription, subscription_id)
            if row is not None:
                s.delete(row)

    def enable(self, subscription_id: str) -> Subscription | None:
        return self._change(subscription_id, enabled=True, failures=0, last_error="", retry_at=None)

    def due(self, now: datetime) -> list[Subscription]:
        """Enabled subscriptions whose backoff, if any, has passed."""
        with self.sessions() as s:
            rows = s.scalars(select(Subscription).where(Subscription.enabled.is_(True))
                             .order_by(Subscription.id))
            return [r for r in rows if (_aware(r.retry_at) or now) <= now]

    def claim(self, subscription_id: str, owner: str, now: datetime, lease: timedelta) -> bool:
        """Take (or keep) the right to deliver to it until now + lease: one deliverer at a time,
        so several feed processes do not send each change once each."""
        table = Subscription.__table__
        assert isinstance(table, Table)
        free = or_(table.c.leased_until.is_(None), table.c.leased_until < now,
                   table.c.lease_owner == owner)
        with self.sessions.begin() as s:
            result = s.execute(update(table).where(table.c.id == subscription_id,
                                                   table.c.enabled.is_(True), free)
                               .values(lease_owner=owner, leased_until=now + lease))
            return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]

    def release(self, owner: str) -> None:
        """Give up every lease of a deliverer that stops, so another takes over at once."""
        table = Subscription.__table__
        assert isinstance(table, Table)
        with self.sessions.begin() as s:
            s.execute(update(table).where(table.c.lease_owner == owner)
                      .values(lease_owner=None, leased_until=None))

    def acknowledged(self, subscription_id: str, cursor: int) -> None:
        """The subscriber has every change up to `cursor`; a cursor never moves back (two
        deliverers racing each other write the larger)."""
        table = Subscription.__table__
        assert isinstance(table, Table)
        with self.sessions.begin() as s:
            s.execute(update(table).where(table.c.id == subscription_id, table.c.cursor < cursor)
                      .values(cursor=cursor))
            s.execute(update(table).where(table.c.id == subscription_id)
                      .values(failures=0, last_error="", retry_at=None))

    def failed(self, subscription_id: str, error: str, backoff: timedelta, longest: timedelta,
               max_failures: int) -> Subscription | None:
        """One more consecutive failure: wait `backoff` doubled per failure (at most
        `longest`); disabled at `max_failures`, until the subscriber enables it again."""
        with self.sessions.begin() as s:
            row = s.get(Subscription, subscription_id, with_for_update=True)
            if row is None:
                return None
            row.failures += 1
            row.last_error = error[:500]
            row.retry_at = datetime.now(UTC) + min(backoff * 2 ** (row.failures - 1), longest)
            row.enabled = row.failures < max_failures
            return row

    def _change(self, subscription_id: str, **values: object) -> Subscription | None:
        with self.sessions.begin() as s:
            row = s.get(Subscription, subscription_id)
            if row is None:
                return None
            for key, value in values.items():
                setattr(row, key, value)
            return row
