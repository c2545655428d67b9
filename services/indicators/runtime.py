"""Opening the indicators database and engine: shared by the worker (which writes) and the
gRPC API (which reads). Nothing connects at import time."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from services.indicators.engine import MODELS, IndicatorEngine
from yinling.config import Settings
from yinling.dates import today_in_city
from yinling.db import create_schema, make_engine, make_sessionmaker
from yinling.plan import Plan, load_plan, load_plans

SERVICE = "indicators"


@dataclass
class IndicatorRuntime:
    db: Engine
    sessions: sessionmaker
    plans: list[Plan]
    engine: IndicatorEngine

    def close(self) -> None:
        self.db.dispose()


def open_runtime(settings: Settings, database_url: str | None = None, shard: int = 0) -> IndicatorRuntime:
    """`shard`: where this process adds its deltas (workers pick one each; readers need none)."""
    # A folder holds every plan (a second plan file is built from the facts at the next start).
    plans = load_plans(settings.plan_path) if settings.plan_path.is_dir() else [load_plan(settings.plan_path)]
    db = make_engine(database_url or settings.db_url(SERVICE))
    create_schema(db, MODELS)
    sessions = make_sessionmaker(db)
    engine = IndicatorEngine(sessions, plans, today=today_in_city, shard=shard)
    return IndicatorRuntime(db, sessions, plans, engine)
