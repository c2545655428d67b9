"""gRPC FinanceRegistry (who may call what: services.finance.access).

Confidentiality (chosen: redact, not refuse): per-enterprise amounts are commercially
confidential, but that a loan or listing exists is not. So Get and List answer every
caller; callers without the `finance:amounts:read` scope get amount_fen = 0 and the trailing metadata
`yinling-redacted: amount_fen`, and History gives them no free-text reasons (a reason may
quote an amount) with `yinling-redacted: reason`. Aggregates are the open-data feed's job.
"""
from __future__ import annotations

from collections.abc import Callable

import grpc
from sqlalchemy.orm import sessionmaker

from services.finance.access import AMOUNTS
from services.finance.batch_api import FinanceBatches
from services.finance.handlers import FinanceCommands
from services.finance.queries import Filters, FinanceQueries
from yinling.auth import REDACTED_METADATA, current_caller
from yinling.paging import next_token, page_bounds
from yinling.v1 import finance_pb2 as pb
from yinling.v1.finance_pb2_grpc import FinanceRegistryServicer


class FinanceServicer(FinanceRegistryServicer):
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.commands = FinanceCommands(sessions, on_commit)
        self.batches = FinanceBatches(self.commands)
        self.queries = FinanceQueries(sessions)

    # -- commands ------------------------------------------------------------
    def Record(self, request: pb.RecordFinanceRequest,
               context: grpc.ServicerContext) -> pb.FinanceRecord:
        return self.commands.record(request, current_caller().actor)

    def Withdraw(self, request: pb.WithdrawFinanceRequest,
                 context: grpc.ServicerContext) -> pb.FinanceRecord:
        return self.commands.withdraw(request, current_caller().actor)

    def Correct(self, request: pb.CorrectFinanceRequest,
                context: grpc.ServicerContext) -> pb.FinanceRecord:
        return self.commands.correct(request, current_caller().actor)

    def ApplyCommands(self, request: pb.ApplyFinanceCommandsRequest,
                      context: grpc.ServicerContext) -> pb.ApplyFinanceCommandsResponse:
        return self.batches.apply(request, current_caller().actor)

    # -- queries -------------------------------------------------------------
    def Get(self, request: pb.GetFinanceRequest, context: grpc.ServicerContext) -> pb.FinanceRecord:
        record = self.queries.get(request.record_id)
        return _redacted(context, [record])[0]

    def List(self, request: pb.ListFinanceRequest,
             context: grpc.ServicerContext) -> pb.ListFinanceResponse:
        offset, limit = page_bounds(request.page.page_size, request.page.page_token)
        filters = Filters(request.kind, request.enterprise_credit_code, request.district)
        records, total = self.queries.page(filters, offset, limit)
        return pb.ListFinanceResponse(records=_redacted(context, records), total=total,
                                      next_page_token=next_token(offset, limit, total))

    def History(self, request: pb.FinanceHistoryRequest,
                context: grpc.ServicerContext) -> pb.FinanceHistoryResponse:
        entries = self.queries.history(request.record_id)
        if not current_caller().may(AMOUNTS):
            for entry in entries:
                entry.reason = ""
            context.set_trailing_metadata(((REDACTED_METADATA, "reason"),))
        return pb.FinanceHistoryResponse(entries=entries)


def _redacted(context: grpc.ServicerContext,
              records: list[pb.FinanceRecord]) -> list[pb.FinanceRecord]:
    """Zero the amounts unless the caller may see them, and say so in trailing metadata."""
    if current_caller().may(AMOUNTS):
        return records
    for record in records:
        record.amount_fen = 0
    context.set_trailing_metadata(((REDACTED_METADATA, "amount_fen"),))
    return records
