"""The owning services of the kinds of table, one module each: per kind the owner's requests
built from a row, the owner's own domain rules run on them (validation), and how they are
sent to the owner's gRPC API (applying). A kind names its owner in its yaml."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from types import ModuleType
from urllib.parse import unquote

import grpc
from google.protobuf.message import Message

# An owner that is away: retried with backoff. Any other answer is final.
RETRYABLE_CODES = frozenset({grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                             grpc.StatusCode.ABORTED})

Fields = Mapping[str, object]


@dataclass(frozen=True)
class Refusal:
    """The owner's refusal of a row: the field it named, its code and message."""

    field: str
    code: str
    message: str


class Sender:
    """Sends rows (each a list of the owner's requests, request ids set) to the owner's API;
    answers one refusal, or None, per row. Only an owner that is away raises (grpc.RpcError),
    for the caller to retry; any other answer is final."""

    def send(self, rows: list[list[Message]]) -> list[Refusal | None]:
        raise NotImplementedError


@dataclass(frozen=True)
class Owner:
    builders: Mapping[str, Callable[[Fields, str], list[Message]]]  # kind -> requests of a row
    check: Callable[[list[Message], date], None]  # the owner's domain rules; raises on refusal
    sender: Callable[[object, tuple[tuple[str, str], ...]], Sender]  # (channel, metadata)


def owner(name: str) -> Owner:
    from services.ingest.owners import enterprises, finance, platforms, talent

    modules: dict[str, ModuleType] = {"enterprises": enterprises, "platforms": platforms,
                                      "finance": finance, "talent": talent}
    return modules[name].OWNER  # type: ignore[no-any-return]


def owner_of_kind(kind: str) -> Owner:
    from services.ingest.kinds import kinds

    return owner(kinds()[kind].owner)


def first_refusals(row_of: list[int], outcomes: list, rows: int) -> list[Refusal | None]:  # type: ignore[type-arg]
    """From ApplyCommands outcomes (one per command; `row_of` gives each command's row) to the
    first refusal of each row."""
    refusals: list[Refusal | None] = [None] * rows
    for row, outcome in zip(row_of, outcomes, strict=True):
        if outcome.WhichOneof("outcome") == "error" and refusals[row] is None:
            refusals[row] = Refusal(outcome.error.field, outcome.error.code, outcome.error.message)
    return refusals


def unary_refusal(call: Callable[[], object]) -> Refusal | None:
    """One request sent alone: its final refusal, or None; an owner that is away raises."""
    try:
        call()
    except grpc.RpcError as exc:
        if exc.code() in RETRYABLE_CODES:  # type: ignore[attr-defined]
            raise
        trailers = dict(exc.trailing_metadata() or ())  # type: ignore[attr-defined]
        return Refusal(unquote(trailers.get("yinling-field", "")), exc.code().name,  # type: ignore[attr-defined]
                       exc.details() or "")  # type: ignore[attr-defined]
    return None
