"""IndicatorService over a real database and a real gRPC server: answers, validation errors
naming the field, History series, and Watch resuming after a cursor."""
from __future__ import annotations

import grpc
import pytest
from sqlalchemy import select

from indicator_streams import PLAN, accredited, platform_event, revoked
from yinling.audit import AuditRecord
from yinling.auth import bearer
from yinling.db import make_engine, make_sessionmaker
from yinling.grpc_server import FIELD_METADATA
from yinling.outbox import OutboxRecord
from yinling.plan import load_plan
from yinling.territory import CITY, DISTRICTS
from yinling.topics import AUDIT, PLATFORM_EVENTS
from yinling.v1 import indicators_pb2 as pb


def field_of(error: grpc.RpcError) -> str:
    return dict(error.trailing_metadata() or ()).get(FIELD_METADATA, "")


def apply(engine, *events) -> None:  # type: ignore[no-untyped-def]
    engine.apply_batch(list(events), topic_of=lambda _e: PLATFORM_EVENTS.name)


def test_get_defaults_to_the_city_and_now(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    apply(engine, platform_event(accredited("plt-a", "key_laboratory", "440703", "provincial", "2023-01-05"),
                                 "accredited"))
    value = stub.Get(pb.GetIndicatorRequest(indicator_id="provincial_platforms"))
    assert (value.territory, value.value, value.target) == (CITY, "1", "560")
    assert value.plan_id == load_plan(PLAN).id
    assert stub.Get(pb.GetIndicatorRequest(indicator_id="provincial_platforms",
                                           as_of="2022-12-31")).value == "0"


def test_list_gives_every_indicator_of_every_territory_or_of_one(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, _engine = indicator_api
    plan = load_plan(PLAN)
    every = stub.List(pb.ListIndicatorsRequest())
    assert {(v.indicator_id, v.territory) for v in every.values} == {
        (i.id, t) for i in plan.indicators for t in [CITY, *DISTRICTS]}
    one = stub.List(pb.ListIndicatorsRequest(territory="440704", as_of="2024-12-31"))
    assert {v.territory for v in one.values} == {"440704"}
    assert {v.as_of for v in one.values} == {"2024-12-31"}


@pytest.mark.parametrize(("request_", "field"), [
    (pb.GetIndicatorRequest(indicator_id="no_such_indicator"), "indicator_id"),
    (pb.GetIndicatorRequest(indicator_id=""), "indicator_id"),
    (pb.GetIndicatorRequest(indicator_id="tech_smes", territory="110000"), "territory"),
    (pb.GetIndicatorRequest(indicator_id="tech_smes", as_of="2024-13-01"), "as_of"),
    (pb.GetIndicatorRequest(indicator_id="tech_smes", plan_id="other-plan"), "plan_id"),
])
def test_bad_get_requests_are_refused_naming_the_field(indicator_api, request_, field) -> None:  # type: ignore[no-untyped-def]
    stub, _engine = indicator_api
    with pytest.raises(grpc.RpcError) as caught:
        stub.Get(request_)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(caught.value) == field


def test_history_lists_each_change_of_a_series_with_its_cause(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    lab = accredited("plt-h", "key_laboratory", "440705", "national", "2022-03-01")
    first, second = platform_event(lab, "accredited"), platform_event(revoked(lab, "2023-06-01"), "revoked")
    apply(engine, first)
    apply(engine, second)
    now = stub.History(pb.IndicatorHistoryRequest(indicator_id="provincial_platforms", territory="440705"))
    assert [(p.value.value, p.cause_event_id) for p in now.points][-2:] == [("1", first.id), ("0", second.id)]
    year_end = stub.History(pb.IndicatorHistoryRequest(
        indicator_id="provincial_platforms", territory="440705", as_of="2022-12-31"))
    assert [p.value.value for p in year_end.points][-1] == "1"  # revoked later: 2022 still counts it
    with pytest.raises(grpc.RpcError) as caught:
        stub.History(pb.IndicatorHistoryRequest(indicator_id="provincial_platforms", as_of="2023-06-30"))
    assert field_of(caught.value) == "as_of"


def test_watch_resumes_after_a_cursor_with_only_the_asked_changes(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    apply(engine, platform_event(accredited("plt-w1", "iur_centre", "440783", "municipal", "2023-02-01"),
                                 "accredited"))
    cursor = engine.latest_cursor()  # every series changed with the first centre
    apply(engine, platform_event(accredited("plt-w2", "iur_centre", "440783", "municipal", "2023-03-01"),
                                 "accredited"))
    stream = stub.Watch(pb.WatchIndicatorsRequest(indicator_ids=["iur_centres"], territories=["440783"],
                                                  after_cursor=cursor), timeout=30)
    change = next(iter(stream))
    stream.cancel()
    assert change.cursor > cursor
    assert (change.value.indicator_id, change.value.territory) == ("iur_centres", "440783")
    assert (change.previous_value, change.value.value) == ("1", "2")


def test_watch_refuses_an_unknown_indicator_naming_its_position(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, _engine = indicator_api
    with pytest.raises(grpc.RpcError) as caught:
        next(iter(stub.Watch(pb.WatchIndicatorsRequest(indicator_ids=["tech_smes", "nope"]), timeout=10)))
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(caught.value) == "indicator_ids[1]"


def test_latest_change_names_the_newest_cursor_and_when_it_was_recorded(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    assert stub.LatestChange(pb.LatestChangeRequest()) == pb.LatestChangeResponse()
    apply(engine, platform_event(accredited("plt-l1", "iur_centre", "440783", "municipal", "2023-02-01"),
                                 "accredited"))
    first = stub.LatestChange(pb.LatestChangeRequest())
    assert first.cursor == engine.latest_cursor() > 0
    assert first.recorded_at.endswith("Z") and first.recorded_at[:2] == "20"
    apply(engine, platform_event(accredited("plt-l2", "iur_centre", "440783", "municipal", "2023-03-01"),
                                 "accredited"))
    second = stub.LatestChange(pb.LatestChangeRequest())
    assert second.cursor > first.cursor and second.recorded_at >= first.recorded_at


def test_reads_are_anonymous_but_a_presented_token_must_be_valid_and_a_refusal_is_audited(
        indicator_api, database_url):
    stub, _ = indicator_api
    assert stub.List(pb.ListIndicatorsRequest(), timeout=10).values
    assert stub.List(pb.ListIndicatorsRequest(), metadata=bearer("dev-steward"), timeout=10).values
    with pytest.raises(grpc.RpcError) as caught:
        stub.List(pb.ListIndicatorsRequest(), metadata=bearer("yl_guessed"), timeout=10)
    assert (caught.value.code(), caught.value.details()) == \
        (grpc.StatusCode.UNAUTHENTICATED, "the bearer token is not recognised")
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as s:
        (record,) = s.scalars(select(AuditRecord))
        (event,) = s.scalars(select(OutboxRecord).where(OutboxRecord.topic == AUDIT.name))
    engine.dispose()
    assert (record.method, record.outcome) == ("/yinling.v1.IndicatorService/List", "UNAUTHENTICATED")
    assert event.event_id == record.event_id  # published by the worker's relay of this outbox
