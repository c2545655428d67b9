"""A gRPC server with what every service needs: health checking, reflection, metrics and
the mapping of domain errors to status codes, in interceptors; graceful stop on SIGTERM."""
from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent import futures
from dataclasses import dataclass
from urllib.parse import quote

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from sqlalchemy.exc import OperationalError

from yinling import logs, metrics, reflection
from yinling.bounds import check_request
from yinling.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError

DOMAIN_ERRORS = (ValidationError, NotFound, Conflict, Unauthenticated, Forbidden)

log = logging.getLogger(__name__)

FIELD_METADATA = "yinling-field"
REASON_METADATA = "yinling-reason"
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
# Commands are small; a yearbook table (ingest, at most 10,000 rows) is the largest request.
# Anything larger is refused by gRPC itself as RESOURCE_EXHAUSTED before it is read.
MAX_REQUEST_BYTES = 4 * 1024 * 1024
# An answer never carries more than this much of an error text (status details and trailers
# share gRPC's 8 KiB metadata limit; a longer one turned into RESOURCE_EXHAUSTED).
MAX_ERROR_TEXT = 300


class Malformed:
    """What a request that is not valid protobuf for its method deserialises to: the servicer
    never sees it, the caller gets INVALID_ARGUMENT naming the problem."""

    def __init__(self, reason: str) -> None:
        self.reason = reason


def _lenient(deserializer, method: str):  # type: ignore[no-untyped-def]
    if deserializer is None:
        return None

    def parse(data: bytes):  # type: ignore[no-untyped-def]
        try:
            return deserializer(data)
        except Exception as exc:  # noqa: BLE001 - any parse failure is the caller's bad bytes
            return Malformed(f"the request is not a valid protobuf message for {method} "
                             f"({type(exc).__name__}, {len(data)} bytes)")
    return parse


def _bounded(text: str) -> str:
    return text if len(text) <= MAX_ERROR_TEXT else text[:MAX_ERROR_TEXT] + "..."


@dataclass(frozen=True)
class ServiceBinding:
    full_name: str  # e.g. "yinling.v1.PlatformRegistry"
    add_to_server: Callable[[object, grpc.Server], None]
    servicer: object


def _status_of(exc: BaseException) -> tuple[grpc.StatusCode, str, str | None]:
    if isinstance(exc, ValidationError):
        return grpc.StatusCode.INVALID_ARGUMENT, str(exc), exc.field
    if isinstance(exc, NotFound):
        return grpc.StatusCode.NOT_FOUND, str(exc), None
    if isinstance(exc, Conflict):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc), exc.field
    if isinstance(exc, Unauthenticated):
        return grpc.StatusCode.UNAUTHENTICATED, str(exc), None
    if isinstance(exc, Forbidden):
        return grpc.StatusCode.PERMISSION_DENIED, str(exc), None
    if isinstance(exc, OperationalError):
        # A busy or unreachable database: nothing was written, and the caller may retry.
        return grpc.StatusCode.UNAVAILABLE, "the database is busy or unreachable; retry", None
    return grpc.StatusCode.INTERNAL, "internal error", None


# Probes and tooling, not API requests: neither counted nor wrapped.
INFRASTRUCTURE_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


