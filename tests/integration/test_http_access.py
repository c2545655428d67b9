"""The open-data feed behind the HTTP access middleware, under uvicorn, with a real tokens
database (SQLite and PostgreSQL) and the real broker: reads stay public, a presented token
must be valid, nothing but reads is allowed, and every refusal is audited in the tokens
database and on the audit topic."""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from test_scoped_tokens import audit_events

from opendata_fakes import backend_settings, running_feed
from yinling.audit import AuditRecord
from yinling.db import make_engine
from yinling.tokens import TokenStore


@pytest.fixture
def feed(broker, database_url, monkeypatch) -> Iterator[tuple[httpx.Client, TokenStore]]:
    monkeypatch.setenv("YINLING_TOKENS_DATABASE_URL", database_url)
    monkeypatch.setenv("YINLING_TOKEN_CACHE_S", "0")
    store = TokenStore(make_engine(database_url), cache_s=0)
    with backend_settings() as settings:
        with running_feed(replace(settings, bootstrap_servers=broker.bootstrap)) as url:
            with httpx.Client(base_url=url, timeout=10) as client:
                yield client, store
    store.close()


def audited(store: TokenStore) -> list[AuditRecord]:
    with store.sessions() as s:
        return list(s.scalars(select(AuditRecord).order_by(AuditRecord.id)))


def test_reads_stay_public_and_a_valid_token_reads_too(feed):
    client, store = feed
    assert client.get("/api/v1/indicators").status_code == 200
    issued = store.issue("市统计局", ["enterprises:statistics:read"], [], timedelta(days=1))
    answer = client.get("/api/v1/indicators", headers={"authorization": f"Bearer {issued.secret}"})
    assert answer.status_code == 200
    assert audited(store) == []


def test_an_unknown_or_revoked_token_is_refused_and_audited(feed, broker):
    client, store = feed
    garbage = client.get("/api/v1/indicators", headers={"authorization": "Bearer yl_guess"})
    assert garbage.status_code == 401
    assert garbage.json() == {"error": {"field": "authorization", "reason": "the bearer token is not recognised"}}
    assert garbage.headers["www-authenticate"].startswith("Bearer")
    issued = store.issue("江海区科技局", ["platforms:write"], [], timedelta(days=1))
    store.revoke(issued.info.id)
    revoked = client.get("/api/v1/indicators", headers={"authorization": f"Bearer {issued.secret}"})
    assert (revoked.status_code, revoked.json()["error"]["reason"]) == (401, f"token {issued.info.id} was revoked")
    first, second = audited(store)
    assert (first.token_id, first.agency, first.method, first.outcome) == \
        ("", "unknown", "GET /api/v1/indicators", "UNAUTHENTICATED")
    assert (second.token_id, second.agency, second.outcome) == (issued.info.id, "江海区科技局", "UNAUTHENTICATED")
    assert second.peer.startswith("127.0.0.1:")
    on_topic = audit_events(broker.bootstrap, {first.event_id, second.event_id})
    assert {e.service for e in on_topic.values()} == {"opendata"}
    assert on_topic[second.event_id].token_id == issued.info.id


def test_a_write_without_a_token_is_refused_and_audited_and_no_other_write_exists(feed):
    client, store = feed
    answer = client.post("/api/v1/webhooks", json={"url": "https://example.org/hook", "dataset": "platforms"})
    assert answer.status_code == 401
    (record,) = audited(store)
    assert (record.method, record.outcome, record.agency) == ("POST /api/v1/webhooks", "UNAUTHENTICATED",
                                                              "anonymous")
    # The datasets are read-only: another method is no operation at all (405, nothing to audit).
    other = client.post("/api/v1/indicators", json={})
    assert other.status_code == 405 and "GET" in other.headers["allow"]
    assert len(audited(store)) == 1
