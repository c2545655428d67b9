"""Small-cell suppression of confidential indicators, worked by hand and as properties."""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from services.indicators.disclosure import contributor_counter, counted, reported_id, suppress
from services.indicators.measured import Measured
from yinling.plan import load_plan
from yinling.territory import CITY, DISTRICTS

PLAN = load_plan(Path(__file__).parents[2] / "plans" / "jiangmen-2022-2024.yaml")
CREDIT = PLAN.indicator("finance_credit")
PLATFORMS = PLAN.indicator("provincial_platforms")
PJ, JH, XH = "440703", "440704", "440705"


def cells(contributors: dict[str, int]) -> dict[str, Measured]:
    """Each contributor brings 1,000.00; the city is the sum of the districts."""
    by_district = {d: contributors.get(d, 0) for d in DISTRICTS}
    every = {**by_district, CITY: sum(by_district.values())}
    return {t: Measured(Decimal(1000 * n), contributors=n) for t, n in every.items()}


def withheld(result: dict[str, Measured]) -> set[str]:
    return {t for t, m in result.items() if m.suppressed}


def test_a_loan_alone_in_its_district_is_withheld_with_the_next_smallest_district() -> None:
    result = suppress(PLAN, CREDIT, cells({PJ: 1, JH: 4, XH: 9}))
    assert withheld(result) == {PJ, JH}
    assert result[PJ].value is None and "fewer than 3" in result[PJ].note
    assert result[JH].value is None and "cannot be derived" in result[JH].note
    assert result[CITY].value == Decimal(14000) and result[XH].value == Decimal(9000)


def test_two_small_districts_together_still_below_the_threshold_take_a_third() -> None:
    assert withheld(suppress(PLAN, CREDIT, cells({PJ: 1, JH: 1, XH: 5}))) == {PJ, JH, XH}


def test_small_districts_that_together_reach_the_threshold_need_no_complement() -> None:
    assert withheld(suppress(PLAN, CREDIT, cells({PJ: 2, JH: 2, XH: 5}))) == {PJ, JH}


def test_the_only_district_with_loans_takes_the_city_with_it() -> None:
    assert withheld(suppress(PLAN, CREDIT, cells({PJ: 2}))) == {PJ, CITY}


def test_zero_is_shown_and_never_stands_in_for_a_withheld_value() -> None:
    result = suppress(PLAN, CREDIT, cells({PJ: 3}))
    assert withheld(result) == set()
    assert result[JH].value == Decimal(0) and not result[JH].suppressed


def test_indicators_that_are_not_confidential_are_never_withheld() -> None:
    original = cells({PJ: 1})
    assert suppress(PLAN, PLATFORMS, original) == original


def test_a_confidential_sum_has_a_hidden_contributor_counter_and_a_count_needs_none() -> None:
    counter = contributor_counter(CREDIT)
    assert counter is not None and counter.counts.measure == "count_distinct"
    assert reported_id(counter.id) == "finance_credit" and counter.counts.where == CREDIT.counts.where
    assert contributor_counter(PLAN.indicator("finance_beneficiaries")) is None
    assert {i.id for i in counted(PLAN)} - {i.id for i in PLAN.indicators} == {counter.id}


@given(st.dictionaries(st.sampled_from(sorted(DISTRICTS)), st.integers(0, 6)))
def test_no_withheld_district_can_be_derived_and_no_small_cell_is_shown(contributors: dict[str, int]) -> None:
    least = PLAN.disclosure.min_contributors
    result = suppress(PLAN, CREDIT, cells(contributors))
    counts = {t: m.contributors or 0 for t, m in result.items()}
    for t, m in result.items():
        assert m.suppressed == (m.value is None)
        if not m.suppressed:
            assert counts[t] == 0 or counts[t] >= least, f"{t} shown with {counts[t]} contributors"
    hidden_districts = [t for t in DISTRICTS if result[t].suppressed]
    if hidden_districts and not result[CITY].suppressed:
        # what the city minus the shown districts gives away covers enough contributors
        assert sum(counts[t] for t in hidden_districts) >= least
