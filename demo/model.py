"""What the demo generators produce: commands as protobuf requests, grouped into chains.

A chain is one subject's commands (a platform's lifecycle, an enterprise's qualifications);
its commands run in order, different chains may run concurrently. Identifiers the services
assign (platform ids, record ids) are named by reference and filled in by the sender.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from google.protobuf.message import Message

SEED = 20220101
PLAN_END = date(2024, 12, 31)


@dataclass(frozen=True)
class Command:
    service: str      # settings port key prefix: "platforms", "enterprises", ...
    method: str       # the rpc, e.g. "Register"
    request: Message  # carries a deterministic request_id
    # (request field, reference): "id" is the id the chain's first answer carried;
    # "qualification:<number>" the id of the qualification with that number.
    refs: tuple[tuple[str, str], ...] = ()


@dataclass
class Chain:
    subject: str
    commands: list[Command] = field(default_factory=list)


class RequestIds:
    """Deterministic request ids: a rerun sends the same ids, so nothing is applied twice."""

    def __init__(self, domain: str) -> None:
        self.domain = domain
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return f"demo-{self.domain}-{self.n:06d}"


def rng_for(domain: str) -> random.Random:
    # One stream per domain, so adding enterprises does not reshuffle platforms.
    return random.Random(f"{SEED}-{domain}")


def day_between(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def weighted(rng: random.Random, table: Mapping[str, float]) -> str:
    return rng.choices(list(table), weights=list(table.values()))[0]
