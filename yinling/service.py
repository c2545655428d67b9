"""Composition root shared by the domain services: database, outbox relay, gRPC server,
metrics, in the order a readiness probe expects. Nothing connects at import time."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from yinling import metrics
from yinling.access import AccessControl
from yinling.audit import AuditLog
from yinling.auth import Authenticator
from yinling.broker import ensure_topics
from yinling.config import Settings
from yinling.db import Base, create_schema, make_engine, make_sessionmaker
from yinling.grpc_server import GrpcServer, ServiceBinding, run_until_signalled
from yinling.metrics import serve_metrics
from yinling.relay import OutboxRelay
from yinling.tls import server_credentials
from yinling.tokens import TokenStore, tokens_database_url

log = logging.getLogger(__name__)


@dataclass
class ServiceRuntime:
    name: str
    engine: Engine
    sessions: sessionmaker
    relay: OutboxRelay
    server: GrpcServer
    tokens: TokenStore
    audit: AuditLog

    def stop(self) -> None:
        self.server.stop()
        self.relay.stop()
        self.audit.close()
        self.tokens.close()
        self.engine.dispose()


def bootstrap_of(settings: Settings) -> str:
    return settings.bootstrap_servers or f"127.0.0.1:{settings.port('broker')}"


def start_service(
    name: str,
    settings: Settings,
    models: Iterable[type[Base]],
    bindings: Callable[[sessionmaker, Callable[[], None]], list[ServiceBinding]],
    grpc_port: int | None = None,
    database_url: str | None = None,
    tokens_url: str | None = None,
) -> ServiceRuntime:
    """Start a service: `bindings(sessions, on_commit)` builds its servicers, where on_commit
    wakes the relay after a transaction that staged events. Callers are checked against the
    token store (`tokens_url`, else YINLING_TOKENS_DATABASE_URL, else the `tokens` database of
    the settings) and each binding's policy; writes and refusals go to the audit log."""
    engine = make_engine(database_url or settings.db_url(name))
    create_schema(engine, models)
    sessions = make_sessionmaker(engine)
    bootstrap = bootstrap_of(settings)
    ensure_topics(bootstrap, default_partitions=settings.topic_partitions,
                  replication=settings.topic_replication)
    metrics.expose(metrics.OUTBOX_RELAY)
    relay = OutboxRelay(name, sessions, bootstrap).start()
    tokens = TokenStore.at(tokens_url or tokens_database_url(settings.db_url))
    audit = AuditLog(name, sessions, relay.wake)
    access = AccessControl(Authenticator(tokens), sessions)
    port = grpc_port if grpc_port is not None else settings.port(f"{name}.grpc")
    server = GrpcServer(name, bindings(sessions, relay.wake), f"{settings.host}:{port}",
                        access=access, audit=audit, credentials=server_credentials(settings)).start()
    server.set_serving()
    log.info("%s serving gRPC on %s:%s", name, settings.host, server.port)
    return ServiceRuntime(name, engine, sessions, relay, server, tokens, audit)


def serve_forever(name: str, settings: Settings, models: Iterable[type[Base]],
                  bindings: Callable[[sessionmaker, Callable[[], None]], list[ServiceBinding]]) -> None:
    """Entry point body of `yinling serve NAME`: metrics, service, block until SIGTERM."""
    serve_metrics(settings.port(f"{name}.metrics"), settings.host)
    runtime = start_service(name, settings, models, bindings)
    run_until_signalled(runtime.stop)
