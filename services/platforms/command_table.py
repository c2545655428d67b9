"""Each registry command as one function of (handlers, request, actor): the single calls and
the batches (PlatformRegistry.ApplyCommands) run the very same code."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.platforms import domain
from services.platforms.corrections import correct
from services.platforms.handlers import PlatformCommands
from yinling.v1 import platforms_pb2 as pb

Run = Callable[[PlatformCommands, Any, str], pb.Platform]


def register(c: PlatformCommands, r: pb.RegisterPlatformRequest, actor: str) -> pb.Platform:
    return c.register(r, actor, lambda pid, now: domain.register(r, pid, now))


def accredit(c: PlatformCommands, r: pb.AccreditPlatformRequest, actor: str) -> pb.Platform:
    return c.change(r, "accredit", actor, r.platform_id, r.reason,
                    lambda p, now: domain.accredit(p, r.level, r.accredited_on, now))


def evaluate(c: PlatformCommands, r: pb.EvaluatePlatformRequest, actor: str) -> pb.Platform:
    return c.change(r, "evaluate", actor, r.platform_id, "",
                    lambda p, now: domain.evaluate(p, r.year, r.grade, r.evaluated_on, now))


def change_level(c: PlatformCommands, r: pb.ChangePlatformLevelRequest, actor: str) -> pb.Platform:
    return c.change(r, "change_level", actor, r.platform_id, r.reason,
                    lambda p, now: domain.change_level(p, r.level, r.effective_on, r.reason, now))


def revoke(c: PlatformCommands, r: pb.RevokePlatformRequest, actor: str) -> pb.Platform:
    return c.change(r, "revoke", actor, r.platform_id, r.reason,
                    lambda p, now: domain.revoke(p, r.revoked_on, r.reason, now))


def correct_platform(c: PlatformCommands, r: pb.CorrectPlatformRequest, actor: str) -> pb.Platform:
    return c.change(r, "correct", actor, r.platform_id, r.reason,
                    lambda p, now: correct(p, r.field, r.value, r.reason, now),
                    corrected=(r.field,))


# The PlatformCommand oneof case of each command.
COMMANDS: dict[str, Run] = {
    "register": register, "accredit": accredit, "evaluate": evaluate,
    "change_level": change_level, "revoke": revoke, "correct": correct_platform,
}
