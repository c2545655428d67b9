"""TLS by configuration, with a self-signed certificate: a registry's gRPC port and the feed's
HTTP port serve TLS only, peers configured with the CA reach them, and nothing reaches them in
plaintext or without trusting that CA."""
from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.platforms.main import MODELS, bindings
from yinling import tls
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.readiness import wait_for_grpc, wait_for_http
from yinling.service import start_service
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


def self_signed(folder: Path, name: str) -> Certificate:
    """A certificate for 127.0.0.1 and localhost, signed by its own key (its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    paths = Certificate(folder / f"{name}.crt", folder / f"{name}.key")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


@pytest.fixture
def certificates(tmp_path: Path) -> tuple[Certificate, Certificate]:
    return self_signed(tmp_path, "yinling"), self_signed(tmp_path, "stranger")


@pytest.fixture
def secure_registry(broker, tmp_path: Path, certificates) -> Iterator[tuple[Settings, str]]:  # type: ignore[no-untyped-def]
    mine, _ = certificates
    settings = Settings(bootstrap_servers=broker.bootstrap, data_dir=tmp_path,
                        tls_cert=mine.cert, tls_key=mine.key, tls_ca=mine.cert)
    runtime = start_service("platforms", settings, MODELS, bindings, grpc_port=free_port())
    yield settings, f"127.0.0.1:{runtime.server.port}"
    runtime.stop()


def register(channel: grpc.Channel) -> pb.Platform:
    stub = PlatformRegistryStub(channel)
    return stub.Register(pb.RegisterPlatformRequest(
        name="江门市激光工程技术研究中心", kind="engineering_technology_research_centre",
        host_organisation="五邑大学", district="440703", registered_on="2022-03-01"),
        metadata=bearer("dev-steward"), timeout=10)


def test_a_registry_serves_grpc_over_tls_only_to_peers_that_trust_its_ca(secure_registry, certificates) -> None:
    settings, address = secure_registry
    wait_for_grpc(address, 10, settings=settings)   # as the supervisor checks readiness
    with tls.channel(settings, address) as channel:
        assert register(channel).id
    with grpc.insecure_channel(address) as plaintext, pytest.raises(grpc.RpcError) as refused:
        register(plaintext)
    assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
    _, stranger = certificates
    untrusting = Settings(tls_ca=stranger.cert)
    with tls.channel(untrusting, address) as channel, pytest.raises(grpc.RpcError) as unverified:
        register(channel)
    assert unverified.value.code() is grpc.StatusCode.UNAVAILABLE


def test_the_feed_serves_https_only_verified_by_the_ca(tmp_path: Path, certificates) -> None:
    mine, stranger = certificates
    port = free_port()
    env = dict(os.environ, YINLING_TLS_CERT=str(mine.cert), YINLING_TLS_KEY=str(mine.key),
               YINLING_TLS_CA=str(mine.cert), YINLING_PORT_OPENDATA_HTTP=str(port),
               YINLING_DATA_DIR=str(tmp_path))
    feed = subprocess.Popen([sys.executable, "-m", "yinling", "opendata"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_http(f"https://127.0.0.1:{port}/healthz", 60, feed, ca=mine.cert)
        assert httpx.get(f"https://127.0.0.1:{port}/healthz", verify=str(mine.cert)).status_code == 200
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"https://127.0.0.1:{port}/healthz", verify=str(stranger.cert), timeout=5)
    finally:
        feed.terminate()
        feed.wait(10)


def test_half_a_server_certificate_is_refused_naming_both_settings(tmp_path: Path, certificates) -> None:
    mine, _ = certificates
    with pytest.raises(tls.TlsConfigError, match="YINLING_TLS_CERT and YINLING_TLS_KEY"):
        tls.server_credentials(Settings(tls_cert=mine.cert))
    with pytest.raises(tls.TlsConfigError, match=r"YINLING_TLS_KEY: cannot read .*missing\.key"):
        tls.server_credentials(Settings(tls_cert=mine.cert, tls_key=tmp_path / "missing.key"))
