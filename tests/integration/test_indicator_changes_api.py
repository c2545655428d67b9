"""IndicatorService.ListChanges over a real database and a real gRPC server: the change log
pulled page by page after a cursor, filtered, and bad arguments refused naming the field."""
from __future__ import annotations

import grpc
import pytest

from indicator_streams import accredited, platform_event
from yinling.grpc_server import FIELD_METADATA
from yinling.topics import PLATFORM_EVENTS
from yinling.v1 import indicators_pb2 as pb
from yinling.v1 import indicators_pb2_grpc as pb_grpc


def accredit(engine, pid: str, kind: str, district: str, since: str) -> None:  # type: ignore[no-untyped-def]
    event = platform_event(accredited(pid, kind, district, "provincial", since), "accredited")
    engine.apply_batch([event], topic_of=lambda _e: PLATFORM_EVENTS.name)


def pull(stub: pb_grpc.IndicatorServiceStub, after: int, **filters: list[str]
         ) -> tuple[list[pb.IndicatorChanged], int]:
    """Every change after `after` in pages of 2, as a polling client would fetch them."""
    seen: list[pb.IndicatorChanged] = []
    while True:
        page = stub.ListChanges(pb.ListIndicatorChangesRequest(after_cursor=after, limit=2, **filters))
        assert len(page.changes) <= 2
        seen += page.changes
        if not page.changes:
            assert page.next_cursor == after  # an empty page hands the cursor back unchanged
            return seen, after
        assert page.next_cursor == page.changes[-1].cursor
        after = page.next_cursor


def field_of(error: grpc.RpcError) -> str:
    return dict(error.trailing_metadata() or ()).get(FIELD_METADATA, "")


def test_pages_of_two_from_cursor_zero_give_every_change_once_in_order(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    accredit(engine, "plt-c1", "key_laboratory", "440703", "2023-01-05")
    accredit(engine, "plt-c2", "iur_centre", "440783", "2023-02-01")
    log = engine.changes_after(0, set(), set(), limit=100_000)
    assert len(log) > 4  # more than two pages
    seen, last = pull(stub, 0)
    assert [c.cursor for c in seen] == [c.cursor for c in log]
    assert len({c.cursor for c in seen}) == len(seen)
    assert [c.cursor for c in seen] == sorted(c.cursor for c in seen)
    assert seen == log and last == log[-1].cursor
    assert {c.series for c in seen} >= {"now", "2023-12-31"}


def test_resuming_after_the_last_cursor_gives_only_later_changes(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    accredit(engine, "plt-r1", "key_laboratory", "440704", "2023-01-05")
    first, last = pull(stub, 0)
    accredit(engine, "plt-r2", "key_laboratory", "440704", "2023-04-05")
    later, _ = pull(stub, last)
    assert later and all(c.cursor > last for c in later)
    assert [c.cursor for c in first + later] == [
        c.cursor for c in engine.changes_after(0, set(), set(), limit=100_000)]
    now = [c for c in later if (c.value.indicator_id, c.value.territory, c.series)
           == ("provincial_platforms", "440704", "now")]
    assert [(c.previous_value, c.value.value) for c in now] == [("1", "2")]


def test_filters_keep_only_the_asked_indicators_and_territories(indicator_api) -> None:  # type: ignore[no-untyped-def]
    stub, engine = indicator_api
    accredit(engine, "plt-f1", "iur_centre", "440783", "2023-02-01")
    accredit(engine, "plt-f2", "key_laboratory", "440703", "2023-03-01")
    seen, _ = pull(stub, 0, indicator_ids=["iur_centres"], territories=["440783"])
    expected = [c for c in engine.changes_after(0, set(), set(), limit=100_000)
                if (c.value.indicator_id, c.value.territory) == ("iur_centres", "440783")]
    assert seen == expected and seen
    default_page = stub.ListChanges(pb.ListIndicatorChangesRequest())
    assert len(default_page.changes) == min(500, len(engine.changes_after(0, set(), set(), 100_000)))


@pytest.mark.parametrize(("request_", "field"), [
    (pb.ListIndicatorChangesRequest(after_cursor=-1), "after_cursor"),
    (pb.ListIndicatorChangesRequest(limit=-1), "limit"),
    (pb.ListIndicatorChangesRequest(limit=5001), "limit"),
    (pb.ListIndicatorChangesRequest(indicator_ids=["tech_smes", "nope"]), "indicator_ids[1]"),
    (pb.ListIndicatorChangesRequest(territories=["110000"]), "territories[0]"),
])
def test_bad_list_changes_requests_are_refused_naming_the_field(indicator_api, request_, field) -> None:  # type: ignore[no-untyped-def]
    stub, _engine = indicator_api
    with pytest.raises(grpc.RpcError) as caught:
        stub.ListChanges(request_)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field_of(caught.value) == field
