"""Each service's database is brought to its models by its Alembic migrations, on SQLite and
PostgreSQL: an empty database upgraded to the head revision matches the models exactly
(Alembic's autogenerate comparison finds nothing to do), and a database made before
migrations existed is completed and stamped, keeping its rows."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from yinling.db import Base, create_schema, make_engine, owned_tables
from yinling.migrations import config, metadata_of, migrations_of, upgrade

MODELS = {
    "platforms": "services.platforms.store",
    "enterprises": "services.enterprises.store",
    "talent": "services.talent.store",
    "finance": "services.finance.store",
    "ingest": "services.ingest.store",
    "indicators": "services.indicators.projection",
}


def models_of(service: str) -> list[type[Base]]:
    return list(importlib.import_module(MODELS[service]).MODELS)


def head_of(service: str) -> str:
    versions = migrations_of(f"services.{service}")
    assert versions is not None
    engine = make_engine("sqlite://")
    with engine.connect() as connection:
        head = ScriptDirectory.from_config(config(connection, metadata_of([]), versions)).get_current_head()
    engine.dispose()
    assert head is not None
    return head


def differences_from_the_models(connection, models: list[type[Base]]) -> list[object]:  # type: ignore[no-untyped-def]
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata_of(owned_tables(models))))


def version_of(connection) -> str:  # type: ignore[no-untyped-def]
    return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one())


@pytest.mark.parametrize("service", list(MODELS))
def test_an_empty_database_upgraded_to_head_matches_the_models(service: str, database_url: str):
    engine = make_engine(database_url)
    models = models_of(service)
    versions = migrations_of(f"services.{service}")
    assert versions is not None
    upgrade(engine, owned_tables(models), versions, complete=False)   # the revisions alone
    with engine.connect() as connection:
        version, differences = version_of(connection), differences_from_the_models(connection, models)
    engine.dispose()
    assert version == head_of(service)
    assert differences == [], "a model changed without a migration: python -m yinling.migrations revision"


def test_a_database_from_before_migrations_is_completed_and_stamped(database_url: str):
    models = models_of("platforms")
    engine = make_engine(database_url)
    metadata_of(owned_tables(models)).create_all(engine)   # as create_schema made it then,
    with engine.begin() as connection:                     # before a table and a column came
        connection.execute(text("DROP TABLE outbox_dead_letters"))
        connection.execute(text("ALTER TABLE command_log DROP COLUMN digest"))
        connection.execute(text("INSERT INTO command_log (request_id, command, response, recorded_at) "
                                "VALUES ('kept', 'register', '', CURRENT_TIMESTAMP)"))
    create_schema(engine, models)   # what a service does at start
    create_schema(engine, models)   # a second start changes nothing
    with engine.connect() as connection:
        version, differences = version_of(connection), differences_from_the_models(connection, models)
        kept = connection.execute(text("SELECT request_id FROM command_log")).scalars().all()
    engine.dispose()
    assert version == head_of("platforms") and kept == ["kept"]
    assert differences == []


def test_a_model_change_without_a_revision_is_added_at_start_and_shows_in_the_comparison(
        database_url: str, caplog: pytest.LogCaptureFixture):
    models = models_of("finance")
    versions = migrations_of("services.finance")
    assert versions is not None
    engine = make_engine(database_url)
    upgrade(engine, owned_tables(models), versions, complete=False)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE command_log DROP COLUMN digest"))  # as if new in the model
        assert differences_from_the_models(connection, models) != []
    create_schema(engine, models)
    with engine.connect() as connection:
        assert differences_from_the_models(connection, models) == []
    engine.dispose()
    assert "the models have command_log.digest, which no migration creates" in caplog.text
