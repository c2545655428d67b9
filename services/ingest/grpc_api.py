"""IngestGateway gRPC servicer: uploads need `ingest:write` (services.ingest.access); anyone may read batch status."""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import sessionmaker

from services.ingest import handlers
from yinling.auth import current_caller
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc


class IngestGatewayServicer(ingest_pb2_grpc.IngestGatewayServicer):
    def __init__(self, sessions: sessionmaker, on_accept: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_accept = on_accept

    def IngestTable(self, request, context):  # type: ignore[no-untyped-def]
        caller = current_caller()
        batch = handlers.ingest_table(self.sessions, request, caller.actor)
        self.on_accept()
        return pb.IngestTableResponse(batch=batch)

    def GetBatch(self, request, context):  # type: ignore[no-untyped-def]
        return handlers.get_batch(self.sessions, request.batch_id)

    def ListBatches(self, request, context):  # type: ignore[no-untyped-def]
        return pb.ListBatchesResponse(batches=handlers.list_batches(self.sessions, request.limit))