class DomainInterceptor(grpc.ServerInterceptor):
    """Counts API requests by method and code, and turns domain errors into gRPC statuses."""

    def __init__(self, service: str) -> None:
        self.service = service

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        handler = continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(INFRASTRUCTURE_PREFIXES):
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method),
                request_deserializer=_lenient(handler.request_deserializer, method),
                response_serializer=handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method),
                request_deserializer=_lenient(handler.request_deserializer, method),
                response_serializer=handler.response_serializer)
        return handler

    def _admit(self, request, method: str) -> None:  # type: ignore[no-untyped-def]
        """Before the servicer: the request parsed, and every field within its bound."""
        if isinstance(request, Malformed):
            raise ValidationError("request", request.reason)
        check_request(request)

    def _fail(self, context, exc: BaseException, method: str):  # type: ignore[no-untyped-def]
        code, message, field = _status_of(exc)
        message = _bounded(message)
        if code is grpc.StatusCode.INTERNAL:
            log.exception("%s.%s failed", self.service, method, exc_info=exc)
        elif code is grpc.StatusCode.UNAVAILABLE:
            log.warning("%s.%s: database unavailable: %s", self.service, method, exc)
        else:
            log.info("%s.%s refused: %s", self.service, method, code.name,
                     extra={"code": code.name, "field": field or ""})
        metrics.GRPC_REQUESTS.labels(self.service, method, code.name).inc()
        if field:
            # ASCII metadata must be printable ASCII: percent-encode the rest (names are Chinese),
            # else gRPC drops the whole trailer. Clients read it with urllib.parse.unquote.
            reason = quote(_bounded(getattr(exc, "reason", message)), safe=_PRINTABLE)
            context.set_trailing_metadata(((FIELD_METADATA, quote(field[:200], safe=_PRINTABLE)),
                                           (REASON_METADATA, reason)))
        context.abort(code, message)

    def _wrap_unary(self, behaviour, method: str):  # type: ignore[no-untyped-def]
        handle = self._handle_unary(behaviour, method)

        def call(request, context):  # type: ignore[no-untyped-def]
            # Every line logged while the request is handled names it (yinling.logs).
            with logs.bound(rpc=f"{self.service}.{method}",
                            request_id=getattr(request, "request_id", "")):
                return handle(request, context)
        return call

    def _handle_unary(self, behaviour, method: str):  # type: ignore[no-untyped-def]
        def call(request, context):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                self._admit(request, method)
                response = behaviour(request, context)
            except DOMAIN_ERRORS as exc:
                self._fail(context, exc, method)
            except grpc.RpcError:
                raise
            except Exception as exc:  # noqa: BLE001 - mapped to INTERNAL, logged
                if context.code() is not None:  # the handler aborted on purpose
                    raise
                self._fail(context, exc, method)
            metrics.GRPC_SECONDS.labels(self.service, method).observe(time.perf_counter() - started)
            metrics.GRPC_REQUESTS.labels(self.service, method, "OK").inc()
            return response
        return call

    def _wrap_stream(self, behaviour, method: str):  # type: ignore[no-untyped-def]
        def call(request, context):  # type: ignore[no-untyped-def]
            try:
                self._admit(request, method)
                yield from behaviour(request, context)
            except DOMAIN_ERRORS as exc:
                self._fail(context, exc, method)
            metrics.GRPC_REQUESTS.labels(self.service, method, "OK").inc()
        return call


class GrpcServer:
    def __init__(self, service: str, bindings: Iterable[ServiceBinding], address: str,
                 max_workers: int = 16) -> None:
        self.service = service
        self.bindings = list(bindings)
        self.address = address
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers),
                                  interceptors=[DomainInterceptor(service)],
                                  options=[("grpc.max_receive_message_length", MAX_REQUEST_BYTES)])
        metrics.expose(metrics.GRPC_SERVER)
        self.health = health.HealthServicer()
        for b in self.bindings:
            b.add_to_server(b.servicer, self.server)
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        names = [b.full_name for b in self.bindings]
        _count_from_zero(service, names)
        reflection.enable_server_reflection(
            (*names, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name), self.server)
        self.port = self.server.add_insecure_port(address)
        if self.port == 0:
            raise RuntimeError(f"cannot listen on {address}")

    def start(self) -> GrpcServer:
        self.server.start()
        return self

    def set_serving(self) -> None:
        """Only once dependencies are ready: readiness probes read this."""
        for b in self.bindings:
            self.health.set(b.full_name, health_pb2.HealthCheckResponse.SERVING)
        self.health.set("", health_pb2.HealthCheckResponse.SERVING)

    def stop(self, grace_s: float = 5.0) -> None:
        self.health.enter_graceful_shutdown()
        self.server.stop(grace_s).wait()


def _count_from_zero(service: str, full_names: Iterable[str]) -> None:
    """Each API method's series at 0 from the start (code OK; a unary method's timing too), so
    Prometheus sees every server's families before its first request, and the first request
    counts in rate() and increase() (a series that appears at 1 does not)."""
    for full_name in full_names:
        for method in descriptor_pool.Default().FindServiceByName(full_name).methods:
            metrics.GRPC_REQUESTS.labels(service, method.name, "OK")
            if not (method.client_streaming or method.server_streaming):
                metrics.GRPC_SECONDS.labels(service, method.name)


def run_until_signalled(on_stop: Callable[[], None]) -> None:
    """Block the main thread until SIGTERM or SIGINT, then call on_stop once."""
    done = threading.Event()

    def handler(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("signal %s: stopping", signum)
        done.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)
    done.wait()
    on_stop()
