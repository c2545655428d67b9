"""`yinling serve ingest`: the gateway's gRPC API and its applier to the owning services."""
from __future__ import annotations

import os

from sqlalchemy.orm import sessionmaker

from services.ingest.access import POLICY
from services.ingest.apply import Applier
from services.ingest.grpc_api import IngestGatewayServicer
from services.ingest.store import MODELS
from yinling import tls
from yinling.config import Settings
from yinling.grpc_server import ServiceBinding, run_until_signalled
from yinling.metrics import serve_metrics
from yinling.service import start_service
from yinling.v1 import ingest_pb2_grpc

SERVICE_NAME = "yinling.v1.IngestGateway"
OWNERS = ("enterprises", "platforms", "talent", "finance")


def start(settings: Settings, grpc_port: int | None = None, database_url: str | None = None,
          owner_addresses: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Start gateway and applier; returns (runtime, applier). The owning services are found at
    their configured addresses, unless `owner_addresses` names them."""
    holder: dict[str, Applier] = {}
    addresses = {name: settings.address(f"{name}.grpc") for name in OWNERS} | (owner_addresses or {})

    def bindings(sessions: sessionmaker, on_commit) -> list[ServiceBinding]:  # type: ignore[no-untyped-def]
        holder["applier"] = Applier(
            sessions, addresses, os.environ.get("YINLING_INGEST_TOKEN", "dev-steward"), on_commit,
            connect=lambda address: tls.channel(settings, address)).start()
        servicer = IngestGatewayServicer(sessions, holder["applier"].wake, on_commit)
        return [ServiceBinding(SERVICE_NAME, ingest_pb2_grpc.add_IngestGatewayServicer_to_server, servicer,
                               POLICY)]

    runtime = start_service("ingest", settings, MODELS, bindings, grpc_port=grpc_port, database_url=database_url)
    return runtime, holder["applier"]


def main(settings: Settings) -> None:
    serve_metrics(settings.port("ingest.metrics"), settings.host)
    runtime, applier = start(settings)

    def stop() -> None:
        applier.stop()
        runtime.stop()

    run_until_signalled(stop)
