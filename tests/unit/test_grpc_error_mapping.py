import grpc
from sqlalchemy.exc import OperationalError

from yinling.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationError
from yinling.grpc_server import _status_of


def test_domain_errors_map_to_the_status_a_client_can_act_on():
    assert _status_of(ValidationError("district", "unknown")) == (
        grpc.StatusCode.INVALID_ARGUMENT, "district: unknown", "district")
    assert _status_of(NotFound("platform", "plt-1"))[0] is grpc.StatusCode.NOT_FOUND
    assert _status_of(Conflict("version", "changed"))[0] is grpc.StatusCode.FAILED_PRECONDITION
    assert _status_of(Unauthenticated())[0] is grpc.StatusCode.UNAUTHENTICATED
    assert _status_of(Forbidden("steward"))[0] is grpc.StatusCode.PERMISSION_DENIED


def test_a_busy_database_is_retryable_not_an_internal_error():
    busy = OperationalError("UPDATE platforms ...", {}, Exception("database is locked"))
    code, message, field = _status_of(busy)
    assert code is grpc.StatusCode.UNAVAILABLE and "retry" in message and field is None


def test_anything_else_is_internal_and_says_nothing_of_its_cause():
    assert _status_of(KeyError("secret column")) == (grpc.StatusCode.INTERNAL, "internal error", None)
