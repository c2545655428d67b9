"""Forwards accepted rows to the owning service, in order, once each.

Each row goes with request_id "ingest-<batch>-<row>", so a row sent again after a crash
(sent, but not yet marked) is applied once by the owner. A row the owner refuses is
marked with its answer and not retried; an unavailable owner is retried with backoff.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

import grpc
from sqlalchemy import select, update
from sqlalchemy.orm import sessionmaker
from tenacity import Retrying, retry_if_exception, wait_exponential

from services.ingest.store import Batch, BatchRow
from yinling.auth import bearer
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import enterprises_pb2_grpc as ent_grpc

log = logging.getLogger(__name__)

FINAL_CODES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.FAILED_PRECONDITION,
               grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED}


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() not in FINAL_CODES  # type: ignore[attr-defined]


class Forwarder:
    def __init__(self, sessions: sessionmaker, enterprises_address: str, token: str) -> None:
        self.sessions = sessions
        self.channel = grpc.insecure_channel(enterprises_address)
        self.stub = ent_grpc.EnterpriseRegistryStub(self.channel)
        self.metadata = bearer(token)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="ingest-forwarder", daemon=True)

    def start(self) -> Forwarder:
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        self.channel.close()

    def run(self) -> None:
        while not self._stop.is_set():
            if self.forward_pending() == 0:
                self._wake.wait(1.0)
                self._wake.clear()

    def forward_pending(self) -> int:
        with self.sessions() as session:
            pending = session.execute(
                select(BatchRow, Batch.reason).join(Batch, Batch.id == BatchRow.batch_id)
                .where(BatchRow.forwarded_at.is_(None)).order_by(Batch.accepted_at, BatchRow.row).limit(200)
            ).all()
        for row, reason in pending:
            if self._stop.is_set():
                break
            refusal = self._send(row, reason)
            with self.sessions.begin() as session:
                session.execute(update(BatchRow).where(BatchRow.id == row.id).values(
                    forwarded_at=datetime.now(UTC), refusal=refusal))
        return len(pending)

    def _send(self, row: BatchRow, reason: str) -> str:
        data = json.loads(row.payload)
        request = ent.ReportRegionalStatisticRequest(
            statistic=ent.RegionalStatistic(
                territory=data["territory"], year=data["year"], measure=data["measure"],
                value=data["value"], unit=data["unit"], source=data["source"],
                reported_on=data["reported_on"]),
            reason=reason, request_id=f"ingest-{row.batch_id}-{row.row}")
        retrying = Retrying(retry=retry_if_exception(_transient), wait=wait_exponential(0.2, max=10),
                            before_sleep=lambda rs: log.warning("enterprises unavailable; retrying"))
        try:
            for attempt in retrying:
                with attempt:
                    if self._stop.is_set():
                        raise InterruptedError
                    self.stub.ReportRegionalStatistic(request, metadata=self.metadata, timeout=10)
        except grpc.RpcError as exc:
            return f"{exc.code().name}: {exc.details()}"  # type: ignore[attr-defined]
        return ""
