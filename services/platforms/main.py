"""Composition root of the platform registry: `yinling serve platforms`."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import sessionmaker

from services.platforms.access import POLICY
from services.platforms.grpc_api import PlatformRegistry
from services.platforms.store import MODELS
from yinling.config import Settings
from yinling.grpc_server import ServiceBinding
from yinling.service import serve_forever
from yinling.v1.platforms_pb2_grpc import add_PlatformRegistryServicer_to_server

NAME = "platforms"
SERVICE = "yinling.v1.PlatformRegistry"

__all__ = ["MODELS", "NAME", "bindings", "main"]


def bindings(sessions: sessionmaker, on_commit: Callable[[], None]) -> list[ServiceBinding]:
    return [ServiceBinding(SERVICE, add_PlatformRegistryServicer_to_server,
                           PlatformRegistry(sessions, on_commit), POLICY)]


def main(settings: Settings) -> None:
    serve_forever(NAME, settings, MODELS, bindings)
