from datetime import UTC, datetime, timedelta, timezone

import pytest

from yinling.envelope import Envelope, event_type, format_time, parse_time


def test_event_types_are_versioned_under_the_city_namespace():
    assert event_type("platform", "accredited") == "cn.gov.jiangmen.sti.platform.accredited.v1"


def test_envelope_survives_a_round_trip_through_kafka_headers():
    env = Envelope(id="e-1", source="/yinling/platforms", type=event_type("platform", "revoked"),
                   time=datetime(2024, 6, 30, 16, 0, tzinfo=UTC), subject="p-1", key="p-1",
                   data=b"\x01\x02", data_schema="urn:proto:yinling.v1.PlatformChanged", sequence=7)
    back = Envelope.from_record(b"p-1", b"\x01\x02", env.headers())
    assert back == env


def test_times_are_written_in_utc_with_a_z():
    local = datetime(2025, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))
    assert format_time(local) == "2024-12-31T16:00:00Z"
    assert parse_time("2024-12-31T16:00:00Z") == local


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        format_time(datetime(2024, 1, 1))


def test_a_record_without_cloudevents_headers_is_refused():
    with pytest.raises(ValueError, match="ce_id"):
        Envelope.from_record(b"k", b"v", [("ce_source", b"/x")])


def _sequence_header(env: Envelope) -> str:
    return dict(env.headers())["ce_sequence"].decode()


def _at_version(version: int) -> Envelope:
    return Envelope(id=f"e-{version}", source="/yinling/platforms",
                    type=event_type("platform", "evaluated"), time=datetime(2024, 1, 1, tzinfo=UTC),
                    subject="p-1", key="p-1", data=b"", sequence=version)


def test_ce_sequence_is_zero_padded_to_twenty_digits():
    assert _sequence_header(_at_version(7)) == "00000000000000000007"
    assert _sequence_header(_at_version(2**64 - 1)) == "18446744073709551615"


def test_ce_sequence_orders_as_text_as_the_versions_order_as_numbers():
    versions = [1, 2, 9, 10, 11, 99, 100, 10250, 2**63]
    headers = [_sequence_header(_at_version(v)) for v in versions]
    assert sorted(headers) == headers
    assert sorted(str(v) for v in versions) != [str(v) for v in versions]  # unpadded would not


def test_unpadded_ce_sequence_from_older_records_is_still_read():
    headers = [(k, v) for k, v in _at_version(1).headers() if k != "ce_sequence"]
    old = Envelope.from_record(b"p-1", b"", [*headers, ("ce_sequence", b"10250")])
    assert old.sequence == 10250


@pytest.mark.parametrize("text", [b"", b"-1", b"+7", b"1_000", b" 7", b"\xd9\xa3", b"1" * 21])
def test_a_malformed_ce_sequence_is_refused(text: bytes):
    headers = [(k, v) for k, v in _at_version(1).headers() if k != "ce_sequence"]
    with pytest.raises(ValueError, match="ce_sequence"):
        Envelope.from_record(b"p-1", b"", [*headers, ("ce_sequence", text)])


def test_a_negative_version_cannot_be_written():
    with pytest.raises(ValueError, match="ce_sequence"):
        _at_version(-1).headers()
