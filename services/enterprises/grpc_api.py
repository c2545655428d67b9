"""gRPC face of the enterprise registry (who may call what: services.enterprises.access).
Queries are open (enterprise records and regional statistics are public, not personal data),
except an enterprise's annual statistics (revenue, R&D expenditure, employees): confidential,
shown only with the `enterprises:statistics:read` scope and left out, with a `yinling-redacted: statistics` trailer, for anyone else."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeAlias

import grpc
from sqlalchemy.orm import sessionmaker

from services.enterprises.access import STATISTICS
from services.enterprises.batch_api import EnterpriseBatches
from services.enterprises.handlers import EnterpriseHandlers
from services.enterprises.queries import EnterpriseQueries
from services.enterprises.statistics_handlers import StatisticsHandlers
from yinling.auth import REDACTED_METADATA, current_caller
from yinling.v1 import enterprises_pb2 as pb
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryServicer

Ctx: TypeAlias = grpc.ServicerContext


class EnterpriseRegistry(EnterpriseRegistryServicer):
    def __init__(self, sessions: sessionmaker, on_commit) -> None:  # type: ignore[no-untyped-def]
        self.commands = EnterpriseHandlers(sessions, on_commit)
        self.statistics = StatisticsHandlers(sessions, on_commit)
        self.queries = EnterpriseQueries(sessions)
        self.batches = EnterpriseBatches(sessions, on_commit)

    def Register(self, request: pb.RegisterEnterpriseRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.register(request, current_caller().actor)

    def Move(self, request: pb.MoveEnterpriseRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.move(request, current_caller().actor)

    def GrantQualification(self, request: pb.GrantQualificationRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.grant(request, current_caller().actor)

    def RenewQualification(self, request: pb.RenewQualificationRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.renew(request, current_caller().actor)

    def RevokeQualification(self, request: pb.RevokeQualificationRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.revoke(request, current_caller().actor)

    def ReportAnnualStatistics(self, request: pb.ReportAnnualStatisticsRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.report_statistics(request, current_caller().actor)

    def Correct(self, request: pb.CorrectEnterpriseRequest, context: Ctx) -> pb.Enterprise:
        return self.commands.correct(request, current_caller().actor)

    def Get(self, request: pb.GetEnterpriseRequest, context: Ctx) -> pb.Enterprise:
        enterprise = self.queries.get(request.credit_code)
        _without_statistics(context, [enterprise])
        return enterprise

    def List(self, request: pb.ListEnterprisesRequest, context: Ctx) -> pb.ListEnterprisesResponse:
        page = self.queries.list(request)
        _without_statistics(context, page.enterprises)
        return page

    def History(self, request: pb.EnterpriseHistoryRequest, context: Ctx) -> pb.EnterpriseHistoryResponse:
        history = self.queries.history(request.credit_code)
        _without_statistics(context, history.snapshots)
        return history

    def ReportRegionalStatistic(self, request: pb.ReportRegionalStatisticRequest,
                                context: Ctx) -> pb.RegionalStatistic:
        return self.statistics.report(request, current_caller().actor)

    def ListRegionalStatistics(self, request: pb.ListRegionalStatisticsRequest,
                               context: Ctx) -> pb.ListRegionalStatisticsResponse:
        return pb.ListRegionalStatisticsResponse(statistics=self.statistics.list(request))

    def ApplyCommands(self, request: pb.ApplyEnterpriseCommandsRequest,
                      context: Ctx) -> pb.ApplyEnterpriseCommandsResponse:
        return self.batches.apply(request, current_caller().actor)

def _without_statistics(context: Ctx, enterprises: Iterable[pb.Enterprise]) -> None:
    """Annual statistics are confidential: shown only with the `enterprises:statistics:read` scope."""
    if current_caller().may(STATISTICS):
        return
    for enterprise in enterprises:
        enterprise.ClearField("statistics")
    context.set_trailing_metadata(((REDACTED_METADATA, "statistics"),))
