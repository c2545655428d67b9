"""gRPC face of the talent registry. Every call needs a token (services.talent.access): even
without names, one person's record (enterprise, dates) can identify them, so talent records
are never open to anonymous callers. Get shows the person, and History the reasons, only to
callers holding the `talent:personal:read` scope.
Nothing here logs request contents."""
from __future__ import annotations

import grpc

from services.talent.access import PERSONAL
from services.talent.batch_api import TalentBatches
from services.talent.handlers import TalentHandlers
from services.talent.queries import TalentQueries
from yinling.auth import REDACTED_METADATA, current_caller
from yinling.v1 import talent_pb2 as pb
from yinling.v1 import talent_pb2_grpc

WITHHELD = "(a reason was given; it needs the personal-data role)"


class TalentServicer(talent_pb2_grpc.TalentRegistryServicer):
    def __init__(self, handlers: TalentHandlers, queries: TalentQueries) -> None:
        self.handlers = handlers
        self.queries = queries
        self.batches = TalentBatches(handlers)

    def Register(self, request: pb.RegisterTalentRequest, context: grpc.ServicerContext
                 ) -> pb.TalentRecord:
        return self.handlers.register(request, current_caller().actor)

    def End(self, request: pb.EndTalentRequest, context: grpc.ServicerContext) -> pb.TalentRecord:
        return self.handlers.end(request, current_caller().actor)

    def Correct(self, request: pb.CorrectTalentRequest, context: grpc.ServicerContext
                ) -> pb.TalentRecord:
        return self.handlers.correct(request, current_caller().actor)

    def ApplyCommands(self, request: pb.ApplyTalentCommandsRequest,
                      context: grpc.ServicerContext) -> pb.ApplyTalentCommandsResponse:
        return self.batches.apply(request, current_caller().actor)

    def Get(self, request: pb.GetTalentRequest, context: grpc.ServicerContext) -> pb.TalentDetail:
        caller = current_caller()
        return self.queries.get(request.record_id, caller.may(PERSONAL))

    def List(self, request: pb.ListTalentRequest, context: grpc.ServicerContext
             ) -> pb.ListTalentResponse:
        return self.queries.list(request)

    def History(self, request: pb.TalentHistoryRequest, context: grpc.ServicerContext
                ) -> pb.TalentHistoryResponse:
        caller = current_caller()
        entries = self.queries.history(request.record_id)
        if not caller.may(PERSONAL):  # a reason may name a person: say only that there is one
            for entry in entries:
                entry.reason = WITHHELD if entry.reason else ""
            context.set_trailing_metadata(((REDACTED_METADATA, "reason"),))
        return pb.TalentHistoryResponse(entries=entries)
