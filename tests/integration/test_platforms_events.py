"""Platform events as subscribers see them: read with the CloudEvents SDK, and complete and
in order after a broker outage."""
from __future__ import annotations

import time

import grpc
from cloudevents.core.bindings.kafka import KafkaMessage, from_binary
from cloudevents.core.formats.json import JSONFormat
from test_platforms_service import envelopes, records_of, register

from services.platforms.main import MODELS, bindings
from yinling.auth import bearer
from yinling.broker import EmbeddedBroker, ensure_topics, free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")


class ProtobufData(JSONFormat):
    """Our payload is protobuf: hand the record value over untouched (the JSON format would
    decode any bytes that happen to be valid UTF-8 into a string)."""

    def read_data(self, body: bytes, datacontenttype: str | None) -> bytes:  # type: ignore[override]
        return body


def test_events_parse_with_the_cloudevents_sdk(broker, tmp_path):
    runtime = start_service("platforms", Settings(bootstrap_servers=broker.bootstrap), MODELS, bindings,
                            grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
            stub = PlatformRegistryStub(channel)
            p = register(stub, name="CloudEvents SDK Lab")
            p = stub.Accredit(pb.AccreditPlatformRequest(platform_id=p.id, level=pb.PLATFORM_LEVEL_PROVINCIAL,
                                                         accredited_on="2022-06-01"), metadata=STEWARD)
        records = records_of(broker.bootstrap, p.id, 2)
        ids = [e.id for e in envelopes(records)]
    finally:
        runtime.stop()
    events = [from_binary(KafkaMessage(headers=dict(r.headers), key=r.key, value=r.value), ProtobufData())
              for r in records]
    assert [e.get_specversion() for e in events] == ["1.0", "1.0"]
    assert [e.get_id() for e in events] == ids and len(set(ids)) == 2
    assert {e.get_source() for e in events} == {"/yinling/platforms"}
    assert [e.get_type() for e in events] == ["cn.gov.jiangmen.sti.platform.registered.v1",
                                              "cn.gov.jiangmen.sti.platform.accredited.v1"]
    assert {e.get_subject() for e in events} == {p.id}
    assert all(e.get_time() is not None and e.get_time().utcoffset().total_seconds() == 0 for e in events)
    assert events[1].get_datacontenttype() == "application/protobuf"
    assert events[1].get_dataschema() == "urn:proto:yinling.v1.PlatformChanged"
    assert events[1].get_extension("partitionkey") == p.id
    # The sequence extension orders as text: zero-padded versions.
    assert [e.get_extension("sequence") for e in events] == ["00000000000000000001",
                                                             "00000000000000000002"]
    changed = pb.PlatformChanged.FromString(events[1].get_data())
    assert changed.platform == p and changed.change == "accredited"


def test_the_relay_rides_out_a_broker_outage(tmp_path):
    outage = EmbeddedBroker(port=free_port(), log_path=tmp_path / "broker.log").start()
    ensure_topics(outage.bootstrap)
    runtime = start_service("platforms", Settings(bootstrap_servers=outage.bootstrap), MODELS, bindings,
                            grpc_port=free_port(), database_url=f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
            stub = PlatformRegistryStub(channel)
            p = register(stub, name="Outage Lab")
            outage.pause()
            try:
                p = stub.Accredit(pb.AccreditPlatformRequest(
                    platform_id=p.id, level=pb.PLATFORM_LEVEL_PROVINCIAL, accredited_on="2022-06-01"),
                    metadata=STEWARD)
                for year in (2022, 2023):
                    p = stub.Evaluate(pb.EvaluatePlatformRequest(platform_id=p.id, year=year, grade="good",
                                                                 evaluated_on=f"{year + 1}-03-01"),
                                      metadata=STEWARD)
                p = stub.ChangeLevel(pb.ChangePlatformLevelRequest(
                    platform_id=p.id, level=pb.PLATFORM_LEVEL_NATIONAL, effective_on="2024-05-01",
                    reason="listed by the ministry"), metadata=STEWARD)
                assert p.version == 5  # every command succeeded while the broker was down
                time.sleep(8)  # the outage: the relay fails and retries meanwhile
            finally:
                outage.resume()
            events = envelopes(records_of(outage.bootstrap, p.id, 5, timeout_s=60))
    finally:
        runtime.stop()
        outage.stop()
    assert [e.sequence for e in events] == [1, 2, 3, 4, 5]
    assert [e.type.split(".")[-2] for e in events] == [
        "registered", "accredited", "evaluated", "evaluated", "upgraded"]
