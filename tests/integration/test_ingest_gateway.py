"""Batch ingest against a real enterprises service, broker and databases: files validated
whole with the owner's rules, applied once through the owner's API."""
from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import grpc
import pytest
from sqlalchemy import select, update

from indicator_streams import quiet_days
from ingest_files import (
    LIST_HEADER,
    STEWARD,
    Gateway,
    csv_bytes,
    enterprise_list,
    started_gateway,
    upload,
)
from services.ingest.apply import Applier
from services.ingest.store import SubmissionRow
from yinling.auth import bearer
from yinling.outbox import OutboxRecord
from yinling.topics import INGEST_EVENTS
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import ingest_pb2 as pb


@pytest.fixture
def gateway(broker, tmp_path) -> Iterator[Gateway]:  # type: ignore[no-untyped-def]
    with started_gateway(broker.bootstrap, tmp_path) as running:
        yield running


def test_regional_statistics_with_the_issue_findings_are_refused_whole_naming_each_column(gateway):
    today = time.gmtime().tm_year
    rows = [["440703", str(today), "gdp", "1", "万元", "s", f"{today}-01-02"],
            ["440703", "2022", "gdp", "0.00001", "万元", "s", "2023-06-30"],
            ["440704", "2022", "gdp", "12345678901234567", "万元", "s", "2023-06-30"],
            ["440705", "2022", "gdp", "1", "万元", "s", "2022-12-30"],
            ["440781", "2022", "gdp", "1", "万元", "s", "9999-12-31"],
            ["440783", "2022", "gdp", "1.5", "亿元", "s", "2023-06-30"]]
    content = csv_bytes(("地区", "年份", "指标", "数值", "单位", "来源", "报告日期"), rows)
    refused = upload(gateway.ingest, "regional_statistics", content, STEWARD)
    assert refused.status == "rejected"
    assert [(e.row, e.column) for e in refused.errors] == [
        (1, "年份"), (2, "数值"), (3, "数值"), (4, "报告日期"), (5, "报告日期")]
    assert refused.errors[1].value == "0.00001"
    assert gateway.registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest()).statistics == []
    report = gateway.ingest.GetSubmissionReport(pb.GetSubmissionReportRequest(submission_id=refused.id), metadata=STEWARD).csv
    lines = report.decode().splitlines()
    assert lines[0] == "row,column,value,reason,stage" and len(lines) == 6
    assert lines[2].startswith("2,数值,")
    # Only the good row, in 亿元: applied once, converted to the owner's 万元.
    applied = gateway.wait(upload(gateway.ingest, "regional_statistics",
                                  csv_bytes(("地区", "年份", "指标", "数值", "单位", "来源", "报告日期"),
                                            rows[5:]), STEWARD).id)
    assert (applied.status, applied.applied) == ("applied", 1)
    figures = gateway.registry.ListRegionalStatistics(ent.ListRegionalStatisticsRequest(territory="440783"))
    assert [(s.value, s.unit) for s in figures.statistics] == [("15000", "CNY_10K")]


def test_killed_after_sending_before_marking_the_restart_applies_no_row_twice(gateway, tmp_path):
    rows = enterprise_list(quiet_days(), 52_000_000, count=12)
    gateway.applier.stop()  # the applier of the first life: stopped before it takes the submission
    submission = upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, rows), STEWARD)
    assert submission.status == "accepted"
    # What a crash leaves: the owner applied the first five rows, the gateway never marked them.
    address = {"enterprises": f"127.0.0.1:{gateway.enterprises.server.port}"}
    crashed = Applier(gateway.runtime.sessions, address, "dev-steward")
    with gateway.runtime.sessions() as session:
        first = session.execute(select(SubmissionRow.id, SubmissionRow.row, SubmissionRow.payload)
                                .where(SubmissionRow.submission_id == submission.id)
                                .order_by(SubmissionRow.row).limit(5)).all()
    assert not crashed._apply_rows(crashed.sender("enterprises"), submission.id, "enterprise_list", "", first)
    crashed.stop()
    with gateway.runtime.sessions.begin() as session:  # ... and its marks were lost with the crash
        session.execute(update(SubmissionRow).values(applied_at=None))
    assert gateway.owner_events() == 10
    # Restarted: the submission is finished, the five rows answered from the owner's request ids.
    restarted = Applier(gateway.runtime.sessions, address, "dev-steward").start()
    try:
        done = gateway.wait(submission.id)
    finally:
        restarted.stop()
    assert (done.status, done.applied, done.refused) == ("applied", 12, 0)
    assert gateway.owner_events() == 24  # register + grant per enterprise, each once
    versions = {gateway.registry.Get(ent.GetEnterpriseRequest(credit_code=r[0])).version for r in rows}
    assert versions == {2}


