"""Schema migrations (Alembic), one migration history per service database.

Each service keeps its revisions in a `migrations/` package beside its models
(`services/platforms/migrations/`, ...); the environment (`environment/env.py`) and the
template of new revisions are shared, here. At start a service runs `alembic upgrade head` on its own
database (`upgrade`), one process at a time (a transaction holding SQLite's write lock, or a
PostgreSQL advisory lock), so the indicators API and its workers can start together.

A database made before migrations existed (its tables there, no `alembic_version`) is
completed as before (missing tables and nullable columns added) and stamped with the head.

New revision, from the models: `python -m yinling.migrations revision services.platforms -m "..."`.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, MetaData, Table, inspect, text
from sqlalchemy.exc import DBAPIError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random

log = logging.getLogger(__name__)
# Alembic's env.py and the template of new revisions: files Alembic runs, not modules of the
# package (a folder without __init__.py, shipped as package data).
ENVIRONMENT = Path(__file__).resolve().parent / "environment"
VERSION_TABLE = "alembic_version"
# pg_advisory_xact_lock key: "YINL" in ASCII; any fixed number every process agrees on.
LOCK_KEY = 0x59494E4C


REVISION_FILES = "*_[0-9][0-9][0-9][0-9]_*.py"   # e.g. platforms_0001_initial_schema.py


def migrations_of(package: str) -> Path | None:
    """The `migrations` folder of a service package (e.g. services.platforms), if it has one:
    a `migrations` package holding revisions (the kernel's own yinling.migrations holds none)."""
    try:
        module = importlib.import_module(f"{package}.migrations")
    except ModuleNotFoundError:
        return None
    folder = Path(module.__file__ or "").resolve().parent
    return folder if any(folder.glob(REVISION_FILES)) else None


def metadata_of(tables: Iterable[Table]) -> MetaData:
    """The service's own tables alone: every service's models share one declarative Base."""
    from yinling.db import NAMING

    metadata = MetaData(naming_convention=NAMING)
    for table in sorted(tables, key=lambda t: t.name):
        table.to_metadata(metadata)
    return metadata


def config(connection: Connection, metadata: MetaData, versions: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ENVIRONMENT))
    cfg.set_main_option("version_locations", str(versions))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    cfg.attributes["target_metadata"] = metadata
    return cfg


def _lock(connection: Connection) -> None:
    """Begin the transaction the migration runs in, holding out every other migrator."""
    if connection.dialect.name == "sqlite":
        # pysqlite begins no transaction before DDL of its own accord: begin one that holds
        # the write lock, so the whole migration commits or rolls back as one.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": LOCK_KEY})


def upgrade(engine: Engine, tables: Iterable[Table], versions: Path, complete: bool = True) -> None:
    """`alembic upgrade head` on this service's database; retried when another process's DDL
    got in the way (each attempt starts over from what is committed). With `complete`, a
    table or nullable column of the models that no revision creates yet is added too, with a
    warning to write the revision (tests/integration/test_migrations.py fails meanwhile)."""
    metadata = metadata_of(tables)
    for attempt in Retrying(retry=retry_if_exception_type(DBAPIError), stop=stop_after_attempt(10),
                            wait=wait_random(0.02, 0.2), reraise=True):
        with attempt, engine.connect() as connection:
            _lock(connection)
            cfg = config(connection, metadata, versions)
            present = set(inspect(connection).get_table_names())
            if VERSION_TABLE not in present and present & set(metadata.tables):
                adopt(connection, metadata)
                command.stamp(cfg, "head")
            else:
                command.upgrade(cfg, "head")
                if complete and (missing := adopt(connection, metadata)):
                    log.warning("the models have %s, which no migration creates: add a revision "
                                "(python -m yinling.migrations revision ...)", ", ".join(missing))
            connection.commit()


def adopt(connection: Connection, metadata: MetaData) -> list[str]:
    """The tables and nullable columns of the models the database lacks, added as the services
    did before migrations (a database from then is adopted so, then stamped with the head).
    Returns what was added: "table" or "table.column"."""
    from yinling.db import add_missing_columns

    present = set(inspect(connection).get_table_names())
    metadata.create_all(connection)
    return (sorted(set(metadata.tables) - present)
            + add_missing_columns(connection, metadata.tables.values()))
