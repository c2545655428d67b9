"""The bound of every field of every request, by field type, in one place.

Each string, list, number and date a caller sends is checked here before any service sees it
(the gRPC server applies `check_request` to every request), so one oversized, invisible or
implausible value is refused as INVALID_ARGUMENT naming the field, never stored, published
or echoed back. The services keep their domain rules (a district code must be a district);
these are the outer limits no domain rule needs to repeat.

| field type | fields | bound |
|---|---|---|
| code | ids, codes, kinds, districts, units, enumerations | 64 characters, no spaces inside |
| request id | request_id | 100 characters |
| short text | names, organisations, clusters, numbers, sources, contacts | 300 characters |
| free text | reasons, corrected values | 2,000 characters |
| list | repeated strings | 100 items, each bounded by its type (lists of messages: the request size) |
| amount | *_fen | 0 to 10^14 fen (one trillion yuan) |
| count | employees, rd_staff | 0 to 10,000,000 |
| year | year | 1900 to 2100 |
| date | *_on, valid_until | an ISO date from 1900-01-01 to 2100-12-31, stored as YYYY-MM-DD |
| past date | dates of events that happened (registered_on, revoked_on, ...) | not after today |

Every string is NFC-normalised and trimmed; one that holds control characters (free text may
hold line breaks and tabs) or only invisible characters (zero-width, format, spaces) is refused.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from yinling.dates import today_in_city
from yinling.errors import ValidationError, shown

MAX_CODE = 64
MAX_REQUEST_ID = 100
MAX_SHORT = 300
MAX_TEXT = 2000
MAX_ITEMS = 100
MAX_FEN = 10**14
MAX_COUNT = 10_000_000
EARLIEST = date(1900, 1, 1)
LATEST = date(2100, 12, 31)

SHORT_FIELDS = frozenset({"name", "host_organisation", "industry_cluster", "number", "source", "sheet",
                          "email", "phone", "identity_number", "member_names"})
TEXT_FIELDS = frozenset({"reason", "value"})
PAST_DATES = frozenset({"registered_on", "accredited_on", "evaluated_on", "revoked_on",
                        "granted_on", "renewed_on", "moved_on", "recognised_on", "ended_on",
                        "withdrawn_on", "reported_on"})
FUTURE_ALLOWED_DATES = frozenset({"valid_until", "effective_on"})
COUNT_FIELDS = frozenset({"employees", "rd_staff"})
# Line breaks and tabs are text in a reason; anywhere else they are a control character.
TEXT_CONTROLS = frozenset("\n\r\t")
INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})


def clean_text(value: str, field: str, limit: int, *, free_text: bool = False) -> str:
    """NFC, trimmed, within `limit` characters, no control characters, not only invisible ones."""
    if len(value) > limit * 4:  # refuse before normalising a huge value
        raise ValidationError(field, f"is {len(value)} characters long; at most {limit}")
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) > limit:
        raise ValidationError(field, f"is {len(text)} characters long; at most {limit}")
    allowed = TEXT_CONTROLS if free_text else frozenset()
    for char in text:
        if unicodedata.category(char) == "Cc" and char not in allowed:
            raise ValidationError(field, f"holds the control character U+{ord(char):04X}")
    if text and all(unicodedata.category(c) in INVISIBLE for c in text):
        raise ValidationError(field, "is made only of invisible or control characters")
    return text


def clean_code(value: str, field: str, limit: int = MAX_CODE) -> str:
    text = clean_text(value, field, limit)
    if any(c.isspace() for c in text):
        raise ValidationError(field, f"{shown(text)} holds a space; a code has none")
    return text


def iso_date(value: str, field: str, *, past: bool = False, today: date | None = None) -> date:
    """A date in any ISO 8601 calendar form ("2023-01-01", "20230101", "2023-W01-7"), within
    the plausible range and, for a past event, not after today."""
    text = clean_code(value, field, 16)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ValidationError(field, f"{shown(text)} is not a date in the form YYYY-MM-DD") from None
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(field, f"{day.isoformat()} is outside {EARLIEST.isoformat()}.."
                                     f"{LATEST.isoformat()}")
    if past:
        now = today or today_in_city()
        if day > now:
            raise ValidationError(field, f"{day.isoformat()} is in the future (today is "
                                         f"{now.isoformat()}); it records something that happened")
    return day


def amount_fen(value: int, field: str) -> int:
    if not 0 <= value <= MAX_FEN:
        raise ValidationError(field, f"{value} is outside 0..{MAX_FEN} fen")
    return value


def count(value: int, field: str) -> int:
    if not 0 <= value <= MAX_COUNT:
        raise ValidationError(field, f"{value} is outside 0..{MAX_COUNT}")
    return value


def year(value: int, field: str) -> int:
    if value and not EARLIEST.year <= value <= LATEST.year:
        raise ValidationError(field, f"{value} is outside {EARLIEST.year}..{LATEST.year}")
    return value


def bounded_decimal(text: str, field: str, max_digits: int = 16, max_places: int = 4) -> Decimal:
    """An exact non-negative decimal with at most `max_digits` before the point and
    `max_places` after it; "1E+1000000" and its like are refused before they are expanded."""
    cleaned = clean_code(text, field, 40).replace(",", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValidationError(field, f"{shown(cleaned)} is not a decimal number") from None
    if not value.is_finite() or value < 0:
        raise ValidationError(field, f"{shown(cleaned)} is not a non-negative decimal")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if value and value.adjusted() >= max_digits:
        raise ValidationError(field, f"{shown(cleaned)} has more than {max_digits} digits before "
                                     "the decimal point")
    if -exponent > max_places and value != value.quantize(Decimal(1).scaleb(-max_places)):
        raise ValidationError(field, f"{shown(cleaned)} has more than {max_places} decimal places")
    return value


# -- every request ----------------------------------------------------------------------

def check_as(name: str, value: str, field: str = "value") -> str:
    """A value given for field `name` elsewhere (a correction's `value`): that field's bound."""
    return _string_rule(name)(value, field)


def _string_rule(name: str) -> Callable[[str, str], str]:
    if name == "request_id":
        return lambda v, f: clean_code(v, f, MAX_REQUEST_ID)
    if name in TEXT_FIELDS:
        return lambda v, f: clean_text(v, f, MAX_TEXT, free_text=True)
    if name in SHORT_FIELDS:
        return lambda v, f: clean_text(v, f, MAX_SHORT)
    if name in PAST_DATES:
        return lambda v, f: iso_date(v, f, past=True).isoformat() if v else v
    if name in FUTURE_ALLOWED_DATES:
        return lambda v, f: iso_date(v, f).isoformat() if v else v
    return lambda v, f: clean_code(v, f)


def _int_rule(name: str) -> Callable[[int, str], int] | None:
    if name.endswith("_fen"):
        return amount_fen
    if name in COUNT_FIELDS:
        return count
    if name == "year":
        return year
    return None


def check_request(message: Message, prefix: str = "") -> None:
    """Check and normalise, in place, every field of a request; raise on the first bad one."""
    for fd, value in message.ListFields():
        field = prefix + fd.name
        if fd.type == FieldDescriptor.TYPE_MESSAGE:
            # A list of messages (a batch of commands) is bounded by the request size and by
            # the service that takes it; each message in it is checked like a request.
            for n, item in enumerate(value if fd.is_repeated else [value]):
                check_request(item, f"{field}[{n}]." if fd.is_repeated else field + ".")
        elif fd.type == FieldDescriptor.TYPE_STRING:
            rule = _string_rule(fd.name)
            if fd.is_repeated:
                _check_length(value, field, fd)
                cleaned = [rule(v, f"{field}[{n}]") for n, v in enumerate(value)]
                del value[:]
                value.extend(cleaned)
            else:
                setattr(message, fd.name, rule(value, field))
        elif fd.type in (FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_INT32):
            rule_int = _int_rule(fd.name)
            if rule_int is not None and not fd.is_repeated:
                rule_int(value, field)


def _check_length(items, field: str, fd: FieldDescriptor) -> None:  # type: ignore[no-untyped-def]
    if fd.is_repeated and len(items) > MAX_ITEMS:
        raise ValidationError(field, f"has {len(items)} items; at most {MAX_ITEMS}")