def test_a_retried_submission_id_is_taken_once_and_cannot_carry_another_file(gateway):
    rows = enterprise_list(quiet_days(), 53_000_000, count=3)
    content = csv_bytes(LIST_HEADER, rows)
    first = upload(gateway.ingest, "enterprise_list", content, STEWARD, submission_id="district-7-2024-11")
    again = upload(gateway.ingest, "enterprise_list", content, STEWARD, submission_id="district-7-2024-11")
    assert first.id == again.id == "district-7-2024-11"
    assert gateway.wait(first.id).applied == 3
    with pytest.raises(grpc.RpcError) as refused:
        upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, rows[:2]), STEWARD,
               submission_id="district-7-2024-11")
    assert refused.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert dict(refused.value.trailing_metadata())["yinling-field"] == "submission_id"
    assert len(gateway.ingest.ListSubmissions(pb.ListSubmissionsRequest(), metadata=STEWARD).submissions) == 1
    assert gateway.owner_events() == 6


def test_a_row_the_owner_refuses_while_applying_stops_an_all_or_nothing_submission(gateway):
    day = quiet_days()
    rows = enterprise_list(day, 54_000_000, count=4)
    # Registered directly after the file was made: a race the file's validation cannot see.
    gateway.registry.Register(ent.RegisterEnterpriseRequest(
        credit_code=rows[2][0], name="先到企业", district="440705", industry_cluster="x",
        registered_on=(day - timedelta(days=900)).isoformat()), metadata=STEWARD)
    stopped = gateway.wait(upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, rows), STEWARD).id)
    assert stopped.status == "stopped"
    assert [(r.row, r.column) for r in stopped.refusals] == [(3, "credit_code")]
    assert f"{rows[2][0]} is registered as '先到企业' in 440705; the row says" in stopped.refusals[0].reason
    assert not gateway.registry.Get(ent.GetEnterpriseRequest(credit_code=rows[2][0])).qualifications
    partial_rows = enterprise_list(day, 55_000_000, count=4)
    gateway.registry.Register(ent.RegisterEnterpriseRequest(
        credit_code=partial_rows[0][0], name="先到企业", district="440705", industry_cluster="x",
        registered_on=(day - timedelta(days=900)).isoformat()), metadata=STEWARD)
    partial = gateway.wait(upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, partial_rows),
                                  STEWARD, partial=True).id)
    assert (partial.status, partial.applied, partial.refused) == ("applied_with_refusals", 3, 1)


def test_an_enterprise_the_registry_knows_as_listed_only_gets_its_qualification(gateway):
    day = quiet_days()
    rows = enterprise_list(day, 54_500_000, count=2)
    code, name, district = rows[0][0], rows[0][1], "440703"  # enterprise_list puts row 1 in 蓬江区
    gateway.registry.Register(ent.RegisterEnterpriseRequest(
        credit_code=code, name=name, district=district, industry_cluster="先进装备制造",
        registered_on=(day - timedelta(days=900)).isoformat()), metadata=STEWARD)
    done = gateway.wait(upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, rows), STEWARD).id)
    assert (done.status, done.applied, done.refused) == ("applied", 2, 0)
    known = gateway.registry.Get(ent.GetEnterpriseRequest(credit_code=code))
    assert (known.version, [q.number for q in known.qualifications]) == (2, [rows[0][6]])
    assert getattr(known.district_history[0], "from") == (day - timedelta(days=900)).isoformat()


