"""Commands on a finance record: each takes the current snapshot (or none) and returns the
new snapshot and the change name (past tense). Pure: the caller supplies ids and time."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from services.finance.rules import check_record, parse_amount
from yinling.bounds import check_as
from yinling.envelope import format_time
from yinling.errors import Conflict, ValidationError, shown
from yinling.v1.finance_pb2 import (
    CorrectFinanceRequest,
    FinanceRecord,
    RecordFinanceRequest,
    WithdrawFinanceRequest,
)

# Request field name -> record field; "amount" is the plain-language alias of amount_fen.
CORRECTABLE = {"amount_fen": "amount_fen", "amount": "amount_fen", "granted_on": "granted_on",
               "loan_type": "loan_type", "exchange": "exchange", "district": "district"}


@dataclass(frozen=True)
class Change:
    record: FinanceRecord
    change: str
    reason: str = ""
    corrected_fields: list[str] = field(default_factory=list)


def record(request: RecordFinanceRequest, record_id: str, today: date, at: datetime) -> Change:
    new = FinanceRecord(
        id=record_id, kind=request.kind, loan_type=request.loan_type,
        enterprise_credit_code=request.enterprise_credit_code.strip().upper(),
        district=request.district,
        amount_fen=request.amount_fen, granted_on=request.granted_on, exchange=request.exchange,
        version=1, updated_at=format_time(at))
    check_record(new, today)
    return Change(new, "recorded")


def withdraw(current: FinanceRecord, request: WithdrawFinanceRequest, today: date,
             at: datetime) -> Change:
    if current.withdrawn_on:
        raise Conflict("withdrawn_on",
                       f"the record was already withdrawn on {current.withdrawn_on}")
    if not request.withdrawn_on:
        raise ValidationError("withdrawn_on", "is required (YYYY-MM-DD)")
    reason = _required_reason(request.reason)
    new = _next(current, at)
    new.withdrawn_on = request.withdrawn_on
    check_record(new, today)
    return Change(new, "withdrawn", reason)


def correct(current: FinanceRecord, request: CorrectFinanceRequest, today: date,
            at: datetime) -> Change:
    target = CORRECTABLE.get(request.field)
    if target is None:
        raise ValidationError("field", f"{shown(request.field)} cannot be corrected; "
                                       f"one of {sorted(set(CORRECTABLE.values()))}")
    reason = _required_reason(request.reason)
    new = _next(current, at)
    if target == "amount_fen":
        new.amount_fen = parse_amount(request.value)
    else:
        setattr(new, target, check_as(target, request.value, target))  # dates stored as YYYY-MM-DD
    if getattr(new, target) == getattr(current, target):
        raise ValidationError("value", f"{target} already has this value; nothing to correct")
    check_record(new, today)
    return Change(new, "corrected", reason, [target])


def _next(current: FinanceRecord, at: datetime) -> FinanceRecord:
    new = FinanceRecord()
    new.CopyFrom(current)
    new.version = current.version + 1
    new.updated_at = format_time(at)
    return new


def _required_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError("reason", "is required: say why, for the record's history")
    return reason.strip()
