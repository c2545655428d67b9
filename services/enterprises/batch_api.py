"""EnterpriseRegistry.ApplyCommands: the registry's commands in bulk, one transaction per
call (yinling.batch), each command answered as its single call would be."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from google.protobuf.message import Message
from sqlalchemy.orm import sessionmaker

from services.enterprises.handlers import EnterpriseHandlers
from services.enterprises.statistics_handlers import StatisticsHandlers
from yinling.batch import BatchSessions, Refused, apply_batch, request_id_of
from yinling.errors import ValidationError
from yinling.v1 import enterprises_pb2 as pb
from yinling.v1.common_pb2 import CommandError

# oneof case -> the EnterpriseHandlers method that runs it
ENTERPRISE_COMMANDS = {
    "register": "register", "move": "move", "grant_qualification": "grant",
    "renew_qualification": "renew", "revoke_qualification": "revoke",
    "report_annual_statistics": "report_statistics", "correct": "correct",
}


def _nothing() -> None:
    pass


class EnterpriseBatches:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def apply(self, request: pb.ApplyEnterpriseCommandsRequest,
              actor: str) -> pb.ApplyEnterpriseCommandsResponse:
        commands = [partial(_one, command, actor) for command in request.commands]
        outcomes = apply_batch(self.sessions, self.on_commit, commands,
                               [request_id_of(c) for c in request.commands])
        return pb.ApplyEnterpriseCommandsResponse(outcomes=[_outcome(o) for o in outcomes])


def _one(command: pb.EnterpriseCommand, actor: str, batch: BatchSessions) -> Message:
    which = command.WhichOneof("command")
    if which is None:
        raise ValidationError("command", "one command is required")
    request = getattr(command, which)
    if which == "report_regional_statistic":
        return StatisticsHandlers(batch, _nothing).report(request, actor)  # type: ignore[arg-type]
    handlers = EnterpriseHandlers(batch, _nothing)  # type: ignore[arg-type]
    return getattr(handlers, ENTERPRISE_COMMANDS[which])(request, actor)  # type: ignore[no-any-return]


def _outcome(result: Message | Refused) -> pb.EnterpriseCommandOutcome:
    if isinstance(result, Refused):
        return pb.EnterpriseCommandOutcome(error=CommandError(
            code=result.code, message=result.message, field=result.field))
    if isinstance(result, pb.RegionalStatistic):
        return pb.EnterpriseCommandOutcome(regional_statistic=result)
    assert isinstance(result, pb.Enterprise)
    return pb.EnterpriseCommandOutcome(enterprise=result)
