"""Forwards accepted rows to the owning service, in order, once each.

Each row goes with request_id "ingest-<batch>-<row>", so a row sent again after a crash
(sent, but not yet marked) is applied once by the owner. Only an owner that is away
(UNAVAILABLE, DEADLINE_EXCEEDED, ABORTED) is retried, with backoff. Any other answer is
final: the row is marked refused with the reason (bounded) and counted, and the batch goes
on with its next row; one poison row never holds up the rows and batches behind it.
"""
from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

import grpc
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import sessionmaker
from tenacity import Retrying, retry_if_exception, wait_exponential

from services.ingest.store import Batch, BatchRow
from yinling import metrics
from yinling.auth import bearer
from yinling.v1 import enterprises_pb2 as ent
from yinling.v1 import enterprises_pb2_grpc as ent_grpc

log = logging.getLogger(__name__)

RETRYABLE_CODES = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED,
                   grpc.StatusCode.ABORTED}
MAX_REFUSAL = 300  # characters of the owner's answer kept with the row


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, grpc.RpcError) and exc.code() in RETRYABLE_CODES  # type: ignore[attr-defined]


def refusal_of(code: str, details: str) -> str:
    text = f"{code}: {details}"
    return text if len(text) <= MAX_REFUSAL else text[:MAX_REFUSAL] + "..."


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
            try:
                forwarded = self.forward_pending()
            except SQLAlchemyError as exc:  # its own database away: wait, never die
                log.warning("ingest forwarder: database unavailable (%s); retrying", exc)
                forwarded = 0
            if forwarded == 0:
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
            try:
                refusal = self._send(row, reason)
            except InterruptedError:
                break
            except Exception as exc:  # noqa: BLE001 - a row we cannot even send is refused, not fatal
                log.error("ingest row %s/%s cannot be forwarded: %s", row.batch_id, row.row,
                          type(exc).__name__)
                refusal = refusal_of("UNSENDABLE", f"{type(exc).__name__}: {exc}")
            if refusal:
                metrics.INGEST_ROWS_REFUSED.labels(refusal.partition(":")[0]).inc()
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
            return refusal_of(exc.code().name, exc.details() or "")  # type: ignore[attr-defined]
        return ""
