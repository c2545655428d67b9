"""FinanceRegistry.ApplyCommands: the registry's commands in bulk, one transaction per call
(yinling.batch), each command answered as its single call would be."""
from __future__ import annotations

from functools import partial

from services.finance.handlers import FinanceCommands
from yinling.batch import BatchSessions, Refused, apply_batch, request_id_of
from yinling.errors import ValidationError
from yinling.v1 import finance_pb2 as pb
from yinling.v1.common_pb2 import CommandError


def _nothing() -> None:
    pass


class FinanceBatches:
    def __init__(self, commands: FinanceCommands) -> None:
        self.commands = commands

    def apply(self, request: pb.ApplyFinanceCommandsRequest,
              actor: str) -> pb.ApplyFinanceCommandsResponse:
        commands = [partial(self._one, command, actor) for command in request.commands]
        outcomes = apply_batch(self.commands.sessions, self.commands.on_commit, commands,
                               [request_id_of(c) for c in request.commands])
        return pb.ApplyFinanceCommandsResponse(outcomes=[_outcome(o) for o in outcomes])

    def _one(self, command: pb.FinanceCommand, actor: str, batch: BatchSessions) -> pb.FinanceRecord:
        which = command.WhichOneof("command")
        if which is None:
            raise ValidationError("command", "one command is required")
        handlers = FinanceCommands(batch, _nothing, self.commands.clock)  # type: ignore[arg-type]
        return getattr(handlers, which)(getattr(command, which), actor)  # type: ignore[no-any-return]


def _outcome(result: pb.FinanceRecord | Refused) -> pb.FinanceCommandOutcome:
    if isinstance(result, Refused):
        return pb.FinanceCommandOutcome(error=CommandError(
            code=result.code, message=result.message, field=result.field))
    return pb.FinanceCommandOutcome(record=result)
