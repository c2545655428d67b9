"""`yinling serve indicators`: the IndicatorService gRPC API over the indicators database."""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from services.indicators.grpc_api import binding
from services.indicators.runtime import SERVICE, open_runtime
from yinling.access import AccessControl
from yinling.audit import AuditLog
from yinling.auth import Authenticator
from yinling.config import Settings
from yinling.grpc_server import GrpcServer, run_until_signalled
from yinling.metrics import serve_metrics
from yinling.tls import server_credentials
from yinling.tokens import TokenStore, tokens_database_url

log = logging.getLogger(__name__)


def start(settings: Settings, database_url: str | None = None,
          port: int | None = None) -> tuple[GrpcServer, Callable[[], None]]:
    """Start the server; returns it and the function that stops it (and its Watch streams)."""
    runtime = open_runtime(settings, database_url)
    stopping = threading.Event()
    address = f"{settings.host}:{port if port is not None else settings.port(f'{SERVICE}.grpc')}"
    tokens = TokenStore.at(tokens_database_url(settings.db_url))
    # Refusals go to the indicators database's outbox, published by the worker's relay.
    audit = AuditLog(SERVICE, runtime.sessions, lambda: None)
    server = GrpcServer(SERVICE, [binding(runtime.engine, runtime.plans, stopping)], address,
                        access=AccessControl(Authenticator(tokens)), audit=audit,
                        credentials=server_credentials(settings)).start()
    server.set_serving()
    log.info("indicators serving gRPC on %s:%s", settings.host, server.port)

    def stop() -> None:
        stopping.set()
        server.stop()
        audit.close()
        tokens.close()
        runtime.close()
    return server, stop


def main(settings: Settings) -> None:
    serve_metrics(settings.port(f"{SERVICE}.metrics"), settings.host)
    _server, stop = start(settings)
    run_until_signalled(stop)
