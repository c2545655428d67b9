"""The registry's tables on SQLite and PostgreSQL: a stale write loses, uniqueness holds."""
from __future__ import annotations

from threading import Event
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError

from services.enterprises.handlers import EnterpriseHandlers
from services.enterprises.store import MODELS, EnterpriseHistory, EnterpriseRecord
from yinling.aggregate_store import update_versioned
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.errors import Conflict
from yinling.v1.enterprises_pb2 import MoveEnterpriseRequest, RegisterEnterpriseRequest

CODE = "914403001922038216"


@pytest.fixture
def handlers(database_url: str) -> Any:
    engine = make_engine(database_url)
    create_schema(engine, MODELS)
    woken = Event()
    yield EnterpriseHandlers(make_sessionmaker(engine), woken.set), woken
    engine.dispose()


def test_a_write_based_on_a_stale_version_is_a_conflict(handlers: Any) -> None:
    h, woken = handlers
    h.register(RegisterEnterpriseRequest(credit_code=CODE, name="n", district="440703",
                                         industry_cluster="c", registered_on="2020-01-01"), "t")
    assert woken.is_set()  # the relay is woken after the commit
    h.move(MoveEnterpriseRequest(credit_code=CODE, district="440704", moved_on="2021-01-01"), "t")
    with pytest.raises(Conflict):
        with h.sessions.begin() as s:  # a command that read version 1 before the move committed
            update_versioned(s, EnterpriseRecord, "credit_code", CODE, 1, {"name": "stale"})
    with h.sessions() as s:
        row = s.get(EnterpriseRecord, CODE)
        assert (row.version, row.name, row.district) == (2, "n", "440704")


def test_history_versions_are_unique_per_enterprise(handlers: Any) -> None:
    h, _ = handlers
    h.register(RegisterEnterpriseRequest(credit_code=CODE, name="n", district="440703",
                                         industry_cluster="c", registered_on="2020-01-01"), "t")
    with pytest.raises(IntegrityError):
        with h.sessions.begin() as s:
            row = s.query(EnterpriseHistory).one()
            s.add(EnterpriseHistory(credit_code=CODE, version=1, change="registered", recorded_at=row.recorded_at,
                                    actor="x", reason="", corrected_fields="", event_id="e",
                                    snapshot=b""))
