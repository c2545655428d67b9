"""Webhooks over real HTTP: a steward subscribes a real receiver to the accredited platforms,
which gets every change as a signed CloudEvent; the receiver goes away and comes back and
then holds every change, once per event id (a resent one identical); a subscription that
keeps failing is disabled, and its owner enables it again to resume from its cursor."""
from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from opendata_fakes import CHANGES, backend_settings, running_feed
from platform_registry import Steward, registry
from services.opendata.webhook_delivery import DeliveryOptions
from webhook_receiver import Receiver
from yinling.config import Settings

FAST = DeliveryOptions(poll_s=0.1, attempts=2, retry_s=0.02, backoff_s=0.1, backoff_max_s=0.2,
                       max_failures=10, timeout_s=2)
STEWARD = {"Authorization": "Bearer dev-steward"}
OTHER_STEWARD = {"Authorization": "Bearer dev-talent-officer"}


@pytest.fixture
def stack(broker, tmp_path) -> Iterator[tuple[Steward, httpx.Client, Settings]]:  # type: ignore[no-untyped-def]
    with registry(broker.bootstrap, f"sqlite:///{tmp_path / 'platforms.db'}",
                  Settings(data_dir=tmp_path, bootstrap_servers=broker.bootstrap)) as (stub, settings), \
            running_feed(settings, FAST) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield Steward(stub), client, settings


def every_change(client: httpx.Client) -> dict[str, dict[str, Any]]:
    """The change feed from the start, by the event id a webhook gives each change."""
    rows = client.get("/api/v1/platform-changes", params={"after": 0, "limit": 5000}).json()["changes"]
    return {f"platforms-{r['cursor']}": r for r in rows}


