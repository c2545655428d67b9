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
