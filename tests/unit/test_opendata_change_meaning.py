"""What the public sees of a platform's history entry, and how a webhook request is read:
pure functions, no server."""
from __future__ import annotations

import pytest

from services.opendata.changefeeds import platform_change_row
from services.opendata.errors import FeedError
from services.opendata.webhook_delivery import DeliveryOptions
from services.opendata.webhooks import subscription_request
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.common_pb2 import HistoryEntry

ACCREDITED, REVOKED, BUILDING = (pb.PLATFORM_STATUS_ACCREDITED, pb.PLATFORM_STATUS_REVOKED,
                                 pb.PLATFORM_STATUS_UNDER_CONSTRUCTION)


def platform(status: int, name: str = "江门激光研究院", grade: str = "") -> pb.Platform:
    p = pb.Platform(id="plt-1", name=name, kind="key_laboratory", status=status,
                    level=pb.PLATFORM_LEVEL_PROVINCIAL, district="440703")
    if grade:
        p.evaluations.add(year=2023, grade=grade)
    return p


def change(after: pb.Platform, before: pb.Platform | None) -> pb.PlatformChange:
    return pb.PlatformChange(cursor=7, platform=after, previous=before,
                             entry=HistoryEntry(recorded_at="2024-01-02T03:04:05Z"))


def test_accreditation_is_an_insert_and_revocation_a_deletion_with_only_the_id() -> None:
    inserted = platform_change_row(change(platform(ACCREDITED), platform(BUILDING)))
    assert inserted is not None and inserted["op"] == "insert" and inserted["name"] == "江门激光研究院"
    deleted = platform_change_row(change(platform(REVOKED), platform(ACCREDITED)))
    assert deleted is not None and deleted["op"] == "deletion" and deleted["id"] == "plt-1"
    assert deleted["name"] == "" and deleted["cursor"] == 7


def test_a_change_of_public_fields_is_a_revision_and_of_hidden_ones_nothing() -> None:
    renamed = platform_change_row(change(platform(ACCREDITED, "新名"), platform(ACCREDITED)))
    assert renamed is not None and renamed["op"] == "revision" and renamed["name"] == "新名"
    assert platform_change_row(change(platform(ACCREDITED, grade="good"), platform(ACCREDITED))) is None
    assert platform_change_row(change(platform(BUILDING), None)) is None           # registered
    assert platform_change_row(change(platform(REVOKED, "x"), platform(REVOKED))) is None


@pytest.mark.parametrize(("body", "field"), [
    ([], "body"), ({"url": "ftp://x/", "dataset": "platforms"}, "url"),
    ({"url": "http:///nohost", "dataset": "platforms"}, "url"),
    ({"url": "https://x.org/h", "dataset": "talent"}, "dataset"),
    ({"url": "https://x.org/h", "dataset": "platforms", "after": -1}, "after"),
    ({"url": "https://x.org/h", "dataset": "platforms", "after": True}, "after"),
    ({"url": "https://x.org/h", "dataset": "platforms", "secret": "mine"}, "secret"),
])
def test_a_bad_subscription_is_refused_naming_the_field(body: object, field: str) -> None:
    with pytest.raises(FeedError) as refused:
        subscription_request(body, {"platforms", "indicators"})
    assert refused.value.status == 400 and refused.value.field == field


def test_a_good_subscription_is_read_with_its_optional_cursor() -> None:
    assert subscription_request({"url": "https://x.org/h", "dataset": "indicators"},
                                {"indicators"}) == ("https://x.org/h", "indicators", None)
    assert subscription_request({"url": "http://x.org/h", "dataset": "indicators", "after": 5},
                                {"indicators"})[2] == 5


def test_delivery_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINLING_WEBHOOK_MAX_FAILURES", "4")
    monkeypatch.setenv("YINLING_WEBHOOK_POLL_S", "0.25")
    options = DeliveryOptions.from_env()
    assert (options.max_failures, options.poll_s, options.attempts) == (4, 0.25, 3)


@pytest.mark.parametrize(("value", "reason"), [("ten", "expected a number"), ("0", "greater than 0")])
def test_a_bad_delivery_setting_is_refused_naming_the_variable(
        monkeypatch: pytest.MonkeyPatch, value: str, reason: str) -> None:
    monkeypatch.setenv("YINLING_WEBHOOK_MAX_FAILURES", value)
    with pytest.raises(ValueError, match=f"YINLING_WEBHOOK_MAX_FAILURES=.*{reason}"):
        DeliveryOptions.from_env()
