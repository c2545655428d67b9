"""Composition root of the talent service: `yinling serve talent`."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import sessionmaker

from services.talent.access import POLICY
from services.talent.grpc_api import TalentServicer
from services.talent.handlers import TalentHandlers
from services.talent.identity import pseudonym_key
from services.talent.queries import TalentQueries
from services.talent.store import MODELS
from yinling.config import Settings
from yinling.grpc_server import ServiceBinding
from yinling.service import serve_forever
from yinling.v1 import talent_pb2_grpc

NAME = "talent"


def bindings(sessions: sessionmaker, on_commit: Callable[[], None]) -> list[ServiceBinding]:
    pseudonym_key()  # read the key at start, so a missing one is reported before any request
    servicer = TalentServicer(TalentHandlers(sessions, on_commit), TalentQueries(sessions))
    return [ServiceBinding("yinling.v1.TalentRegistry",
                           talent_pb2_grpc.add_TalentRegistryServicer_to_server, servicer, POLICY)]


def main(settings: Settings) -> None:
    serve_forever(NAME, settings, MODELS, bindings)
