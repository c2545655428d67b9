"""Read side: one record, filtered pages of records, a record's history. Amounts come back
whole; hiding them from callers without the steward role is the API's job (grpc_api)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from yinling.credit_code import validate_credit_code
from yinling.envelope import format_time
from yinling.errors import NotFound, ValidationError
from yinling.territory import require_district
from yinling.v1.common_pb2 import HistoryEntry
from yinling.v1.finance_pb2 import FinanceRecord

from services.finance.rules import KINDS
from services.finance.store import FinanceHistoryRow, FinanceRow


@dataclass(frozen=True)
class Filters:
    kind: str = ""
    enterprise_credit_code: str = ""
    district: str = ""

    def checked(self) -> "Filters":
        """A filter naming something that cannot exist is a mistake worth telling the caller."""
        if self.kind and self.kind not in KINDS:
            raise ValidationError("kind", f"unknown kind {self.kind!r}; "
                                          f"expected one of {list(KINDS)}")
        if self.district:
            require_district(self.district)
        code = self.enterprise_credit_code
        if code:
            code = validate_credit_code(code, "enterprise_credit_code")
        return Filters(self.kind, code, self.district)


class FinanceQueries:
    def __init__(self, sessions: sessionmaker) -> None:
        self.sessions = sessions

    def get(self, record_id: str) -> FinanceRecord:
        with self.sessions() as s:
            row = s.get(FinanceRow, record_id)
            if row is None:
                raise NotFound("finance record", record_id)
            return row.record()

    def page(self, filters: Filters, offset: int, limit: int) -> tuple[list[FinanceRecord], int]:
        f = filters.checked()
        conditions = [column == value for column, value in (
            (FinanceRow.kind, f.kind),
            (FinanceRow.enterprise_credit_code, f.enterprise_credit_code),
            (FinanceRow.district, f.district)) if value]
        with self.sessions() as s:
            total = s.scalar(select(func.count()).select_from(FinanceRow).where(*conditions)) or 0
            rows = s.scalars(select(FinanceRow).where(*conditions)
                             .order_by(FinanceRow.granted_on, FinanceRow.id)
                             .offset(offset).limit(limit)).all()
            return [r.record() for r in rows], total

    def history(self, record_id: str) -> list[HistoryEntry]:
        with self.sessions() as s:
            rows = s.scalars(select(FinanceHistoryRow)
                             .where(FinanceHistoryRow.record_id == record_id)
                             .order_by(FinanceHistoryRow.version)).all()
            if not rows:
                raise NotFound("finance record", record_id)
            return [HistoryEntry(version=r.version, change=r.change,
                                 recorded_at=_rfc3339(r.recorded_at), actor=r.actor,
                                 reason=r.reason,
                                 corrected_fields=[f for f in r.corrected_fields.split(",") if f],
                                 event_id=r.event_id) for r in rows]


def _rfc3339(moment: datetime) -> str:
    # SQLite hands back naive datetimes; they were written in UTC.
    return format_time(moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc))
