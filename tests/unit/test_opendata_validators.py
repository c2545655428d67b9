"""Pure rules of the feed's conditional GET and content negotiation, without a server."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.requests import Request

from services.opendata.conditional import is_fresh, version_of
from services.opendata.negotiation import best

OFFERED = ("application/ld+json", "text/turtle", "application/json")
NOON = datetime(2025, 3, 1, 4, 0, tzinfo=UTC)   # 12:00 in Asia/Shanghai


def request(query: str = "", **headers: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": "/api/v1/indicators",
                    "query_string": query.encode(), "scheme": "http", "server": ("x", 80),
                    "headers": [(k.replace("_", "-").lower().encode(), v.encode())
                                for k, v in headers.items()]})


@pytest.mark.parametrize("accept, chosen", [
    (None, "application/ld+json"),
    ("*/*", "application/ld+json"),
    ("text/*", "text/turtle"),
    ("application/json", "application/json"),
    ("application/ld+json;q=0.2, text/turtle;q=0.9", "text/turtle"),
    ("text/turtle;q=0, */*;q=0.1", "application/ld+json"),
    ("application/pdf", None),
])
def test_the_best_offer_is_the_one_weighed_most(accept, chosen):
    assert best(accept, OFFERED) == chosen


def test_the_etag_ignores_the_order_of_the_query_but_not_its_values():
    a = version_of(request("territory=440700&as_of=2024-12-31"), 7, "", "Asia/Shanghai", False, NOON)
    b = version_of(request("as_of=2024-12-31&territory=440700"), 7, "", "Asia/Shanghai", False, NOON)
    c = version_of(request("as_of=2024-12-31&territory=440703"), 7, "", "Asia/Shanghai", False, NOON)
    assert a.etag == b.etag != c.etag
    assert version_of(request(), 8, "", "Asia/Shanghai", False, NOON).etag != \
        version_of(request(), 7, "", "Asia/Shanghai", False, NOON).etag


def test_values_now_change_their_etag_with_the_local_day_and_others_do_not():
    late = datetime(2025, 3, 1, 15, 59, tzinfo=UTC)      # 23:59 in Shanghai
    next_day = datetime(2025, 3, 1, 16, 1, tzinfo=UTC)   # 00:01 the next day there
    recorded = "2025-02-01T10:00:00.5Z"
    now_a = version_of(request(), 7, recorded, "Asia/Shanghai", True, late)
    now_b = version_of(request(), 7, recorded, "Asia/Shanghai", True, next_day)
    assert now_a.etag != now_b.etag
    assert now_b.modified == datetime(2025, 3, 1, 16, 0, tzinfo=UTC)
    fixed_a = version_of(request(), 7, recorded, "Asia/Shanghai", False, late)
    fixed_b = version_of(request(), 7, recorded, "Asia/Shanghai", False, next_day)
    assert fixed_a == fixed_b and fixed_a.modified == datetime(2025, 2, 1, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("headers, fresh", [
    ({}, False),
    ({"if_modified_since": "Sat, 01 Feb 2025 10:00:00 GMT"}, True),
    ({"if_modified_since": "Sat, 01 Feb 2025 09:59:59 GMT"}, False),
    ({"if_modified_since": "yesterday"}, False),
    ({"if_none_match": "*"}, True),
    ({"if_none_match": '"other"', "if_modified_since": "Sat, 01 Feb 2025 10:00:00 GMT"}, False),
])
def test_if_none_match_decides_when_sent_else_if_modified_since(headers, fresh):
    version = version_of(request(), 7, "2025-02-01T10:00:00.5Z", "Asia/Shanghai", False, NOON)
    assert is_fresh(request(**headers), version) is fresh
