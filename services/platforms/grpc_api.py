"""gRPC face of the registry: commands need a steward's token, queries are public
(platforms are organisations, not persons)."""
from __future__ import annotations

from collections.abc import Callable

import grpc
from sqlalchemy.orm import sessionmaker

from services.platforms import domain
from services.platforms.corrections import correct
from services.platforms.handlers import PlatformCommands
from services.platforms.queries import PlatformQueries
from yinling.auth import STEWARD, require
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryServicer


class PlatformRegistry(PlatformRegistryServicer):
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.commands = PlatformCommands(sessions, on_commit)
        self.queries = PlatformQueries(sessions)

    def Register(self, request: pb.RegisterPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        actor = require(context, STEWARD).actor
        return self.commands.register(request, actor,
                                      lambda pid, now: domain.register(request, pid, now))

    def Accredit(self, request: pb.AccreditPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        actor = require(context, STEWARD).actor
        return self.commands.change(
            request, "accredit", actor, request.platform_id, request.reason,
            lambda p, now: domain.accredit(p, request.level, request.accredited_on, now))

    def Evaluate(self, request: pb.EvaluatePlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        actor = require(context, STEWARD).actor
        return self.commands.change(
            request, "evaluate", actor, request.platform_id, "",
            lambda p, now: domain.evaluate(p, request.year, request.grade, request.evaluated_on, now))

    def ChangeLevel(self, request: pb.ChangePlatformLevelRequest,
                    context: grpc.ServicerContext) -> pb.Platform:
        actor = require(context, STEWARD).actor
        return self.commands.change(
            request, "change_level", actor, request.platform_id, request.reason,
            lambda p, now: domain.change_level(p, request.level, request.effective_on,
                                               request.reason, now))

    def Revoke(self, request: pb.RevokePlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        actor = require(context, STEWARD).actor
        return self.commands.change(
            request, "revoke", actor, request.platform_id, request.reason,
            lambda p, now: domain.revoke(p, request.revoked_on, request.reason, now))

    def Correct(self, request: pb.CorrectPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        actor = require(context, STEWARD).actor
        return self.commands.change(
            request, "correct", actor, request.platform_id, request.reason,
            lambda p, now: correct(p, request.field, request.value, request.reason, now),
            corrected=(request.field,))

    def Get(self, request: pb.GetPlatformRequest, context: grpc.ServicerContext) -> pb.Platform:
        return self.queries.get(request.platform_id)

    def List(self, request: pb.ListPlatformsRequest,
             context: grpc.ServicerContext) -> pb.ListPlatformsResponse:
        return self.queries.list(request)

    def History(self, request: pb.PlatformHistoryRequest,
                context: grpc.ServicerContext) -> pb.PlatformHistoryResponse:
        return self.queries.history(request.platform_id)
