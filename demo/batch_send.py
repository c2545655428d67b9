"""Send chains to a service that takes commands in batches (ApplyCommands of every
registry): one call carries the next command of up to BATCH chains, all of different
aggregates, so each chain still has at most one command in flight and its commands stay in
order; the service applies each batch in one transaction. Callers side by side (each with
its own share of the chains) are possible, but on SQLite the service applies one batch at a
time anyway, and on two shared cores a second caller measured no faster than one."""
from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc

from demo.model import Chain, Command
from demo.send import Outcome, Sender, resolve
from yinling.v1 import enterprises_pb2, finance_pb2, platforms_pb2, talent_pb2

log = logging.getLogger(__name__)
# service -> (the method, its request, the one-command wrapper whose oneof case is the
# snake_case name of the single call's method)
BATCHED: dict[str, tuple[str, Any, Any]] = {
    "enterprises": ("ApplyCommands", enterprises_pb2.ApplyEnterpriseCommandsRequest,
                    enterprises_pb2.EnterpriseCommand),
    "platforms": ("ApplyCommands", platforms_pb2.ApplyPlatformCommandsRequest,
                  platforms_pb2.PlatformCommand),
    "talent": ("ApplyCommands", talent_pb2.ApplyTalentCommandsRequest, talent_pb2.TalentCommand),
    "finance": ("ApplyCommands", finance_pb2.ApplyFinanceCommandsRequest,
                finance_pb2.FinanceCommand),
}
BATCH = 400   # yinling.batch.MAX_COMMANDS is 500
CALLERS = 1


def case_of(method: str) -> str:
    """The oneof case of a single call's method: GrantQualification -> grant_qualification."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


@dataclass
class Cursor:
    chain: Chain
    at: int = 0
    first: Any = None
    last: Any = None

    @property
    def command(self) -> Command:
        return self.chain.commands[self.at]

    def answered(self, answer: Any) -> bool:
        """Moves on; True once the chain is done."""
        self.last = answer
        self.first = self.first if self.first is not None else answer
        self.at += 1
        return self.at == len(self.chain.commands)


class BatchSender:
    def __init__(self, sender: Sender, service: str, batch: int = BATCH,
                 callers: int = CALLERS) -> None:
        self.sender = sender
        self.service = service
        self.method, self.request, self.wrapper = BATCHED[service]
        self.batch = batch
        self.callers = callers

    def send(self, chains: Sequence[Chain], on_answer: Callable[[], None]) -> Outcome:
        started = time.perf_counter()
        outcome = Outcome()
        shares = [chains[n::self.callers] for n in range(self.callers)]
        with ThreadPoolExecutor(self.callers, thread_name_prefix=f"demo-{self.service}") as pool:
            for sent, failed in pool.map(lambda share: self.run(share, on_answer), shares):
                outcome.sent += sent
                outcome.failed += failed
        outcome.seconds = time.perf_counter() - started
        return outcome

    def run(self, chains: Sequence[Chain], on_answer: Callable[[], None]) -> tuple[int, int]:
        """One caller's share: (commands answered, chains that failed)."""
        waiting, active = deque(chains), list[Cursor]()
        sent = failed = 0
        while (waiting or active) and not self.sender.stop.is_set():
            while len(active) < self.batch and waiting:
                active.append(Cursor(waiting.popleft()))
            ready, commands = [], []
            for cursor in active:
                try:
                    request = resolve(cursor.command, cursor.first, cursor.last)
                except LookupError as exc:
                    self._failed(cursor, str(exc))
                    failed += 1
                    continue
                ready.append(cursor)
                commands.append(self.wrapper(**{case_of(cursor.command.method): request}))
            try:
                reply = self.sender.invoke(self.service, self.method, self.request(commands=commands))
            except grpc.RpcError as exc:
                if self.sender.stop.is_set():
                    break
                for cursor in ready:
                    self._failed(cursor, exc.details() or str(exc.code()))
                return sent, failed + len(ready) + len(waiting)
            active = []
            for cursor, result in zip(ready, reply.outcomes, strict=True):
                case = result.WhichOneof("outcome")
                if case == "error":
                    self._failed(cursor, f"{result.error.code}: {result.error.message}")
                    failed += 1
                    continue
                sent += 1
                on_answer()
                if not cursor.answered(getattr(result, case)):
                    active.append(cursor)
        return sent, failed

    def _failed(self, cursor: Cursor, detail: str) -> None:
        command = cursor.command
        log.warning("demo %s %s.%s (%s) failed: %s", cursor.chain.subject, command.service,
                    command.method, command.request.request_id, detail)  # type: ignore[attr-defined]
