"""`yinling serve finance`: the tech-finance registry (gRPC, outbox relay, /metrics)."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import sessionmaker

from services.finance.access import POLICY
from services.finance.grpc_api import FinanceServicer
from services.finance.store import MODELS
from yinling.config import Settings
from yinling.grpc_server import ServiceBinding
from yinling.service import serve_forever
from yinling.v1.finance_pb2 import DESCRIPTOR
from yinling.v1.finance_pb2_grpc import add_FinanceRegistryServicer_to_server

NAME = "finance"


def bindings(sessions: sessionmaker, on_commit: Callable[[], None]) -> list[ServiceBinding]:
    return [ServiceBinding(DESCRIPTOR.services_by_name["FinanceRegistry"].full_name,
                           add_FinanceRegistryServicer_to_server,
                           FinanceServicer(sessions, on_commit), POLICY)]


def main(settings: Settings) -> None:
    serve_forever(NAME, settings, MODELS, bindings)
