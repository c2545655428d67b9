"""The demo sender against a real gRPC server: chains side by side, each chain's commands
in order, UNAVAILABLE answers (a busy SQLite database) retried, and a stop honoured
between two commands."""
from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace

import grpc
import pytest

from demo.model import Chain, Command
from demo.send import Sender
from yinling.config import Settings
from yinling.grpc_server import GrpcServer, ServiceBinding
from yinling.v1 import platforms_pb2 as pb
from yinling.v1 import platforms_pb2_grpc

CHAINS, EVALUATIONS = 40, 5


class Registry(platforms_pb2_grpc.PlatformRegistryServicer):
    """Records what arrives per platform; refuses every third request once with UNAVAILABLE."""

    def __init__(self) -> None:
        self.seen: dict[str, list[str]] = defaultdict(list)
        self.refused: set[str] = set()
        self.lock = threading.Lock()

    def _accept(self, platform_id: str, request_id: str, context: grpc.ServicerContext) -> pb.Platform:
        with self.lock:
            if int(request_id.rsplit("-", 1)[1]) % 3 == 0 and request_id not in self.refused:
                self.refused.add(request_id)
                refuse = True
            else:
                self.seen[platform_id].append(request_id)
                refuse = False
        if refuse:
            context.abort(grpc.StatusCode.UNAVAILABLE, "the database is busy or unreachable; retry")
        return pb.Platform(id=platform_id)

    def Register(self, request, context):  # noqa: N802
        return self._accept(f"plt-{request.name}", request.request_id, context)

    def Evaluate(self, request, context):  # noqa: N802
        return self._accept(request.platform_id, request.request_id, context)


def chains() -> list[Chain]:
    out = []
    for n in range(CHAINS):
        commands = [Command("platforms", "Register", pb.RegisterPlatformRequest(
            name=f"p{n}", request_id=f"c{n}-0"))]
        commands += [Command("platforms", "Evaluate", pb.EvaluatePlatformRequest(
            year=2020 + k, request_id=f"c{n}-{k}"), refs=(("platform_id", "id"),))
            for k in range(1, EVALUATIONS + 1)]
        out.append(Chain(f"platform-{n}", commands))
    return out


@pytest.fixture
def registry() -> Iterator[tuple[Registry, Settings]]:
    servicer = Registry()
    server = GrpcServer("demo-sender-test", [ServiceBinding(
        "yinling.v1.PlatformRegistry", platforms_pb2_grpc.add_PlatformRegistryServicer_to_server,
        servicer)], "127.0.0.1:0", max_workers=8).start()
    server.set_serving()
    base = Settings()
    try:
        yield servicer, replace(base, ports={**base.ports, "platforms.grpc": server.port})
    finally:
        server.stop(0)


def test_each_chain_arrives_whole_and_in_order_with_refused_commands_retried(registry):
    servicer, settings = registry
    answered = []
    sender = Sender(settings, workers=8)
    try:
        outcome = sender.send(chains(), on_answer=lambda: answered.append(1))
    finally:
        sender.close()
    total = CHAINS * (EVALUATIONS + 1)
    assert (outcome.sent, outcome.failed, len(answered)) == (total, 0, total)
    assert servicer.refused, "the retry path must have been taken"
    for n in range(CHAINS):
        assert servicer.seen[f"plt-p{n}"] == [f"c{n}-{k}" for k in range(EVALUATIONS + 1)]


def test_a_stop_ends_every_chain_between_two_commands(registry):
    servicer, settings = registry
    stop = threading.Event()
    answered = []

    def on_answer() -> None:
        answered.append(1)
        if len(answered) == 30:
            stop.set()
    sender = Sender(settings, workers=4, stop=stop)
    try:
        outcome = sender.send(chains(), on_answer=on_answer)
    finally:
        sender.close()
    assert outcome.failed == 0
    assert 30 <= outcome.sent < CHAINS * (EVALUATIONS + 1)
    assert outcome.sent == sum(len(ids) for ids in servicer.seen.values())
    for n in range(CHAINS):
        ids = servicer.seen.get(f"plt-p{n}", [])
        assert ids == [f"c{n}-{k}" for k in range(len(ids))], "a prefix of the chain, in order"
