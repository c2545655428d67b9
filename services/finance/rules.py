"""What makes a finance record valid, checked on the whole snapshot so that recording,
correcting and withdrawing all obey the same rules. Pure: no I/O."""
from __future__ import annotations

from datetime import date

from yinling.bounds import amount_fen, iso_date
from yinling.credit_code import validate_credit_code
from yinling.dates import require_order
from yinling.errors import ValidationError, shown
from yinling.territory import require_district
from yinling.v1.finance_pb2 import FinanceRecord

LOAN = "loan"
LISTING = "listing"
KINDS = (LOAN, "interest_subsidy", "insurance", LISTING)
# Kinds whose amount_fen is money: credit granted, subsidy paid, sum insured.
MONEY_KINDS = (LOAN, "interest_subsidy", "insurance")
LOAN_TYPES = ("credit", "equity_pledge", "ip_pledge", "equipment_leasing")
# Shanghai, Shenzhen, Hong Kong, Beijing stock exchanges, NEEQ, Guangdong equity exchange.
EXCHANGES = ("sse", "szse", "hkex", "bse", "neeq", "gdee")


def check_record(record: FinanceRecord, today: date) -> None:
    """Raise ValidationError naming the first field that breaks a rule."""
    if record.kind not in KINDS:
        raise ValidationError("kind", f"unknown kind {shown(record.kind)}; "
                                      f"expected one of {list(KINDS)}")
    _check_loan_type(record)
    validate_credit_code(record.enterprise_credit_code, "enterprise_credit_code")
    require_district(record.district)
    _check_amount(record)
    _check_exchange(record)
    granted = _past_date(record.granted_on, "granted_on", today)
    if record.withdrawn_on:
        withdrawn = _past_date(record.withdrawn_on, "withdrawn_on", today)
        require_order(granted, withdrawn, "granted_on", "withdrawn_on")


def _check_loan_type(record: FinanceRecord) -> None:
    if record.kind == LOAN:
        if not record.loan_type:
            raise ValidationError("loan_type", f"is required for a loan; one of {list(LOAN_TYPES)}")
        if record.loan_type not in LOAN_TYPES:
            raise ValidationError("loan_type", f"unknown loan type {shown(record.loan_type)}; "
                                               f"expected one of {list(LOAN_TYPES)}")
    elif record.loan_type:
        raise ValidationError("loan_type", f"applies to loans only, not to a {record.kind}")


def _check_amount(record: FinanceRecord) -> None:
    amount_fen(record.amount_fen, "amount_fen")
    if record.kind in MONEY_KINDS and record.amount_fen <= 0:
        raise ValidationError("amount_fen", f"must be a positive number of fen for a {record.kind}")
    if record.kind == LISTING and record.amount_fen:
        raise ValidationError("amount_fen", "a listing carries no amount")


def _check_exchange(record: FinanceRecord) -> None:
    if record.kind == LISTING:
        if record.exchange not in EXCHANGES:
            raise ValidationError("exchange", f"unknown exchange {shown(record.exchange)}; "
                                              f"expected one of {list(EXCHANGES)}")
    elif record.exchange:
        raise ValidationError("exchange", f"applies to listings only, not to a {record.kind}")


def _past_date(text: str, field: str, today: date) -> date:
    if not text:
        raise ValidationError(field, "is required (YYYY-MM-DD)")
    return iso_date(text, field, past=True, today=today)


def parse_amount(text: str) -> int:
    """A corrected amount arrives as text: whole fen only, so nothing is rounded."""
    if not text.isascii() or not text.isdigit() or len(text) > 20:
        raise ValidationError("amount_fen", f"{shown(text)} is not a whole number of fen")
    return amount_fen(int(text), "amount_fen")
