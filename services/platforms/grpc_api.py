"""gRPC face of the registry: who may call what is declared in services.platforms.access and
checked by the server before a method runs."""
from __future__ import annotations

from collections.abc import Callable

import grpc
from sqlalchemy.orm import sessionmaker

from services.platforms.batch_api import PlatformBatches
from services.platforms.command_table import COMMANDS
from services.platforms.handlers import PlatformCommands
from services.platforms.queries import PlatformQueries
from yinling.auth import current_caller
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryServicer


class PlatformRegistry(PlatformRegistryServicer):
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.commands = PlatformCommands(sessions, on_commit)
        self.queries = PlatformQueries(sessions)
        self.batches = PlatformBatches(sessions, on_commit)

    def _command(self, case: str, request, context: grpc.ServicerContext) -> pb.Platform:  # type: ignore[no-untyped-def]
        return COMMANDS[case](self.commands, request, current_caller().actor)

    def Register(self, request: pb.RegisterPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self._command("register", request, context)

    def Accredit(self, request: pb.AccreditPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self._command("accredit", request, context)

    def Evaluate(self, request: pb.EvaluatePlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self._command("evaluate", request, context)

    def ChangeLevel(self, request: pb.ChangePlatformLevelRequest,
                    context: grpc.ServicerContext) -> pb.Platform:
        return self._command("change_level", request, context)

    def Revoke(self, request: pb.RevokePlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self._command("revoke", request, context)

    def Correct(self, request: pb.CorrectPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self._command("correct", request, context)

    def ApplyCommands(self, request: pb.ApplyPlatformCommandsRequest,
                      context: grpc.ServicerContext) -> pb.ApplyPlatformCommandsResponse:
        return self.batches.apply(request, current_caller().actor)

    def Get(self, request: pb.GetPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self.queries.get(request.platform_id)

    def List(self, request: pb.ListPlatformsRequest,
             context: grpc.ServicerContext) -> pb.ListPlatformsResponse:
        return self.queries.list(request)

    def History(self, request: pb.PlatformHistoryRequest,
                context: grpc.ServicerContext) -> pb.PlatformHistoryResponse:
        return self.queries.history(request.platform_id)

    def ListChanges(self, request: pb.ListPlatformChangesRequest,
                    context: grpc.ServicerContext) -> pb.ListPlatformChangesResponse:
        return self.queries.changes(request)
