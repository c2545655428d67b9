"""The AsyncAPI document stays true to the code: its channels are the topics, its
messages name protobuf messages that exist, and event types follow the envelope's rule."""
from pathlib import Path

import yaml
from google.protobuf import descriptor_pool

import yinling.v1.enterprises_pb2  # noqa: F401 - register the descriptors
import yinling.v1.finance_pb2  # noqa: F401
import yinling.v1.indicators_pb2  # noqa: F401
import yinling.v1.platforms_pb2  # noqa: F401
import yinling.v1.talent_pb2  # noqa: F401
from yinling.envelope import event_type
from yinling.topics import ALL_TOPICS

DOC = yaml.safe_load((Path(__file__).parents[2] / "docs" / "asyncapi.yaml").read_text())


def test_every_topic_is_a_channel_and_every_channel_a_topic():
    assert {c["address"] for c in DOC["channels"].values()} == {t.name for t in ALL_TOPICS}


def test_every_message_names_an_existing_protobuf_message():
    pool = descriptor_pool.Default()
    for message in DOC["components"]["messages"].values():
        assert pool.FindMessageTypeByName(message["x-proto-message"])


def test_message_names_are_the_event_types_the_envelope_builds():
    for key, message in DOC["components"]["messages"].items():
        domain, _, change = key.partition("_")
        assert message["name"] == event_type(domain, change)
