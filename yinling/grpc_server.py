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
from yinling.access import AccessControl, Policy, Rule
from yinling.audit import Attempt, AuditLog
from yinling.auth import ANONYMOUS, Caller, acting_as
from yinling.bounds import check_request
from yinling.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError

DOMAIN_ERRORS = (ValidationError, NotFound, Conflict, Unauthenticated, Forbidden)

log = logging.getLogger(__name__)

FIELD_METADATA = "yinling-field"
REASON_METADATA = "yinling-reason"
_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")
# Commands are small; a batch of 500 commands is the largest request (files are uploaded in 1 MiB chunks).
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
    policy: Policy | None = None  # who may call which method (yinling.access)


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


ACCESS_CODES = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


class DomainInterceptor(grpc.ServerInterceptor):
    """Counts API requests by method and code, and turns domain errors into gRPC statuses.
    With access control: once the request parsed, checks the caller against the method's rule
    (before the bounds and the servicer), serves the method as that caller
    (yinling.auth.current_caller), and audits every write and every refusal."""

    def __init__(self, service: str, access: AccessControl | None = None,
                 policies: dict[str, Policy] | None = None, audit: AuditLog | None = None) -> None:
        self.service = service
        self.access = access
        self.policies = policies or {}
        self.audit = audit

    def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        handler = continuation(handler_call_details)
        if handler is None or handler_call_details.method.startswith(INFRASTRUCTURE_PREFIXES):
            return handler
        path = handler_call_details.method
        method = path.rsplit("/", 1)[-1]
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(handler.unary_unary, method, path),
                request_deserializer=_lenient(handler.request_deserializer, method),
                response_serializer=handler.response_serializer)
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap_unary(self._admitting(handler.stream_unary), method, path, stream=True),
                request_deserializer=_lenient(handler.request_deserializer, method),
                response_serializer=handler.response_serializer)
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(handler.unary_stream, method, path),
                request_deserializer=_lenient(handler.request_deserializer, method),
                response_serializer=handler.response_serializer)
        return handler

    @staticmethod
    def _parsed(request) -> None:  # type: ignore[no-untyped-def]
        """First of all: bytes that are not the method's message are refused as such."""
        if isinstance(request, Malformed):
            raise ValidationError("request", request.reason)

    def _rule(self, path: str) -> tuple[Rule | None, Policy | None]:
        service, _, method = path.lstrip("/").partition("/")
        policy = self.policies.get(service)
        return (policy.rules.get(method) if policy else None), policy

    def _authorise(self, request, path: str, context, attempt: Attempt) -> tuple[Caller, Rule | None]:  # type: ignore[no-untyped-def]
        """The caller, if the method's rule admits it; the attempt learns who it is."""
        if self.access is None:
            return ANONYMOUS, None
        rule, policy = self._rule(path)
        header = dict(context.invocation_metadata() or ()).get("authorization", "")
        try:
            caller = self.access.authenticate(header)
        except Unauthenticated as exc:
            attempt.token_id, attempt.agency = exc.token_id, exc.agency
            raise
        attempt.token_id, attempt.agency = caller.token_id, caller.actor
        self.access.authorise(path, rule, policy, request, caller)
        return caller, rule

    def _audited(self, rule: Rule | None, attempt: Attempt, exc: BaseException | None) -> None:
        """Every write and every refusal of access, into the audit log (never in the way of
        the answer: a failure to audit is logged). A command refused for its contents
        (INVALID_ARGUMENT, FAILED_PRECONDITION, ...) stores and publishes nothing at all."""
        if self.audit is None:
            return
        code = _status_of(exc)[0] if exc is not None else grpc.StatusCode.OK
        wrote = code is grpc.StatusCode.OK and rule is not None and rule.write
        if not wrote and code not in ACCESS_CODES:
            return  # a read, or a command refused for its contents: nothing changed, nothing to audit
        try:
            self.audit.finish(attempt, code.name, "" if exc is None else _bounded(str(exc)))
        except Exception:  # noqa: BLE001 - the answer stands; operators see the log
            log.exception("%s: could not audit %s (%s)", self.service, attempt.method, code.name)

    def _attempt(self, path: str, context) -> Attempt:  # type: ignore[no-untyped-def]
        return Attempt(token_id="", agency=ANONYMOUS.actor, method=path, peer=context.peer() or "")

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

    def _serve(self, behaviour, request, context, rule: Rule | None, caller: Caller,  # type: ignore[no-untyped-def]
               attempt: Attempt):
        if self.audit is not None and rule is not None and rule.write:
            with acting_as(caller), self.audit.attempt(attempt):
                return behaviour(request, context)
        with acting_as(caller):
            return behaviour(request, context)

    def _admit(self, request) -> None:  # type: ignore[no-untyped-def]
        """Before the servicer: the request parsed, and every field within its bound."""
        self._parsed(request)
        check_request(request)

    def _admitting(self, behaviour):  # type: ignore[no-untyped-def]
        """A client stream: each message is admitted as it is read, like a unary request."""
        def call(requests, context):  # type: ignore[no-untyped-def]
            def admitted():  # type: ignore[no-untyped-def]
                for request in requests:
                    self._admit(request)
                    yield request
            return behaviour(admitted(), context)
        return call

    def _wrap_unary(self, behaviour, method: str, path: str, stream: bool = False):  # type: ignore[no-untyped-def]
        handle = self._handle_unary(behaviour, method, path, stream)

        def call(request, context):  # type: ignore[no-untyped-def]
            # Every line logged while the request is handled names it (yinling.logs).
            with logs.bound(rpc=f"{self.service}.{method}",
                            request_id=getattr(request, "request_id", "")):
                return handle(request, context)
        return call

    def _handle_unary(self, behaviour, method: str, path: str, stream: bool = False):  # type: ignore[no-untyped-def]
        """`stream`: a client stream, authorised before its first message is read (as a
        request that names no district) and admitted message by message."""
        def call(request, context):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            attempt, rule = self._attempt(path, context), None
            try:
                if not stream:
                    self._parsed(request)
                caller, rule = self._authorise(None if stream else request, path, context, attempt)
                if not stream:
                    check_request(request)  # every field within its bound
                response = self._serve(behaviour, request, context, rule, caller, attempt)
            except DOMAIN_ERRORS as exc:
                self._audited(rule, attempt, exc)
                self._fail(context, exc, method)
            except grpc.RpcError:
                raise
            except Exception as exc:  # noqa: BLE001 - mapped to INTERNAL, logged
                if context.code() is not None:  # the handler aborted on purpose
                    raise
                self._audited(rule, attempt, exc)
                self._fail(context, exc, method)
            self._audited(rule, attempt, None)
            metrics.GRPC_SECONDS.labels(self.service, method).observe(time.perf_counter() - started)
            metrics.GRPC_REQUESTS.labels(self.service, method, "OK").inc()
            return response
        return call

    def _wrap_stream(self, behaviour, method: str, path: str):  # type: ignore[no-untyped-def]
        def call(request, context):  # type: ignore[no-untyped-def]
            attempt, rule = self._attempt(path, context), None
            try:
                self._parsed(request)
                caller, rule = self._authorise(request, path, context, attempt)
                check_request(request)  # every field within its bound
                with acting_as(caller):
                    yield from behaviour(request, context)
            except DOMAIN_ERRORS as exc:
                self._audited(rule, attempt, exc)
                self._fail(context, exc, method)
            metrics.GRPC_REQUESTS.labels(self.service, method, "OK").inc()
        return call


