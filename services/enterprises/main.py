"""Composition root of the enterprise registry: `yinling serve enterprises`."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import sessionmaker

from services.enterprises.access import POLICY
from services.enterprises.grpc_api import EnterpriseRegistry
from services.enterprises.store import MODELS
from yinling.config import Settings
from yinling.grpc_server import ServiceBinding
from yinling.service import serve_forever
from yinling.v1.enterprises_pb2_grpc import add_EnterpriseRegistryServicer_to_server

NAME = "enterprises"


def bindings(sessions: sessionmaker, on_commit: Callable[[], None]) -> list[ServiceBinding]:
    return [ServiceBinding("yinling.v1.EnterpriseRegistry", add_EnterpriseRegistryServicer_to_server,
                           EnterpriseRegistry(sessions, on_commit), POLICY)]


def main(settings: Settings) -> None:
    serve_forever(NAME, settings, MODELS, bindings)
