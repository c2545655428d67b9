"""Row ids in commit order on PostgreSQL (yinling.commit_order): without the lock a reader can
see a later id committed while an earlier one is still open, and step past it for good; with
it, the second writer waits for the first to commit, so ids are committed in order."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table, create_engine, insert, select
from sqlalchemy.orm import Session

from yinling.commit_order import serialise

pytestmark = pytest.mark.postgres
LOG = Table("commit_order_log", MetaData(), Column("id", BigInteger, primary_key=True,
                                                   autoincrement=True))


def write(engine, ordered: bool, done: list[int]) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s, s.begin():
        if ordered:
            serialise(s, "commit_order_log")
        done.append(s.execute(insert(LOG).returning(LOG.c.id)).scalar_one())


@pytest.mark.parametrize("ordered", [False, True])
def test_a_reader_never_sees_a_later_id_before_an_earlier_one_commits(postgres_server_url, ordered) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(postgres_server_url)
    LOG.create(engine)
    try:
        with Session(engine) as first, first.begin():
            if ordered:
                serialise(first, "commit_order_log")
            early = first.execute(insert(LOG).returning(LOG.c.id)).scalar_one()
            later: list[int] = []
            second = threading.Thread(target=write, args=(engine, ordered, later))
            second.start()
            time.sleep(0.3)
            with engine.connect() as reader:
                seen = list(reader.scalars(select(LOG.c.id)))
            if ordered:
                assert later == [] and seen == []           # the second writer waits
            else:
                assert seen == later and later[0] > early   # a later id visible, the earlier not
        second.join(5)
        assert later and later[0] > early
    finally:
        LOG.drop(engine)
        engine.dispose()
