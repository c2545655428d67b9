"""`yinling serve ingest`: the gateway's gRPC API and its forwarder to the enterprises service."""
from __future__ import annotations

import os

from sqlalchemy.orm import sessionmaker

from services.ingest.access import POLICY
from services.ingest.forwarder import Forwarder
from services.ingest.grpc_api import IngestGatewayServicer
from services.ingest.store import MODELS
from yinling.config import Settings
from yinling.grpc_server import ServiceBinding, run_until_signalled
from yinling.metrics import serve_metrics
from yinling.service import start_service
from yinling.v1 import ingest_pb2_grpc

SERVICE_NAME = "yinling.v1.IngestGateway"


def start(settings: Settings, grpc_port: int | None = None, database_url: str | None = None,
          enterprises_address: str | None = None):  # type: ignore[no-untyped-def]
    """Start gateway and forwarder; returns (runtime, forwarder)."""
    holder: dict[str, Forwarder] = {}

    def bindings(sessions: sessionmaker, _on_commit) -> list[ServiceBinding]:  # type: ignore[no-untyped-def]
        holder["forwarder"] = Forwarder(
            sessions, enterprises_address or settings.address("enterprises.grpc"),
            os.environ.get("YINLING_INGEST_TOKEN", "dev-steward")).start()
        servicer = IngestGatewayServicer(sessions, holder["forwarder"].wake)
        return [ServiceBinding(SERVICE_NAME, ingest_pb2_grpc.add_IngestGatewayServicer_to_server, servicer,
                               POLICY)]

    runtime = start_service("ingest", settings, MODELS, bindings, grpc_port=grpc_port, database_url=database_url)
    return runtime, holder["forwarder"]


def main(settings: Settings) -> None:
    serve_metrics(settings.port("ingest.metrics"), settings.host)
    runtime, forwarder = start(settings)

    def stop() -> None:
        forwarder.stop()
        runtime.stop()

    run_until_signalled(stop)
