"""TalentRegistry.ApplyCommands: the registry's commands in bulk, one transaction per call
(yinling.batch), each command answered as its single call would be. A refusal's message is
the single call's: it never quotes a person's data."""
from __future__ import annotations

from functools import partial

from services.talent.handlers import TalentHandlers
from yinling.batch import BatchSessions, Refused, apply_batch, request_id_of
from yinling.errors import ValidationError
from yinling.v1 import talent_pb2 as pb
from yinling.v1.common_pb2 import CommandError


def _nothing() -> None:
    pass


class TalentBatches:
    def __init__(self, handlers: TalentHandlers) -> None:
        self.handlers = handlers

    def apply(self, request: pb.ApplyTalentCommandsRequest,
              actor: str) -> pb.ApplyTalentCommandsResponse:
        commands = [partial(self._one, command, actor) for command in request.commands]
        outcomes = apply_batch(self.handlers.sessions, self.handlers.on_commit, commands,
                               [request_id_of(c) for c in request.commands])
        return pb.ApplyTalentCommandsResponse(outcomes=[_outcome(o) for o in outcomes])

    def _one(self, command: pb.TalentCommand, actor: str, batch: BatchSessions) -> pb.TalentRecord:
        which = command.WhichOneof("command")
        if which is None:
            raise ValidationError("command", "one command is required")
        handlers = TalentHandlers(batch, _nothing, self.handlers.pseudonymise)  # type: ignore[arg-type]
        return getattr(handlers, which)(getattr(command, which), actor)  # type: ignore[no-any-return]


def _outcome(result: pb.TalentRecord | Refused) -> pb.TalentCommandOutcome:
    if isinstance(result, Refused):
        return pb.TalentCommandOutcome(error=CommandError(
            code=result.code, message=result.message, field=result.field))
    return pb.TalentCommandOutcome(record=result)
