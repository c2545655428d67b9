"""Processes that share a database create its tables together at start (the indicators worker
and API, several workers): every one of them must come up, whoever creates a table first."""
from __future__ import annotations

import multiprocessing

from sqlalchemy import inspect

from services.indicators.engine import MODELS
from yinling.db import create_schema, make_engine

RACERS = 4


def _create(url: str, start: multiprocessing.synchronize.Barrier) -> None:
    engine = make_engine(url)
    start.wait()
    create_schema(engine, MODELS)
    engine.dispose()


def test_processes_racing_to_create_the_same_tables_all_start(database_url: str) -> None:
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(RACERS)
    racers = [context.Process(target=_create, args=(database_url, start)) for _ in range(RACERS)]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join(120)
    assert [racer.exitcode for racer in racers] == [0] * RACERS
    engine = make_engine(database_url)
    expected = {model.__tablename__ for model in MODELS}
    assert expected <= set(inspect(engine).get_table_names())
    engine.dispose()
