"""Database engines: a SQLite file by default, PostgreSQL (or any SQLAlchemy URL) by configuration."""
from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import (
    BigInteger,
    Connection,
    Engine,
    Integer,
    MetaData,
    Table,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, sessionmaker
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Row ids that outgrow 32 bits on PostgreSQL; SQLite auto-increments only INTEGER PRIMARY KEY.
AUTO_ID = BigInteger().with_variant(Integer, "sqlite")


class Base(DeclarativeBase):
    """Base of every service's tables. Each service owns its own database, so names can repeat."""

    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the relay read the outbox while a command writes; foreign keys are off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False)


def owned_tables(models: Iterable[type[Base]], with_kernel_tables: bool = True) -> set[Table]:
    """A service's tables: its models', and (unless told not to) the kernel's: the outbox, its
    dead letters, the command log and the audit log."""
    from yinling.audit import AuditRecord
    from yinling.commands import CommandLog
    from yinling.dead_letters import DeadLetter
    from yinling.outbox import OutboxRecord

    # Declarative classes expose __table__ as a FromClause; ours are all plain Tables.
    kernel: list[type[Base]] = [OutboxRecord, DeadLetter, CommandLog, AuditRecord]
    owned: list[type[Base]] = [*models, *(kernel if with_kernel_tables else [])]
    return {cast(Table, m.__table__) for m in owned}


def create_schema(engine: Engine, models: Iterable[type[Base]], with_kernel_tables: bool = True) -> None:
    """Bring a service's database to its models: each service owns only its own tables.

    A service with a `migrations` package beside its models (services/platforms/migrations)
    runs `alembic upgrade head` (yinling.migrations). Without one (tables of the kernel's own
    tests), the tables are created as they are: processes that share a database start
    together and race to create the same tables, a loser's CREATE fails with "already
    exists"; every attempt skips what exists, so trying again until nothing is missing is correct."""
    models = list(models)
    package = models[0].__module__.rpartition(".")[0] if models else ""
    if package:
        from yinling.migrations import migrations_of, upgrade

        versions = migrations_of(package)
        if versions is not None:
            upgrade(engine, owned_tables(models, with_kernel_tables), versions)
            return
    for attempt in Retrying(retry=retry_if_exception_type(DBAPIError), stop=stop_after_attempt(10),
                            wait=wait_random(0.02, 0.2), reraise=True):
        with attempt:
            _create_missing(engine, models, with_kernel_tables)


def _create_missing(engine: Engine, models: list[type[Base]], with_kernel_tables: bool) -> None:
    tables = owned_tables(models, with_kernel_tables)
    Base.metadata.create_all(engine, tables=sorted(tables, key=lambda t: t.name))
    with engine.begin() as connection:
        add_missing_columns(connection, tables)


def add_missing_columns(connection: Connection, tables: Iterable[Table]) -> list[str]:
    """A table created by an earlier version gains the nullable columns added since (create_all
    makes missing tables only). Returns "table.column" of each column added."""
    inspector = inspect(connection)
    added = []
    for table in tables:
        present = {c["name"] for c in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name in present:
                continue
            if not column.nullable:
                raise RuntimeError(f"{table.name}.{column.name} is missing and not nullable: "
                                   "migrate this database by hand")
            kind = column.type.compile(dialect=connection.dialect)
            connection.execute(text(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}'))
            added.append(f"{table.name}.{column.name}")
    return added
