"""The action plan as data: indicators, what counts for each, baselines and targets.

A plan is a YAML file (plans/*.yaml). A new plan with other periods or targets is a new
file, not new code. Loading validates everything and a malformed plan is refused with
the file, the line and the reason.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from yinling.territory import CITY, DISTRICTS

Kind = Literal["stock", "per_year", "cumulative", "ratio", "coverage"]
Window = Literal["stock", "year", "cumulative"]
Measure = Literal["count", "count_distinct", "sum"]
Source = Literal["platform", "qualification", "talent", "finance", "statistic"]
DEFAULT_WINDOW = {"stock": "stock", "per_year": "year", "cumulative": "cumulative",
                  "coverage": "stock", "ratio": "stock"}


class PlanError(ValueError):
    """A plan file that cannot be used: names the file, the line and the reason."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Filter(_Strict):
    attribute: str
    in_: list[str] | None = Field(default=None, alias="in")
    not_in: list[str] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> Filter:
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("give exactly one of 'in' or 'not_in'")
        return self

    def accepts(self, value: str) -> bool:
        return value in self.in_ if self.in_ is not None else value not in (self.not_in or [])


class RequiredQualification(_Strict):
    """The fact's enterprise must hold a valid qualification of `kind` on the given day."""
    kind: str
    at: Literal["valid_from", "as_of"] = "valid_from"


class Ratio(_Strict):
    numerator: str
    denominator: str
    scale: Decimal = Decimal(100)


class Counts(_Strict):
    source: Source
    where: list[Filter] = []
    window: Window | None = None
    measure: Measure = "count_distinct"
    amount_scale: Decimal = Decimal(1)   # finance: fen -> CNY is 0.01
    decimals: int = 0
    requires_qualification: RequiredQualification | None = None
    ratio: Ratio | None = None


class Baseline(_Strict):
    as_of: date
    value: Decimal | None = None   # None: measured from the records on as_of


class Target(_Strict):
    date: date
    territory: str = CITY
    value: Decimal
    note: str = ""
    note_zh: str = ""   # the note in Chinese, for the page


class Indicator(_Strict):
    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: Kind
    counts: Counts
    baseline: Baseline
    targets: list[Target] = []
    note: str = ""
    # Counted from confidential records (people, per-enterprise money): small cells are
    # withheld from every public output (see Disclosure).
    confidential: bool = False

    @property
    def window(self) -> str:
        return self.counts.window or DEFAULT_WINDOW[self.kind]

    def target_for(self, territory: str, as_of: date) -> Target | None:
        """The first target on or after as_of for the territory; past the last, the last."""
        mine = sorted((t for t in self.targets if t.territory == territory), key=lambda t: t.date)
        if not mine:
            return None
        return next((t for t in mine if t.date >= as_of), mine[-1])


class Period(_Strict):
    start: date
    end: date


class Disclosure(_Strict):
    """Small-cell rule for confidential indicators: a value from fewer than `min_contributors`
    distinct enterprises or people is published as suppressed, never as a number."""
    min_contributors: int = Field(default=3, ge=1)


class Plan(_Strict):
    id: str
    name_zh: str
    name_en: str
    period: Period
    series: list[date]
    territories: list[str]
    status_tolerance: Decimal = Decimal("0.05")
    active: bool = True
    disclosure: Disclosure = Disclosure()
    indicators: list[Indicator]

    def indicator(self, indicator_id: str) -> Indicator:
        for i in self.indicators:
            if i.id == indicator_id:
                return i
        raise KeyError(indicator_id)

    def series_names(self) -> list[str]:
        return ["now", *(d.isoformat() for d in self.series)]


def _lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, key.value)] = key.start_mark.line + 1
            _lines(value, (*path, key.value), out)
            out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), out)


def _where(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(plan)"


def _reason(error: ErrorDetails) -> str:
    if error["type"] == "literal_error":
        allowed = error["ctx"]["expected"].replace("'", "").replace(" or ", ", ")
        return f"{error['input']!r} is not one of {allowed}"
    return str(error["msg"]).removeprefix("Value error, ")


def _fail(name: str, lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...], reason: str) -> PlanError:
    known = loc
    while known and known not in lines:
        known = known[:-1]
    return PlanError(f"{name}:{lines.get(known, 1)}: {_where(loc)}: {reason}")


def parse_plan(text: str, name: str = "<plan>") -> Plan:
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        line = e.problem_mark.line + 1 if getattr(e, "problem_mark", None) else 1  # type: ignore[attr-defined]
        raise PlanError(f"{name}:{line}: (plan): not valid YAML: {getattr(e, 'problem', e)}") from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _lines(node, (), lines)
    if not isinstance(data, dict):
        raise PlanError(f"{name}:1: (plan): a plan is a mapping of id, names, period, indicators")
    try:
        plan = Plan.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        raise _fail(name, lines, loc, _reason(first)) from None
    for loc, reason in _consistency(plan):
        raise _fail(name, lines, loc, reason)
    return plan


def _consistency(plan: Plan) -> list[tuple[tuple[Any, ...], str]]:
    """Rules across fields that the types alone cannot say."""
    problems: list[tuple[tuple[Any, ...], str]] = []
    known = {CITY, *DISTRICTS}
    for i, code in enumerate(plan.territories):
        if code not in known:
            problems.append((("territories", i), f"{code!r} is not a territory of the city"))
    if plan.period.end < plan.period.start:
        problems.append((("period", "end"), "is before period.start"))
    seen: set[str] = set()
    for n, ind in enumerate(plan.indicators):
        if ind.id in seen:
            problems.append((("indicators", n, "id"), f"{ind.id!r} appears twice"))
        seen.add(ind.id)
        if ind.confidential and ind.kind in ("ratio", "coverage"):
            problems.append((("indicators", n, "confidential"),
                             "applies to counted and summed indicators, not to a ratio or coverage"))
        if ind.kind == "ratio" and ind.counts.ratio is None:
            problems.append((("indicators", n, "counts"), "a ratio indicator needs counts.ratio"))
        for t, target in enumerate(ind.targets):
            if target.territory not in plan.territories:
                problems.append((("indicators", n, "targets", t, "territory"),
                                 f"{target.territory!r} is not one of the plan's territories"))
    return problems


def load_plan(path: str | Path) -> Plan:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise PlanError(f"{path}:0: (plan): cannot be read: {e.strerror}") from None
    return parse_plan(text, str(path))


def load_plans(directory: str | Path) -> list[Plan]:
    """Every *.yaml plan of the folder, in file-name order; plan ids must differ."""
    plans = [load_plan(p) for p in sorted(Path(directory).glob("*.yaml"))]
    ids = [p.id for p in plans]
    for plan_id in ids:
        if ids.count(plan_id) > 1:
            raise PlanError(f"{directory}: plan id {plan_id!r} is used by more than one file")
    return plans


def active_plan(plans: list[Plan]) -> Plan:
    """The active plan with the latest start (the current one)."""
    active = [p for p in plans if p.active] or plans
    if not active:
        raise PlanError("no plan is loaded")
    return max(active, key=lambda p: p.period.start)
