"""PlatformRegistry.ApplyCommands: the registry's commands in bulk, one transaction per call
(yinling.batch), each command answered as its single call would be."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy.orm import sessionmaker

from services.platforms.command_table import COMMANDS
from services.platforms.handlers import PlatformCommands
from yinling.batch import BatchSessions, Refused, apply_batch, request_id_of
from yinling.errors import ValidationError
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.common_pb2 import CommandError


def _nothing() -> None:
    pass


class PlatformBatches:
    def __init__(self, sessions: sessionmaker, on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_commit = on_commit

    def apply(self, request: pb.ApplyPlatformCommandsRequest,
              actor: str) -> pb.ApplyPlatformCommandsResponse:
        commands = [partial(_one, command, actor) for command in request.commands]
        outcomes = apply_batch(self.sessions, self.on_commit, commands,
                               [request_id_of(c) for c in request.commands])
        return pb.ApplyPlatformCommandsResponse(outcomes=[_outcome(o) for o in outcomes])


def _one(command: pb.PlatformCommand, actor: str, batch: BatchSessions) -> pb.Platform:
    which = command.WhichOneof("command")
    if which is None:
        raise ValidationError("command", "one command is required")
    handlers = PlatformCommands(batch, _nothing)  # type: ignore[arg-type]
    return COMMANDS[which](handlers, getattr(command, which), actor)


def _outcome(result: pb.Platform | Refused) -> pb.PlatformCommandOutcome:
    if isinstance(result, Refused):
        return pb.PlatformCommandOutcome(error=CommandError(
            code=result.code, message=result.message, field=result.field))
    return pb.PlatformCommandOutcome(platform=result)
