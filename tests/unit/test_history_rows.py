"""History rows of the kernel: what a service writes comes back as the same HistoryEntry."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from yinling.db import Base
from yinling.history import HistoryColumns
from yinling.v1.common_pb2 import HistoryEntry

AT = datetime(2023, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)


class CsvHistory(Base, HistoryColumns):
    __tablename__ = "unit_history_csv"
    aggregate_key = "thing_id"

    thing_id: Mapped[str] = mapped_column(String(40))


class JsonHistory(Base, HistoryColumns):
    __tablename__ = "unit_history_json"
    aggregate_key = "thing_id"
    json_fields = True

    thing_id: Mapped[str] = mapped_column(String(40))


def a_row(model: type[HistoryColumns], corrected: tuple[str, ...]) -> HistoryColumns:
    return model.of("t-1", HistoryEntry(version=3), 3, "corrected", AT, "steward@test",
                    "typo in the name", corrected, "ev-1")


def test_a_row_keeps_the_aggregate_id_under_the_services_column_name() -> None:
    row = a_row(CsvHistory, ())
    assert row.thing_id == "t-1"  # type: ignore[attr-defined]
    assert HistoryEntry.FromString(row.snapshot).version == 3


def test_corrected_fields_are_stored_comma_separated_by_default() -> None:
    row = a_row(CsvHistory, ("name", "district"))
    assert row.corrected_fields == "name,district"
    assert row.fields() == ["name", "district"]


def test_a_json_history_stores_corrected_fields_as_a_json_list() -> None:
    row = a_row(JsonHistory, ("name", "district"))
    assert row.corrected_fields == '["name", "district"]'
    assert row.fields() == ["name", "district"]


def test_no_corrected_fields_read_back_as_an_empty_list_in_either_form() -> None:
    assert a_row(CsvHistory, ()).fields() == []
    assert a_row(JsonHistory, ()).fields() == []
    assert JsonHistory(thing_id="t", corrected_fields="").fields() == []


def test_the_entry_carries_every_column_with_the_time_in_rfc3339_utc() -> None:
    entry = a_row(JsonHistory, ("name",)).to_entry()
    assert entry == HistoryEntry(version=3, change="corrected",
                                 recorded_at="2023-05-04T03:02:01.123456Z", actor="steward@test",
                                 reason="typo in the name", corrected_fields=["name"],
                                 event_id="ev-1")


def test_a_naive_time_read_back_from_sqlite_is_taken_as_utc() -> None:
    row = a_row(CsvHistory, ())
    row.recorded_at = AT.replace(tzinfo=None)
    assert row.to_entry().recorded_at == "2023-05-04T03:02:01.123456Z"
