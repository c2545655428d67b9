"""The AsyncAPI document stays true to the code: its channels are the topics, its
messages name protobuf messages that exist, and event types follow the envelope's rule."""
from pathlib import Path

import jsonschema
import yaml
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor

import yinling.v1.audit_pb2  # noqa: F401 - register the descriptors
import yinling.v1.enterprises_pb2  # noqa: F401
import yinling.v1.finance_pb2  # noqa: F401
import yinling.v1.indicators_pb2  # noqa: F401
import yinling.v1.ingest_pb2  # noqa: F401
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


def test_payloads_are_the_generated_json_schemas_of_their_protobuf_messages():
    """docs/asyncapi.yaml is what `python -m tools.asyncapi_schemas` makes of the protos."""
    from tools.asyncapi_schemas import Catalogue, descriptor_set, updated

    fresh = updated(yaml.safe_load(yaml.safe_dump(DOC)), Catalogue(descriptor_set()))
    assert DOC["components"]["schemas"] == fresh["components"]["schemas"]
    for message in DOC["components"]["messages"].values():
        assert message["payload"] == {"$ref": f"#/components/schemas/{message['x-proto-message']}"}


def test_each_schema_has_exactly_the_fields_of_its_message():
    pool = descriptor_pool.Default()
    for name, schema in DOC["components"]["schemas"].items():
        if schema["type"] == "object":
            fields = pool.FindMessageTypeByName(name).fields_by_name
            assert set(schema["properties"]) == set(fields), name
        else:
            values = pool.FindEnumTypeByName(name).values_by_name
            assert schema["enum"] == list(values), name


def _filled(descriptor, depth: int = 0):  # type: ignore[no-untyped-def]
    """A message with every field set (lists of two, nested messages filled too)."""
    message = message_factory.GetMessageClass(descriptor)()
    for field in descriptor.fields:
        if field.message_type is not None:
            if field.message_type.GetOptions().map_entry:
                value_field = field.message_type.fields_by_name["value"]
                if value_field.message_type is None:
                    getattr(message, field.name)["k"] = _scalar(value_field)
                elif depth < 3:
                    getattr(message, field.name)["k"].CopyFrom(
                        _filled(value_field.message_type, depth + 1))
            elif depth < 3:
                target = getattr(message, field.name)
                child = _filled(field.message_type, depth + 1)
                if _is_repeated(field):
                    target.add().CopyFrom(child)
                    target.add().CopyFrom(child)
                else:
                    target.CopyFrom(child)
        elif _is_repeated(field):
            getattr(message, field.name).extend([_scalar(field), _scalar(field)])
        else:
            setattr(message, field.name, _scalar(field))
    return message


def _is_repeated(field) -> bool:  # type: ignore[no-untyped-def]
    return bool(field.is_repeated) if hasattr(field, "is_repeated") else field.label == field.LABEL_REPEATED


def _scalar(field):  # type: ignore[no-untyped-def]
    kinds = {FieldDescriptor.CPPTYPE_STRING: b"\x01" if field.type == FieldDescriptor.TYPE_BYTES else "江门",
             FieldDescriptor.CPPTYPE_BOOL: True, FieldDescriptor.CPPTYPE_DOUBLE: 1.5,
             FieldDescriptor.CPPTYPE_FLOAT: 1.5, FieldDescriptor.CPPTYPE_INT32: -7,
             FieldDescriptor.CPPTYPE_INT64: -(2**40), FieldDescriptor.CPPTYPE_UINT32: 7,
             FieldDescriptor.CPPTYPE_UINT64: 2**40}
    if field.cpp_type == FieldDescriptor.CPPTYPE_ENUM:
        return field.enum_type.values[-1].number
    return kinds[field.cpp_type]


def test_every_payload_decoded_to_json_is_valid_against_its_schema():
    """The protobuf JSON mapping of a fully filled message validates; a null field does not."""
    pool = descriptor_pool.Default()
    for message in DOC["components"]["messages"].values():
        name = message["x-proto-message"]
        schema = {"components": DOC["components"], "$ref": f"#/components/schemas/{name}"}
        validator = jsonschema.Draft7Validator(schema)
        payload = json_format.MessageToDict(_filled(pool.FindMessageTypeByName(name)),
                                            preserving_proto_field_name=True)
        validator.validate(payload)
        first = next(iter(payload))
        assert not validator.is_valid({**payload, first: None})
