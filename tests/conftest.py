"""Shared fixtures: a real embedded broker (one per test session) and real databases.

PostgreSQL tests use YINLING_TEST_POSTGRES_URL (default: the local server, database
`test`); each test session works in a database of its own, dropped at the end.
"""
from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from yinling.broker import EmbeddedBroker, ensure_topics, free_port

POSTGRES_URL = os.environ.get("YINLING_TEST_POSTGRES_URL",
                              "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A real Kafka-protocol broker on a free loopback port, with every topic created."""
    external = os.environ.get("YINLING_TEST_BOOTSTRAP_SERVERS")
    if external:  # run the suite against a real Kafka cluster
        ensure_topics(external)
        yield EmbeddedBroker(host=external.split(":")[0], port=int(external.split(":")[1]))
        return
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    instance = EmbeddedBroker(port=free_port(), log_path=log).start()
    ensure_topics(instance.bootstrap)
    yield instance
    instance.stop()


def _postgres_reachable() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means not reachable
        return False


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A fresh database on the PostgreSQL server for this test session."""
    if not _postgres_reachable():
        if os.environ.get("YINLING_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is required here but {POSTGRES_URL} does not answer")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    name = f"yinling_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database: a SQLite file, and a PostgreSQL schema-free database
    (tables dropped after the test so tests do not see each other's rows)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    url = request.getfixturevalue("postgres_server_url")
    yield url
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
