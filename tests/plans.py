"""The city's plan as the tests load it."""
from __future__ import annotations

from pathlib import Path

from yinling.plan import Disclosure, Plan, load_plan

PLAN_PATH = Path(__file__).parents[1] / "plans" / "jiangmen-2022-2024.yaml"


def counting_rules_only(plan: Plan) -> Plan:
    """The plan with nothing withheld: for hand-worked worlds of a few records, where every
    confidential cell would be a small cell (suppression has tests of its own)."""
    return plan.model_copy(update={"disclosure": Disclosure(min_contributors=1)})


def plan_for_counting() -> Plan:
    return counting_rules_only(load_plan(PLAN_PATH))
