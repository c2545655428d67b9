"""What the feed answers when something is wrong, and how gRPC failures map to HTTP."""
from __future__ import annotations

import grpc
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

FIELD_METADATA = "yinling-field"
REASON_METADATA = "yinling-reason"


class FeedError(Exception):
    def __init__(self, status: int, field: str | None, reason: str) -> None:
        super().__init__(f"{status} {field}: {reason}")
        self.status = status
        self.field = field
        self.reason = reason


def bad_parameter(field: str, reason: str) -> FeedError:
    return FeedError(400, field, reason)


def from_rpc_error(exc: grpc.RpcError, backend: str) -> FeedError:
    """UNAVAILABLE (a backend down or starting) is 503, so clients retry later."""
    code = exc.code() if hasattr(exc, "code") else None
    trailing = dict(exc.trailing_metadata() or ()) if hasattr(exc, "trailing_metadata") else {}
    details = exc.details() if hasattr(exc, "details") else str(exc)
    if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
        return FeedError(503, None, f"the {backend} service is unavailable; retry later")
    if code is grpc.StatusCode.NOT_FOUND:
        return FeedError(404, None, details or "not found")
    if code is grpc.StatusCode.INVALID_ARGUMENT:
        return FeedError(400, trailing.get(FIELD_METADATA), trailing.get(REASON_METADATA, details))
    return FeedError(502, None, f"the {backend} service failed")


async def feed_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, FeedError)
    headers = ({"Retry-After": "5"} if exc.status == 503 else
               {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None)
    return JSONResponse({"error": {"field": exc.field, "reason": exc.reason}},
                        status_code=exc.status, headers=headers)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """A parameter of the wrong type (?bom=maybe) is a 400 naming it, as every refusal is."""
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    where = [str(part) for part in first.get("loc", ())]
    field = where[-1] if len(where) > 1 else (where[0] if where else None)
    return await feed_error_handler(request, FeedError(400, field, str(first.get("msg", "invalid"))))
