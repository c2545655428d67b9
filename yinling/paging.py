"""Opaque page tokens for list queries: an offset, encoded so callers do not build them."""
from __future__ import annotations

import base64

from yinling.errors import ValidationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


def page_bounds(page_size: int, page_token: str) -> tuple[int, int]:
    """Return (offset, limit) for a PageRequest, or raise naming the field."""
    if page_size < 0:
        raise ValidationError("page.page_size", "must not be negative")
    limit = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    if not page_token:
        return 0, limit
    try:
        offset = int(base64.urlsafe_b64decode(page_token.encode()).decode().removeprefix("o:"))
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("page.page_token", "is not a token this service issued") from None
    if offset < 0:
        raise ValidationError("page.page_token", "is not a token this service issued")
    return offset, limit


def next_token(offset: int, limit: int, total: int) -> str:
    nxt = offset + limit
    return base64.urlsafe_b64encode(f"o:{nxt}".encode()).decode() if nxt < total else ""
