"""Runtime settings. Precedence, stated once: command line, then environment, then defaults.

Every setting has an environment variable named YINLING_<NAME>. Nothing here connects to
anything: settings are plain values read when a process starts.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

# Fixed ports of the development layout; each is overridable by environment.
DEFAULT_PORTS = {
    "broker": 9092,
    "platforms.grpc": 50051,
    "enterprises.grpc": 50052,
    "talent.grpc": 50053,
    "finance.grpc": 50054,
    "ingest.grpc": 50055,
    "indicators.grpc": 50060,
    "opendata.http": 8080,
    "platforms.metrics": 9101,
    "enterprises.metrics": 9102,
    "talent.metrics": 9103,
    "finance.metrics": 9104,
    "ingest.metrics": 9105,
    "indicators.metrics": 9106,
    "indicators-worker.metrics": 9107,
    "indicators-worker.web": 6066,
}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(f"YINLING_{name}")
    return value if value not in (None, "") else default


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None


@dataclass(frozen=True)
class Settings:
    # Empty means: start the embedded development broker on loopback.
    bootstrap_servers: str | None = None
    host: str = "127.0.0.1"
    data_dir: Path = Path("var")
    # A SQLAlchemy URL; "{service}" is replaced by the service name, so one server can hold
    # one database per service (postgresql+psycopg2://user@host/yinling_{service}).
    database_url: str | None = None
    plan_path: Path = Path("plans/jiangmen-2022-2024.yaml")
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    topic_partitions: int = 4
    topic_replication: int = 1
    # Kafka consumer-group session timeout; the dev broker joins after half of it.
    session_timeout_s: float = 6.0
    time_zone: str = "Asia/Shanghai"
    # Requests per client of the open-data feed, as the `limits` library writes them
    # ("6000/minute", "20/second;1200/minute"); empty: no limit.
    opendata_rate_limit: str = "6000/minute"
    # The feed's contact for data.json (a mailto: address); the default is a placeholder
    # that a deployment replaces with the publisher's real address.
    opendata_contact: str = "mailto:opendata@example.invalid"
    # TLS (PEM files): a certificate and key make every gRPC and HTTP server of this process
    # serve TLS only; a CA bundle makes every client of a peer verify it (see yinling.tls).
    tls_cert: Path | None = None
    tls_key: Path | None = None
    tls_ca: Path | None = None

    @classmethod
    def from_env(cls) -> Settings:
        ports = dict(DEFAULT_PORTS)
        for key in ports:
            env_key = "PORT_" + key.upper().replace(".", "_").replace("-", "_")
            if (value := _env(env_key)) is not None:
                ports[key] = int(value)
        return cls(
            bootstrap_servers=_env("BOOTSTRAP_SERVERS"),
            host=_env("HOST", "127.0.0.1") or "127.0.0.1",
            data_dir=Path(_env("DATA_DIR", "var") or "var"),
            database_url=_env("DATABASE_URL"),
            plan_path=Path(_env("PLAN", "plans/jiangmen-2022-2024.yaml") or ""),
            ports=ports,
            topic_partitions=int(_env("TOPIC_PARTITIONS", "4") or 4),
            topic_replication=int(_env("TOPIC_REPLICATION", "1") or 1),
            session_timeout_s=float(_env("SESSION_TIMEOUT_S", "6") or 6),
            time_zone=_env("TIME_ZONE", "Asia/Shanghai") or "Asia/Shanghai",
            opendata_rate_limit=os.environ.get("YINLING_OPENDATA_RATE_LIMIT", "6000/minute"),
            opendata_contact=_env("OPENDATA_CONTACT", "mailto:opendata@example.invalid") or "",
            tls_cert=_path(_env("TLS_CERT")), tls_key=_path(_env("TLS_KEY")), tls_ca=_path(_env("TLS_CA")),
        )

    def with_overrides(self, **changes: Any) -> Settings:
        """Apply command-line values (None means 'not given')."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def db_url(self, service: str) -> str:
        if self.database_url:
            return self.database_url.replace("{service}", service)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / f'{service}.db').resolve()}"

    def port(self, key: str) -> int:
        return self.ports[key]

    def address(self, key: str) -> str:
        """Where a peer reaches `key` (e.g. "platforms.grpc"): YINLING_ADDR_PLATFORMS_GRPC if
        set (another host in a cluster), else this host and the configured port."""
        override = _env("ADDR_" + key.upper().replace(".", "_").replace("-", "_"))
        if override:
            return override
        host = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"{host}:{self.ports[key]}"
