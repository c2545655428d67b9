"""Fixtures shared by the integration tests of one area."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from indicator_streams import PLAN
from services.indicators.main import start
from services.indicators.runtime import open_runtime
from yinling.config import Settings
from yinling.v1 import indicators_pb2_grpc as pb_grpc


@pytest.fixture
def indicator_api(database_url: str, tmp_path: Path) -> Iterator[tuple[pb_grpc.IndicatorServiceStub, object]]:
    """The IndicatorService server and, beside it, an engine on the same database to stage
    source events."""
    settings = Settings(data_dir=tmp_path, plan_path=PLAN)
    server, stop = start(settings, database_url, port=0)
    writer = open_runtime(settings, database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{server.port}")
    try:
        yield pb_grpc.IndicatorServiceStub(channel), writer.engine
    finally:
        channel.close()
        stop()
        writer.close()
