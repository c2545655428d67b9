"""Send demo chains through the public gRPC APIs: one chain's commands in order, chains
side by side in a small thread pool, UNAVAILABLE retried while services start."""
from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from tenacity import retry, retry_if_exception, stop_after_delay, wait_exponential

from demo.model import Chain, Command
from yinling.auth import bearer
from yinling.config import Settings
from yinling.v1 import enterprises_pb2_grpc, finance_pb2_grpc, platforms_pb2_grpc, talent_pb2_grpc

log = logging.getLogger(__name__)
STUBS = {
    "platforms": platforms_pb2_grpc.PlatformRegistryStub,
    "enterprises": enterprises_pb2_grpc.EnterpriseRegistryStub,
    "talent": talent_pb2_grpc.TalentRegistryStub,
    "finance": finance_pb2_grpc.FinanceRegistryStub,
}
METADATA = bearer("dev-steward")
WORKERS = 8


def _unavailable(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() in (
        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0


class Sender:
    def __init__(self, settings: Settings, workers: int = WORKERS) -> None:
        self.settings = settings
        self.workers = workers
        self.channels: dict[str, grpc.Channel] = {}
        self.stubs: dict[str, Any] = {}

    def stub(self, service: str) -> Any:
        if service not in self.stubs:
            channel = grpc.insecure_channel(self.settings.address(f"{service}.grpc"))
            self.channels[service] = channel
            self.stubs[service] = STUBS[service](channel)
        return self.stubs[service]

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    @retry(retry=retry_if_exception(_unavailable), wait=wait_exponential(0.2, max=5),
           stop=stop_after_delay(120), reraise=True)
    def call(self, command: Command, request: Any) -> Any:
        method = getattr(self.stub(command.service), command.method)
        return method(request, metadata=METADATA, timeout=30)

    def run_chain(self, chain: Chain) -> tuple[int, int]:
        first: Any = None
        last: Any = None
        for n, command in enumerate(chain.commands):
            try:
                request = resolve(command, first, last)
                last = self.call(command, request)
            except (grpc.RpcError, LookupError) as exc:
                detail = exc.details() if isinstance(exc, grpc.RpcError) else str(exc)
                log.warning("demo %s %s.%s (%s) failed: %s", chain.subject, command.service,
                            command.method, command.request.request_id, detail)  # type: ignore[attr-defined]
                return n, 1  # later commands of this subject depend on this one
            first = first if first is not None else last
        return len(chain.commands), 0

    def send(self, chains: Sequence[Chain]) -> Outcome:
        started = time.perf_counter()
        outcome = Outcome()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="demo") as pool:
            for sent, failed in pool.map(self.run_chain, chains):
                outcome.sent += sent
                outcome.failed += failed
        outcome.seconds = time.perf_counter() - started
        return outcome


def resolve(command: Command, first: Any, last: Any) -> Any:
    """A copy of the request with ids the services assigned filled in."""
    if not command.refs:
        return command.request
    request = type(command.request)()
    request.CopyFrom(command.request)
    for field, ref in command.refs:
        if ref == "id":
            setattr(request, field, first.id)
        elif ref.startswith("qualification:"):
            number = ref.split(":", 1)[1]
            matches = [q.id for q in last.qualifications if q.number == number]
            if not matches:
                raise LookupError(f"no qualification numbered {number}")
            setattr(request, field, matches[-1])
        else:
            raise LookupError(f"unknown reference {ref!r}")
    return request
