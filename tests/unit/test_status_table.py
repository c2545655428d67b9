"""The table of `yinling status`, from the figures each process reported (pure logic)."""
from __future__ import annotations

import urllib.error

import grpc

from yinling.status import STALE_AFTER_S, Status, _reason, stale, table

NOW = 1_780_000_000.0


class Deadline(grpc.RpcError):
    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.DEADLINE_EXCEEDED


def test_one_row_per_component_with_its_figures_and_down_in_capitals():
    rows = table([
        Status("platforms", up=True, health="SERVING", backlog=12, dead_letters=0),
        Status("indicators-worker", up=True, health="/metrics answers", backlog=0, dead_letters=0,
               consumer_lag=1234, indicators_updated=NOW - 42),
        Status("finance", up=False, health="no answer within 3 s"),
    ], now=lambda: NOW).splitlines()
    assert rows[0].split("  ")[0] == "component" and "consumer lag" in rows[0]
    assert rows[1].split() == ["platforms", "up", "SERVING", "12", "0", "-", "-"]
    assert "1,234" in rows[2] and "(42 s ago)" in rows[2]
    assert rows[3].split()[:2] == ["finance", "DOWN"] and "no answer within 3 s" in rows[3]


def test_notes_under_the_table_say_what_needs_attention():
    text = table([Status("talent", up=True, health="SERVING", backlog=0, dead_letters=2,
                         problems=["2 dead letters: yinling dead-letters talent"])], now=lambda: NOW)
    assert text.endswith("\n\ntalent: 2 dead letters: yinling dead-letters talent")


def test_a_worker_that_never_applied_an_event_says_so():
    text = table([Status("indicators-worker", up=True, health="/metrics answers",
                         indicators_updated=0)], now=lambda: NOW)
    assert "no events yet" in text


def test_indicators_are_stale_only_when_events_wait_and_none_was_applied_lately():
    waiting = Status("indicators-worker", up=True, health="", consumer_lag=5,
                     indicators_updated=NOW - STALE_AFTER_S - 1)
    assert stale(waiting, NOW)
    assert not stale(Status("w", True, "", consumer_lag=0, indicators_updated=NOW - 3600), NOW)
    assert not stale(Status("w", True, "", consumer_lag=5, indicators_updated=NOW - 10), NOW)
    assert stale(Status("w", True, "", consumer_lag=5, indicators_updated=0), NOW)


def test_reasons_are_a_few_words():
    assert _reason(Deadline()) == "no answer within 3 s"
    assert _reason(urllib.error.URLError(ConnectionRefusedError(111, "refused"))) == "connection refused"
    assert _reason(urllib.error.URLError(TimeoutError())) == "no answer within 3 s"
