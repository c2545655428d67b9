"""The plans the feed describes, read from the same setting as the indicators service
(YINLING_PLAN: a plan file or a folder of them), on first use rather than at import."""
from __future__ import annotations

from collections.abc import Callable
from functools import cache

from yinling.config import Settings
from yinling.plan import Plan, load_plan, load_plans


def loader(settings: Settings) -> Callable[[], list[Plan]]:
    @cache
    def plans() -> list[Plan]:
        path = settings.plan_path
        return load_plans(path) if path.is_dir() else [load_plan(path)]
    return plans