def test_each_submission_stages_its_events_with_counts(gateway):
    rows = enterprise_list(quiet_days(), 56_000_000, count=2)
    done = gateway.wait(upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, rows), STEWARD).id)
    rejected = upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, [rows[0][:5]]), STEWARD)
    with gateway.runtime.sessions() as session:
        events = session.execute(select(OutboxRecord.key, OutboxRecord.ce_type, OutboxRecord.payload)
                                 .where(OutboxRecord.topic == INGEST_EVENTS.name)
                                 .order_by(OutboxRecord.id)).all()
    assert [(k, t.split(".")[-2]) for k, t, _ in events] == [
        (done.id, "received"), (done.id, "validated"), (done.id, "applied"),
        (rejected.id, "received"), (rejected.id, "rejected")]
    applied = pb.SubmissionChanged.FromString(events[2][2])
    assert (applied.change, applied.submission.rows, applied.submission.applied) == ("applied", 2, 2)
    assert pb.SubmissionChanged.FromString(events[4][2]).submission.error_count == 1


def test_uploads_and_submissions_need_a_steward(gateway):
    with pytest.raises(grpc.RpcError) as refused:
        upload(gateway.ingest, "enterprise_list", b"x", ())
    assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED
    rejected = upload(gateway.ingest, "enterprise_list", b"x", STEWARD)
    for read in (lambda: gateway.ingest.GetSubmission(pb.GetSubmissionRequest(submission_id=rejected.id)),
                 lambda: gateway.ingest.GetSubmissionReport(pb.GetSubmissionReportRequest(submission_id=rejected.id)),
                 lambda: gateway.ingest.ListSubmissions(pb.ListSubmissionsRequest())):
        with pytest.raises(grpc.RpcError) as refused:
            read()
        assert refused.value.code() is grpc.StatusCode.UNAUTHENTICATED


def test_a_malformed_or_headless_upload_stream_is_invalid_argument_not_internal(gateway):
    channel = grpc.insecure_channel(f"127.0.0.1:{gateway.runtime.server.port}")
    raw = channel.stream_unary("/yinling.v1.IngestGateway/Upload", request_serializer=lambda b: b,
                               response_deserializer=pb.UploadResponse.FromString)
    try:
        with pytest.raises(grpc.RpcError) as malformed:
            raw(iter([b"\xff\xff\xff\xff"]), metadata=STEWARD, timeout=10)
        assert malformed.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert dict(malformed.value.trailing_metadata())["yinling-field"] == "request"
        with pytest.raises(grpc.RpcError) as headless:
            gateway.ingest.Upload(iter([pb.UploadRequest(chunk=b"a,b\n")]), metadata=STEWARD, timeout=10)
        assert headless.value.code() is grpc.StatusCode.INVALID_ARGUMENT
        assert dict(headless.value.trailing_metadata())["yinling-field"] == "header"
        with pytest.raises(grpc.RpcError) as unknown:
            upload(gateway.ingest, "yearbook", b"a\n1\n", STEWARD)
        assert dict(unknown.value.trailing_metadata())["yinling-field"] == "kind"
    finally:
        channel.close()


def test_the_same_table_uploaded_at_once_as_xlsx_and_as_csv_makes_one_submission(gateway):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from ingest_files import xlsx_bytes

    rows = enterprise_list(quiet_days(), 57_500_000, count=40)
    files = [xlsx_bytes(LIST_HEADER, rows, sheet="名单"), csv_bytes(LIST_HEADER, rows, "gb18030")] * 2
    gate = threading.Barrier(len(files))

    def send(content: bytes) -> str:
        gate.wait()
        return upload(gateway.ingest, "enterprise_list", content, STEWARD,
                      sheet="名单" if content.startswith(b"PK") else "").id
    with ThreadPoolExecutor(len(files)) as pool:
        ids = set(pool.map(send, files))
    assert len(ids) == 1
    assert gateway.wait(ids.pop()).applied == 40
    assert gateway.owner_events() == 80


def test_the_released_single_table_api_answers_unimplemented_naming_its_replacement(gateway):
    calls = [(gateway.ingest.IngestTable, pb.IngestTableRequest(table="regional_statistics"), "Upload"),
             (gateway.ingest.GetBatch, pb.GetBatchRequest(batch_id="b"), "GetSubmission"),
             (gateway.ingest.ListBatches, pb.ListBatchesRequest(limit=1), "ListSubmissions")]
    for call, request, replacement in calls:
        with pytest.raises(grpc.RpcError) as caught:
            call(request, metadata=bearer("dev-steward"), timeout=10)
        assert caught.value.code() is grpc.StatusCode.UNIMPLEMENTED
        assert f"replaced by {replacement}" in caught.value.details()
