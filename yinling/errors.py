"""Domain errors that every entry point maps to a clear answer for the caller."""
from __future__ import annotations

SHOWN = 32  # characters of an offending value quoted back in an error


def shown(value: object) -> str:
    """A short, safe quotation of an offending value for an error: its start and its length,
    so an answer never repeats a megabyte the caller sent."""
    text = str(value)
    if len(text) <= SHOWN:
        return repr(text)
    return f"{text[:SHOWN]!r}... ({len(text)} characters)"


class ValidationError(ValueError):
    """Bad input: names the offending field and the reason. Nothing was written."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(LookupError):
    def __init__(self, what: str, key: str) -> None:
        super().__init__(f"{what} {key!r} not found")
        self.what = what
        self.key = key


class Conflict(RuntimeError):
    """The command is valid in form but not in the aggregate's current state."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class Unauthenticated(PermissionError):
    """No usable token. `token_id`/`agency` name the token when it is known (expired, revoked)."""

    def __init__(self, reason: str = "a bearer token is required", token_id: str = "",
                 agency: str = "unknown") -> None:
        super().__init__(reason)
        self.reason = reason
        self.token_id = token_id
        self.agency = agency


class Forbidden(PermissionError):
    """The caller is known but may not do this: the reason names the scope or district."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