def _policies(bindings: list[ServiceBinding]) -> dict[str, Policy]:
    """Every method of every bound service has a rule, or the server does not start."""
    policies = {}
    for b in bindings:
        methods = descriptor_pool.Default().FindServiceByName(b.full_name).methods
        missing = sorted(m.name for m in methods if b.policy is None or m.name not in b.policy.rules)
        if missing:
            raise RuntimeError(f"{b.full_name}: no access rule for {', '.join(missing)}")
        policies[b.full_name] = b.policy
    return policies  # type: ignore[return-value]


class GrpcServer:
    """With `access`, every method is checked against its binding's policy (and without one,
    the server refuses to start); without, every caller is anonymous (test doubles)."""

    def __init__(self, service: str, bindings: Iterable[ServiceBinding], address: str,
                 max_workers: int = 16, access: AccessControl | None = None,
                 audit: AuditLog | None = None, credentials: grpc.ServerCredentials | None = None) -> None:
        self.service = service
        self.bindings = list(bindings)
        self.address = address
        policies = _policies(self.bindings) if access is not None else {}
        interceptor = DomainInterceptor(service, access, policies, audit)
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers),
                                  interceptors=[interceptor],
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
        # TLS only when configured (yinling.tls): never a plaintext port beside a secure one.
        self.port = (self.server.add_secure_port(address, credentials) if credentials is not None
                     else self.server.add_insecure_port(address))
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
