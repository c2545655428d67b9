"""The real platform registry for the feed's tests: started on a free port with the real
broker, and the stewards' commands a scenario needs."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import grpc

from services.platforms.main import MODELS, bindings
from yinling.auth import bearer
from yinling.broker import free_port
from yinling.config import Settings
from yinling.service import start_service
from yinling.v1 import platforms_pb2 as pb
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub

STEWARD = bearer("dev-steward")


@contextmanager
def registry(bootstrap: str, database_url: str, settings: Settings) -> Iterator[tuple[PlatformRegistryStub, Settings]]:
    """The registry, and `settings` with its address, for a feed to read."""
    runtime = start_service("platforms", Settings(bootstrap_servers=bootstrap), MODELS, bindings,
                            grpc_port=free_port(), database_url=database_url)
    channel = grpc.insecure_channel(f"127.0.0.1:{runtime.server.port}")
    try:
        yield PlatformRegistryStub(channel), replace(
            settings, ports={**settings.ports, "platforms.grpc": runtime.server.port})
    finally:
        channel.close()
        runtime.stop()


class Steward:
    """Commands as a steward sends them, with the dates of a plausible history."""

    def __init__(self, stub: PlatformRegistryStub) -> None:
        self.stub = stub

    def register(self, name: str, district: str = "440703") -> str:
        return self.stub.Register(pb.RegisterPlatformRequest(
            name=name, kind="engineering_technology_research_centre", host_organisation=f"{name}的主办单位",
            district=district, industry_cluster="new materials", registered_on="2021-04-01"),
            metadata=STEWARD).id

    def accredit(self, pid: str, on: str = "2022-03-01") -> None:
        self.stub.Accredit(pb.AccreditPlatformRequest(
            platform_id=pid, level=pb.PLATFORM_LEVEL_PROVINCIAL, accredited_on=on,
            reason="accredited"), metadata=STEWARD)

    def evaluate(self, pid: str, year: int = 2023) -> None:
        self.stub.Evaluate(pb.EvaluatePlatformRequest(platform_id=pid, year=year, grade="good",
                                                      evaluated_on=f"{year + 1}-01-15"), metadata=STEWARD)

    def upgrade(self, pid: str, on: str = "2023-06-01") -> None:
        self.stub.ChangeLevel(pb.ChangePlatformLevelRequest(
            platform_id=pid, level=pb.PLATFORM_LEVEL_NATIONAL, effective_on=on, reason="upgraded"),
            metadata=STEWARD)

    def rename(self, pid: str, name: str) -> None:
        self.stub.Correct(pb.CorrectPlatformRequest(platform_id=pid, field="name", value=name,
                                                    reason="typo in the name"), metadata=STEWARD)

    def revoke(self, pid: str, on: str = "2024-02-01") -> None:
        self.stub.Revoke(pb.RevokePlatformRequest(platform_id=pid, revoked_on=on,
                                                  reason="failed evaluation"), metadata=STEWARD)

    def accredited(self, name: str, district: str = "440703") -> str:
        pid = self.register(name, district)
        self.accredit(pid)
        return pid
