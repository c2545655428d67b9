"""No free text of the talent service leaves it on a topic, and reasons that spell out personal
data however spaced are refused (issue 7, finding 7). Real gRPC server, broker, SQLite."""
from __future__ import annotations

from collections.abc import Iterator

import grpc
import pytest
from test_talent_service import OFFICER, STEWARD, commissioner, person, records_of

from services.talent.grpc_api import WITHHELD
from services.talent.main import bindings
from services.talent.store import MODELS
from yinling.auth import REDACTED_METADATA
from yinling.broker import free_port
from yinling.config import Settings
from yinling.envelope import Envelope
from yinling.service import start_service
from yinling.v1 import talent_pb2 as pb
from yinling.v1.talent_pb2_grpc import TalentRegistryStub


@pytest.fixture
def stub(broker, tmp_path) -> Iterator[TalentRegistryStub]:  # type: ignore[no-untyped-def]
    runtime = start_service("talent", Settings(bootstrap_servers=broker.bootstrap), MODELS, bindings,
                            grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 't.db'}")
    with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
        yield TalentRegistryStub(channel)
    runtime.stop()


def test_reasons_stay_in_the_service_and_history_shows_only_that_one_was_given(stub, broker):
    record = stub.Register(commissioner(), metadata=STEWARD)
    stub.End(pb.EndTalentRequest(record_id=record.id, ended_on="2024-06-30",
                                 reason="returned to the university after the project"), metadata=STEWARD)
    raw = records_of(broker.bootstrap, record.id, 2)
    changes = [pb.TalentChanged.FromString(Envelope.from_record(r.key, r.value, r.headers).data)
               for r in raw]
    assert [c.change for c in changes] == ["registered", "ended"]
    assert [c.reason for c in changes] == ["", ""]
    assert all(b"university" not in r.value for r in raw)
    entries, call = stub.History.with_call(pb.TalentHistoryRequest(record_id=record.id), metadata=STEWARD)
    assert [e.reason for e in entries.entries] == ["", WITHHELD]
    assert dict(call.trailing_metadata())[REDACTED_METADATA] == "reason"
    officer = stub.History(pb.TalentHistoryRequest(record_id=record.id), metadata=OFFICER)
    assert officer.entries[1].reason == "returned to the university after the project"


@pytest.mark.parametrize("reason", [
    "王 小 明调离", "王-小-明 left", "电话 139-0000-1111", "电话 １３９ ００００ １１１１",
    "身份证 440705 19820214 3199", "wxm at example.org", "wxm＠example．org",
])
def test_a_reason_spelling_out_personal_data_is_refused(stub, reason):
    record = stub.Register(commissioner(who=person(name="王小明")), metadata=STEWARD)
    with pytest.raises(grpc.RpcError) as refused:
        stub.End(pb.EndTalentRequest(record_id=record.id, ended_on="2024-06-30", reason=reason),
                 metadata=STEWARD)
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(refused.value.trailing_metadata())["yinling-field"] == "reason"
    assert stub.Get(pb.GetTalentRequest(record_id=record.id), metadata=STEWARD).record.ended_on == ""
