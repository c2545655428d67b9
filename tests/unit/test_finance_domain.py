"""Pure rules of finance records: recording, withdrawing, correcting."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from services.finance import domain
from yinling.credit_code import make_credit_code
from yinling.errors import Conflict, ValidationError
from yinling.v1.finance_pb2 import (
    CorrectFinanceRequest,
    RecordFinanceRequest,
    WithdrawFinanceRequest,
)

TODAY = date(2024, 6, 30)
AT = datetime(2024, 6, 30, 8, 0, tzinfo=UTC)
CODE = make_credit_code("440703", 12345678)


def loan(**changes: object) -> RecordFinanceRequest:
    fields: dict[str, object] = dict(kind="loan", loan_type="ip_pledge", district="440703",
                                     enterprise_credit_code=CODE, amount_fen=500_000_000,
                                     granted_on="2024-03-01")
    fields.update(changes)
    return RecordFinanceRequest(**fields)  # type: ignore[arg-type]


def listing(**changes: object) -> RecordFinanceRequest:
    fields: dict[str, object] = dict(kind="listing", enterprise_credit_code=CODE, district="440704",
                                     granted_on="2023-11-15", exchange="szse")
    fields.update(changes)
    return RecordFinanceRequest(**fields)  # type: ignore[arg-type]


def rejected_field(call, *args) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        call(*args)
    return caught.value.field


def test_a_loan_is_recorded_as_version_one_with_its_exact_amount() -> None:
    change = domain.record(loan(amount_fen=12_345_678_901_234), "r1", TODAY, AT)
    assert change.change == "recorded"
    assert change.record.version == 1
    assert change.record.amount_fen == 12_345_678_901_234
    assert change.record.updated_at == "2024-06-30T08:00:00Z"


def test_the_credit_code_is_normalised_to_upper_case() -> None:
    change = domain.record(loan(enterprise_credit_code=f"  {CODE.lower()} "), "r1", TODAY, AT)
    assert change.record.enterprise_credit_code == CODE


def test_a_listing_carries_an_exchange_and_no_amount() -> None:
    assert domain.record(listing(), "r2", TODAY, AT).record.exchange == "szse"


@pytest.mark.parametrize("request_, field", [
    (loan(kind="grant"), "kind"),
    (loan(loan_type=""), "loan_type"),
    (loan(loan_type="mortgage"), "loan_type"),
    (loan(kind="insurance"), "loan_type"),
    (loan(amount_fen=0), "amount_fen"),
    (loan(kind="interest_subsidy", loan_type="", amount_fen=-5), "amount_fen"),
    (listing(amount_fen=100), "amount_fen"),
    (listing(exchange="nyse"), "exchange"),
    (listing(exchange=""), "exchange"),
    (loan(exchange="sse"), "exchange"),
    (loan(granted_on="2024/03/01"), "granted_on"),
    (loan(granted_on=""), "granted_on"),
    (loan(granted_on="2024-07-01"), "granted_on"),
    (loan(district="440100"), "district"),
    (loan(enterprise_credit_code="91440703123456780X"), "enterprise_credit_code"),
])
def test_bad_records_are_refused_naming_the_field(request_: RecordFinanceRequest,
                                                  field: str) -> None:
    assert rejected_field(domain.record, request_, "r", TODAY, AT) == field


def test_a_record_granted_today_is_accepted() -> None:
    assert domain.record(loan(granted_on=TODAY.isoformat()), "r", TODAY, AT).record.granted_on


def test_withdrawal_keeps_the_record_and_sets_the_date() -> None:
    current = domain.record(loan(), "r1", TODAY, AT).record
    change = domain.withdraw(current, WithdrawFinanceRequest(
        record_id="r1", withdrawn_on="2024-04-01", reason="loan cancelled by the bank"), TODAY, AT)
    assert (change.change, change.record.withdrawn_on, change.record.version) == \
        ("withdrawn", "2024-04-01", 2)
    assert change.record.amount_fen == current.amount_fen
    assert change.reason == "loan cancelled by the bank"


@pytest.mark.parametrize("withdrawn_on, reason, field", [
    ("2024-02-28", "mistake", "withdrawn_on"),
    ("2024-07-01", "mistake", "withdrawn_on"),
    ("", "mistake", "withdrawn_on"),
    ("2024-04-01", "  ", "reason"),
])
def test_bad_withdrawals_are_refused(withdrawn_on: str, reason: str, field: str) -> None:
    current = domain.record(loan(), "r1", TODAY, AT).record
    request = WithdrawFinanceRequest(record_id="r1", withdrawn_on=withdrawn_on, reason=reason)
    assert rejected_field(domain.withdraw, current, request, TODAY, AT) == field


def test_a_record_is_withdrawn_only_once() -> None:
    current = domain.record(loan(), "r1", TODAY, AT).record
    request = WithdrawFinanceRequest(record_id="r1", withdrawn_on="2024-04-01", reason="x")
    once = domain.withdraw(current, request, TODAY, AT).record
    with pytest.raises(Conflict):
        domain.withdraw(once, request, TODAY, AT)


def test_correcting_the_amount_names_the_field_and_bumps_the_version() -> None:
    current = domain.record(loan(), "r1", TODAY, AT).record
    change = domain.correct(current, CorrectFinanceRequest(
        record_id="r1", field="amount", value="499999999", reason="typo"), TODAY, AT)
    assert change.record.amount_fen == 499_999_999
    assert change.corrected_fields == ["amount_fen"]
    assert change.record.version == 2


@pytest.mark.parametrize("field, value, reason, rejected", [
    ("amount_fen", "12.50", "typo", "amount_fen"),
    ("amount_fen", "0", "typo", "amount_fen"),
    ("amount_fen", str(2**63), "typo", "amount_fen"),
    ("amount_fen", "7", "", "reason"),
    ("kind", "insurance", "typo", "field"),
    ("loan_type", "leasing", "typo", "loan_type"),
    ("exchange", "sse", "typo", "exchange"),
    ("district", "440703", "typo", "value"),
    ("granted_on", "2030-01-01", "typo", "granted_on"),
])
def test_bad_corrections_are_refused(field: str, value: str, reason: str, rejected: str) -> None:
    current = domain.record(loan(), "r1", TODAY, AT).record
    request = CorrectFinanceRequest(record_id="r1", field=field, value=value, reason=reason)
    assert rejected_field(domain.correct, current, request, TODAY, AT) == rejected


def test_moving_granted_on_past_the_withdrawal_is_refused() -> None:
    current = domain.record(loan(), "r1", TODAY, AT).record
    withdrawn = domain.withdraw(current, WithdrawFinanceRequest(
        record_id="r1", withdrawn_on="2024-04-01", reason="x"), TODAY, AT).record
    request = CorrectFinanceRequest(record_id="r1", field="granted_on", value="2024-05-01",
                                    reason="x")
    assert rejected_field(domain.correct, withdrawn, request, TODAY, AT) == "withdrawn_on"
