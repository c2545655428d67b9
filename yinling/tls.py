"""TLS for gRPC and HTTP, by configuration (YINLING_TLS_CERT, YINLING_TLS_KEY, YINLING_TLS_CA).

A server given a certificate and its key serves TLS only: no plaintext port stays open beside
it. A client given a CA bundle verifies its peer against it; without one, peers are reached in
plaintext (the development default, and inside a mesh that terminates TLS itself). The CA is
also what the services use to reach each other, so one bundle signs the whole platform.
"""
from __future__ import annotations

from typing import Any

import grpc

from yinling.config import Settings


class TlsConfigError(ValueError):
    """TLS settings that cannot work: names the setting and why."""


def _read(settings: Settings, name: str) -> bytes:
    path = getattr(settings, name)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TlsConfigError(f"YINLING_{name.upper()}: cannot read {path}: {exc.strerror}") from None


def serves_tls(settings: Settings) -> bool:
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise TlsConfigError("YINLING_TLS_CERT and YINLING_TLS_KEY: give both or neither")
    return settings.tls_cert is not None


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """Credentials for a gRPC server's port, or None for plaintext."""
    if not serves_tls(settings):
        return None
    return grpc.ssl_server_credentials([(_read(settings, "tls_key"), _read(settings, "tls_cert"))])


def channel(settings: Settings, address: str, options: list[tuple[str, Any]] | None = None) -> grpc.Channel:
    """A channel to a peer: verified TLS when a CA bundle is configured, else plaintext."""
    if settings.tls_ca is None:
        return grpc.insecure_channel(address, options=options)
    credentials = grpc.ssl_channel_credentials(root_certificates=_read(settings, "tls_ca"))
    return grpc.secure_channel(address, credentials, options=options)


def http_certificate(settings: Settings) -> tuple[str | None, str | None]:
    """uvicorn's ssl_certfile and ssl_keyfile, or (None, None) for plaintext."""
    if not serves_tls(settings):
        return None, None
    for name in ("tls_cert", "tls_key"):
        _read(settings, name)   # a clear error now rather than inside the server
    return str(settings.tls_cert), str(settings.tls_key)


def scheme(settings: Settings) -> str:
    return "https" if serves_tls(settings) else "http"
