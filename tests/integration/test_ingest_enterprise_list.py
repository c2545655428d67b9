"""The issue's done-when, end to end: a district's enterprise list with bad rows is refused
naming exactly those rows and columns and nothing changes; the corrected list as XLSX is
applied once and the high-tech indicator moves in the real indicators worker; the same list
as GB18030 CSV, or the XLSX again, changes nothing."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import grpc
import pytest

from indicator_streams import PLAN, quiet_days, start_worker, stop_worker, wait_until, worker_env
from ingest_files import (
    LIST_HEADER,
    STEWARD,
    Gateway,
    csv_bytes,
    enterprise_list,
    started_gateway,
    upload,
    xlsx_bytes,
)
from services.indicators.main import start as start_indicators
from yinling.broker import EmbeddedBroker
from yinling.config import Settings
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import indicators_pb2 as ind
from yinling.v1 import indicators_pb2_grpc as ind_grpc
from yinling.v1 import ingest_pb2 as pb


@pytest.fixture
def platform(broker: EmbeddedBroker, tmp_path: Path) -> Iterator[tuple[Gateway, ind_grpc.IndicatorServiceStub]]:
    database_url = f"sqlite:///{tmp_path / 'indicators.db'}"
    log = tmp_path / "worker.log"
    worker = start_worker(worker_env(broker.bootstrap, database_url, tmp_path,
                                     f"test-ingest-{uuid.uuid4().hex[:8]}"), log)
    server, stop = start_indicators(Settings(bootstrap_servers=broker.bootstrap, data_dir=tmp_path,
                                             plan_path=PLAN), database_url, port=0)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        with started_gateway(broker.bootstrap, tmp_path) as gateway:
            yield gateway, ind_grpc.IndicatorServiceStub(channel)
    finally:
        channel.close()
        stop()
        stop_worker(worker)
        print(log.read_text(errors="replace")[-5000:])  # shown when the test failed


def high_tech(stub: ind_grpc.IndicatorServiceStub, territory: str, day: date) -> str:
    return stub.Get(ind.GetIndicatorRequest(indicator_id="high_tech_enterprises", territory=territory,
                                            as_of=day.isoformat())).value


def test_a_bad_list_changes_nothing_and_the_corrected_one_is_applied_once_in_any_format(platform):
    gateway, indicators = platform
    granted = quiet_days(span=60)  # days no other test's enterprises or platforms cover
    rows = enterprise_list(granted, 58_000_000, count=8)  # two per district, in four districts
    bad = [list(r) for r in rows]
    bad[1][0] = bad[1][0][:17] + ("0" if bad[1][0][17] != "0" else "1")  # bad check character
    bad[3][2] = "新城区"  # unknown district
    bad[4][7] = bad[4][7][:5] + "02-30"  # impossible date
    bad[6][0] = bad[5][0]  # duplicate credit code

    refused = upload(gateway.ingest, "enterprise_list", csv_bytes(LIST_HEADER, bad), STEWARD)
    assert refused.status == "rejected"
    assert [(e.row, e.column) for e in refused.errors] == [
        (2, "统一社会信用代码"), (4, "所属区县"), (5, "发证日期"), (7, "统一社会信用代码")]
    assert gateway.owner_events() == 0
    assert gateway.registry.List(ent.ListEnterprisesRequest()).total == 0

    as_xlsx = xlsx_bytes(LIST_HEADER, rows, sheet="企业名单")
    applied = gateway.wait(upload(gateway.ingest, "enterprise_list", as_xlsx, STEWARD, sheet="企业名单").id)
    assert (applied.status, applied.applied, applied.format) == ("applied", 8, "xlsx")
    assert gateway.owner_events() == 16  # each enterprise registered and granted, once
    counted = granted + timedelta(days=10)
    wait_until(lambda: high_tech(indicators, "440700", counted) == "8", 60, "the city's count")
    assert {d: high_tech(indicators, d, counted) for d in ("440703", "440704", "440705", "440781")} == {
        "440703": "2", "440704": "2", "440705": "2", "440781": "2"}
    assert high_tech(indicators, "440700", granted - timedelta(days=1)) == "0"

    as_gb18030 = csv_bytes(LIST_HEADER, rows, "gb18030")
    again = upload(gateway.ingest, "enterprise_list", as_gb18030, STEWARD)
    assert (again.id, again.status) == (applied.id, "applied")
    assert upload(gateway.ingest, "enterprise_list", as_xlsx, STEWARD, sheet="企业名单").id == applied.id
    assert gateway.owner_events() == 16
    assert len(gateway.ingest.ListSubmissions(pb.ListSubmissionsRequest(), metadata=STEWARD).submissions) == 2  # rejected, applied