def wait_until(check: Any, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_receiver_that_goes_away_gets_every_change_once_per_event_id(stack) -> None:  # type: ignore[no-untyped-def]
    steward, client, _settings = stack
    receiver = Receiver().start()
    anonymous = client.post("/api/v1/webhooks", json={"url": receiver.url, "dataset": "platforms"})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    documented = client.get("/openapi.json").json()["paths"]["/api/v1/webhooks"]["post"]
    assert {"201", "400", "401", "403"} <= set(documented["responses"])
    assert documented["requestBody"]["content"]["application/json"]["schema"]["required"] == ["url", "dataset"]
    refused = client.post("/api/v1/webhooks", headers=STEWARD,
                          json={"url": receiver.url, "dataset": "enterprises"})
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "dataset"
    created = client.post("/api/v1/webhooks", headers=STEWARD,
                          json={"url": receiver.url, "dataset": "platforms", "after": 0})
    assert created.status_code == 201, created.text
    subscription = created.json()
    receiver.secret = subscription["secret"]
    status = f"/api/v1/webhooks/{subscription['id']}"
    assert "secret" not in client.get(status, headers=STEWARD).json()
    assert client.get(status, headers=OTHER_STEWARD).status_code == 404

    a = steward.accredited("江门激光研究院")
    b = steward.accredited("江海区新材料中心", "440704")
    receiver.wait_for(set(every_change(client)))

    receiver.stop()                                  # the subscriber goes away
    steward.upgrade(b)
    c = steward.accredited("鹤山市纺织研究中心", "440784")
    steward.revoke(a)
    wait_until(lambda: client.get(status, headers=STEWARD).json()["failures"] >= 2)
    during = client.get(status, headers=STEWARD).json()
    assert during["enabled"] and "ConnectError" in during["last_error"]

    receiver.drop_next_answer = True                 # it comes back, and loses one answer
    receiver.start()
    expected = every_change(client)
    assert [(r["op"], r["id"]) for r in expected.values()] == [
        ("insert", a), ("insert", b), ("revision", b), ("insert", c), ("deletion", a)]
    receiver.wait_for(set(expected))

    assert receiver.ids() == set(expected) and receiver.refused_signatures == 0
    resent = [d for d in receiver.deliveries if [e.event_id for e in receiver.deliveries].count(d.event_id) > 1]
    assert resent, "the answer lost should have made the sender deliver again"
    for d in receiver.deliveries:
        assert d.data == expected[d.event_id]         # the change itself, as the feed has it
        assert d.body == next(e.body for e in receiver.deliveries if e.event_id == d.event_id)
        assert d.attributes["type"] == "cn.yinling.opendata.platform.changed"
        assert d.attributes["subject"] == expected[d.event_id]["id"]
    first_seen = list(dict.fromkeys(d.event_id for d in receiver.deliveries))
    assert first_seen == list(expected)               # in the feed's order
    after = client.get(status, headers=STEWARD).json()
    assert after["failures"] == 0 and after["cursor"] == max(r["cursor"] for r in expected.values())
    receiver.stop()


def test_repeated_failures_disable_a_subscription_until_its_owner_enables_it(stack) -> None:  # type: ignore[no-untyped-def]
    steward, client, _settings = stack
    receiver = Receiver()                            # not listening yet
    subscription = client.post("/api/v1/webhooks", headers=STEWARD,
                               json={"url": receiver.url, "dataset": "platforms"}).json()
    receiver.secret = subscription["secret"]
    status = f"/api/v1/webhooks/{subscription['id']}"
    assert subscription["cursor"] == 0 and subscription["enabled"]

    first = steward.accredited("江门激光研究院")
    wait_until(lambda: not client.get(status, headers=STEWARD).json()["enabled"])
    assert client.get(status, headers=STEWARD).json()["failures"] == 10

    receiver.start()
    time.sleep(FAST.poll_s * 5)
    assert receiver.deliveries == []                 # disabled: nothing is sent
    assert client.post(f"{status}/enable", headers=OTHER_STEWARD).status_code == 404
    enabled = client.post(f"{status}/enable", headers=STEWARD)
    assert enabled.status_code == 200 and enabled.json()["enabled"]
    receiver.wait_for(set(every_change(client)))
    assert [d.data["id"] for d in receiver.deliveries] == [first]
    assert client.delete(status, headers=STEWARD).status_code == 204
    assert client.get(status, headers=STEWARD).status_code == 404
    receiver.stop()


def test_two_feed_processes_deliver_each_change_once(broker, database_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """On SQLite and PostgreSQL: the registry and both feed processes on the database given."""
    receiver = Receiver().start()
    with registry(broker.bootstrap, database_url, Settings(data_dir=tmp_path, database_url=database_url,
                                                           bootstrap_servers=broker.bootstrap)
                  ) as (stub, settings), running_feed(settings, FAST) as url, \
            httpx.Client(base_url=url, timeout=10) as client, running_feed(settings, FAST):
        steward = Steward(stub)
        subscription = client.post("/api/v1/webhooks", headers=STEWARD,
                                   json={"url": receiver.url, "dataset": "platforms"}).json()
        receiver.secret = subscription["secret"]
        for n in range(4):
            steward.accredited(f"平台{n}")
        receiver.wait_for(set(every_change(client)))
        time.sleep(FAST.poll_s * 5)                  # time enough for a second copy to come
    event_ids = [d.event_id for d in receiver.deliveries]
    assert len(event_ids) == len(set(event_ids)) == 4
    receiver.stop()


def test_a_restarted_feed_resumes_from_the_acknowledged_cursor(broker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    receiver = Receiver().start()
    with registry(broker.bootstrap, f"sqlite:///{tmp_path / 'platforms.db'}",
                  Settings(data_dir=tmp_path, bootstrap_servers=broker.bootstrap)) as (stub, settings):
        steward = Steward(stub)
        with running_feed(settings, FAST) as url, httpx.Client(base_url=url, timeout=10) as client:
            subscription = client.post("/api/v1/webhooks", headers=STEWARD,
                                       json={"url": receiver.url, "dataset": "platforms"}).json()
            receiver.secret = subscription["secret"]
            steward.accredited("平台甲")
            receiver.wait_for(set(every_change(client)))
        steward.accredited("平台乙")                  # while the feed is down
        with running_feed(settings, FAST) as url, httpx.Client(base_url=url, timeout=10) as client:
            receiver.wait_for(set(every_change(client)), timeout_s=5)  # at once, not after the lease
    event_ids = [d.event_id for d in receiver.deliveries]
    assert len(event_ids) == len(set(event_ids)) == 2   # from the cursor: the first not again
    receiver.stop()


def test_indicator_changes_arrive_as_cloudevents_of_their_own_type(broker, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The indicators' change log (fixed records behind a real gRPC server), from cursor 0."""
    receiver = Receiver().start()
    with backend_settings() as settings, running_feed(replace(settings, data_dir=tmp_path, bootstrap_servers=broker.bootstrap), FAST) as url, \
            httpx.Client(base_url=url, timeout=10) as client:
        subscription = client.post("/api/v1/webhooks", headers=STEWARD, json={
            "url": receiver.url, "dataset": "indicators", "after": 0}).json()
        receiver.secret = subscription["secret"]
        receiver.wait_for({f"indicators-{c.cursor}" for c in CHANGES})
    assert [d.event_id for d in receiver.deliveries] == [f"indicators-{c.cursor}" for c in CHANGES]
    first = receiver.deliveries[0]
    assert first.attributes["type"] == "cn.yinling.opendata.indicator.changed"
    assert first.attributes["subject"] == "rd_intensity/440700/now"
    assert first.data["indicator_id"] == "rd_intensity" and "cause_event_id" not in first.data
    receiver.stop()
