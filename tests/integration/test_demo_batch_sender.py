"""The demo's batch sender against the real enterprise registry (SQLite and PostgreSQL, real
broker): every chain applied whole and in order, waves of batches filling in the ids the
service assigned (qualification ids for renewals and revocations)."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

from demo import enterprises
from demo.batch_send import BatchSender
from demo.send import Sender
from services.enterprises.main import bindings
from services.enterprises.store import MODELS
from yinling.broker import free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import enterprises_pb2 as pb
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub


@pytest.fixture
def settings(broker, database_url: str) -> Iterator[Settings]:  # type: ignore[no-untyped-def]
    base = Settings(bootstrap_servers=broker.bootstrap)
    runtime = start_service("enterprises", base, MODELS, bindings, grpc_port=free_port(),
                            database_url=database_url)
    yield replace(base, ports={**base.ports, "enterprises.grpc": runtime.server.port})
    runtime.stop()


def test_every_chain_lands_whole_and_in_order(settings):
    # Firms with renewals or revocations among them: later commands need earlier answers.
    chains = [c for c in enterprises.generate() if len(c.commands) >= 4][:30]
    assert any(cmd.refs for chain in chains for cmd in chain.commands)
    answered: list[int] = []
    sender = Sender(settings)
    try:
        outcome = BatchSender(sender, "enterprises", batch=7, callers=2).send(
            chains, on_answer=lambda: answered.append(1))
        stub = EnterpriseRegistryStub(sender.channels["enterprises"])
        for chain in chains:
            code = chain.commands[0].request.credit_code  # type: ignore[attr-defined]
            stored = stub.Get(pb.GetEnterpriseRequest(credit_code=code), timeout=10)
            history = stub.History(pb.EnterpriseHistoryRequest(credit_code=code), timeout=10)
            assert stored.version == len(chain.commands), chain.subject
            assert [h.version for h in history.entries] == list(range(1, len(chain.commands) + 1))
    finally:
        sender.close()
    total = sum(len(c.commands) for c in chains)
    assert (outcome.sent, outcome.failed, len(answered)) == (total, 0, total)
