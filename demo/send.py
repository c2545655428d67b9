"""Send demo chains through the public gRPC APIs one command per call: one chain's commands
in order (a chain is one aggregate's life, so per-aggregate order holds), chains side by
side in a thread pool. (Services that take batches: demo.batch_send.)
UNAVAILABLE (a service starting, or its SQLite database busy) is retried with backoff and
jitter; a stop event ends the sending between two commands."""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import grpc
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_delay,
    stop_when_event_set,
    wait_random_exponential,
)

from demo.model import Chain, Command
from yinling import tls
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
WORKERS = 8  # calls in flight for a service sent one command at a time (none in the demo now)
RETRY_FOR_S = 120


def _unavailable(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() in (
        grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)


@dataclass
class Outcome:
    sent: int = 0
    failed: int = 0
    seconds: float = 0.0


def _nothing() -> None:
    pass


class Sender:
    def __init__(self, settings: Settings, workers: int = WORKERS,
                 stop: threading.Event | None = None) -> None:
        self.settings = settings
        self.workers = workers
        self.stop = stop or threading.Event()
        self.channels: dict[str, grpc.Channel] = {}
        self.stubs: dict[str, Any] = {}
        self._lock = threading.Lock()

    def stub(self, service: str) -> Any:
        with self._lock:  # one channel per service, shared by the pool's threads
            if service not in self.stubs:
                channel = tls.channel(self.settings, self.settings.address(f"{service}.grpc"))
                self.channels[service] = channel
                self.stubs[service] = STUBS[service](channel)
            return self.stubs[service]

    def close(self) -> None:
        for channel in self.channels.values():
            channel.close()

    def call(self, command: Command, request: Any) -> Any:
        """The same request (same request_id) again while UNAVAILABLE: a retry of a command
        that did commit is answered from the service's command log, not applied twice."""
        return self.invoke(command.service, command.method, request)

    def invoke(self, service: str, method_name: str, request: Any) -> Any:
        method = getattr(self.stub(service), method_name)
        for attempt in Retrying(retry=retry_if_exception(_unavailable), reraise=True,
                                wait=wait_random_exponential(0.05, max=2),
                                stop=stop_after_delay(RETRY_FOR_S) | stop_when_event_set(self.stop)):
            with attempt:
                return method(request, metadata=METADATA, timeout=30)
        raise AssertionError("unreachable: tenacity reraises the last error")

    def run_chain(self, chain: Chain, on_answer: Callable[[], None] = _nothing) -> tuple[int, int]:
        """Commands of one chain in order; returns (commands answered, 1 if it failed)."""
        first: Any = None
        last: Any = None
        for n, command in enumerate(chain.commands):
            if self.stop.is_set():
                return n, 0
            try:
                request = resolve(command, first, last)
                last = self.call(command, request)
            except (grpc.RpcError, LookupError) as exc:
                if self.stop.is_set():  # stopped while retrying: not a failure of the data
                    return n, 0
                detail = exc.details() if isinstance(exc, grpc.RpcError) else str(exc)
                log.warning("demo %s %s.%s (%s) failed: %s", chain.subject, command.service,
                            command.method, command.request.request_id, detail)  # type: ignore[attr-defined]
                return n, 1  # later commands of this subject depend on this one
            first = first if first is not None else last
            on_answer()
        return len(chain.commands), 0

    def send(self, chains: Sequence[Chain], on_answer: Callable[[], None] = _nothing) -> Outcome:
        started = time.perf_counter()
        outcome = Outcome()
        with ThreadPoolExecutor(self.workers, thread_name_prefix="demo") as pool:
            for sent, failed in pool.map(lambda chain: self.run_chain(chain, on_answer), chains):
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
