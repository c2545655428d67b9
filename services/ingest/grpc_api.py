"""IngestGateway gRPC servicer: stewards upload files (client streaming) and read submissions
and their reports (errors quote the files' cells, which may be confidential: a finance amount).
Who may call what is declared in services.ingest.access and checked by the interceptor."""
from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
from sqlalchemy.orm import sessionmaker

from services.ingest import handlers
from services.ingest.report import report_csv
from yinling.auth import current_caller
from yinling.errors import ValidationError
from yinling.v1 import ingest_pb2 as pb
from yinling.v1 import ingest_pb2_grpc

MAX_FILE_BYTES = 64 * 1024 * 1024  # a 100,000-row table is about 15 MB as CSV


def assemble(parts: Iterator[pb.UploadRequest]) -> tuple[pb.UploadHeader, bytes]:
    """The header message, then the file's chunks, in order."""
    first = next(parts, None)
    if first is None or first.WhichOneof("part") != "header":
        raise ValidationError("header", "the first message of an upload must be its header")
    chunks: list[bytes] = []
    size = 0
    for part in parts:
        if part.WhichOneof("part") != "chunk":
            raise ValidationError("header", "an upload has one header, before its chunks")
        size += len(part.chunk)
        if size > MAX_FILE_BYTES:
            raise ValidationError("chunk", f"the file is larger than {MAX_FILE_BYTES} bytes; split it")
        chunks.append(part.chunk)
    return first.header, b"".join(chunks)


class IngestGatewayServicer(ingest_pb2_grpc.IngestGatewayServicer):
    def __init__(self, sessions: sessionmaker, on_accept: Callable[[], None],
                 on_commit: Callable[[], None]) -> None:
        self.sessions = sessions
        self.on_accept = on_accept
        self.on_commit = on_commit

    def Upload(self, request_iterator, context):  # type: ignore[no-untyped-def]
        caller = current_caller()
        header, content = assemble(request_iterator)
        submission = handlers.submit(self.sessions, header, content, caller.actor, self.on_commit)
        if submission.status == "accepted":
            self.on_accept()
        return pb.UploadResponse(submission=submission)

    # Release v0.1.0's single-table API (deprecated in the proto).
    def IngestTable(self, request, context):  # type: ignore[no-untyped-def]
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "IngestTable was replaced by Upload "
                      "(any table kind, streamed; `yinling ingest FILE --kind KIND`)")

    def GetBatch(self, request, context):  # type: ignore[no-untyped-def]
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "GetBatch was replaced by GetSubmission")

    def ListBatches(self, request, context):  # type: ignore[no-untyped-def]
        context.abort(grpc.StatusCode.UNIMPLEMENTED, "ListBatches was replaced by ListSubmissions")

    def GetSubmission(self, request, context):  # type: ignore[no-untyped-def]
        return pb.GetSubmissionResponse(submission=handlers.get(self.sessions, request.submission_id))

    def ListSubmissions(self, request, context):  # type: ignore[no-untyped-def]
        return pb.ListSubmissionsResponse(submissions=handlers.recent(self.sessions, request.limit))

    def GetSubmissionReport(self, request, context):  # type: ignore[no-untyped-def]
        return pb.GetSubmissionReportResponse(
            csv=report_csv(handlers.get(self.sessions, request.submission_id)))
