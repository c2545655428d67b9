"""CloudEvents 1.0 envelope in the Kafka protocol binding, binary mode.

Headers carry the attributes (`ce_id`, `ce_source`, `ce_type`, `ce_time`, `ce_subject`,
`ce_specversion`, `content-type`), the record key is the aggregate id and the record value
is the protobuf payload. `ce_sequence` carries the aggregate's version so that a subscriber
can keep the newest state whatever order or how many times records arrive.

The CloudEvents sequence extension asks for values that order lexicographically, so the
version is written zero-padded to 20 digits (any unsigned 64-bit value fits):
"00000000000000000009" sorts before "00000000000000000010" as text and as a number. Records
written before that carry unpadded decimals ("9"); both are read.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

SPECVERSION = "1.0"
CONTENT_TYPE = "application/protobuf"
TYPE_PREFIX = "cn.gov.jiangmen.sti"
SEQUENCE_DIGITS = 20


def event_type(domain: str, what: str, version: int = 1) -> str:
    """`event_type("platform", "accredited")` -> `cn.gov.jiangmen.sti.platform.accredited.v1`."""
    return f"{TYPE_PREFIX}.{domain}.{what}.v{version}"


def new_event_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class Envelope:
    id: str
    source: str
    type: str
    time: datetime
    subject: str
    key: str
    data: bytes
    data_schema: str = ""
    sequence: int | None = None

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPECVERSION),
            ("ce_id", self.id),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", format_time(self.time)),
            ("ce_subject", self.subject),
            ("content-type", CONTENT_TYPE),
        ]
        if self.data_schema:
            headers.append(("ce_dataschema", self.data_schema))
        if self.sequence is not None:
            headers.append(("ce_sequence", format_sequence(self.sequence)))
        return [(k, v.encode()) for k, v in headers]

    @classmethod
    def from_record(cls, key: bytes | None, value: bytes, headers: list[tuple[str, bytes]]) -> Envelope:
        h = {k: v.decode() for k, v in headers}
        missing = [a for a in ("ce_id", "ce_source", "ce_type", "ce_time") if a not in h]
        if missing:
            raise ValueError(f"not a CloudEvents binary-mode record: missing {missing}")
        seq = h.get("ce_sequence")
        return cls(
            id=h["ce_id"],
            source=h["ce_source"],
            type=h["ce_type"],
            time=parse_time(h["ce_time"]),
            subject=h.get("ce_subject", ""),
            key=key.decode() if key else "",
            data=value,
            data_schema=h.get("ce_dataschema", ""),
            sequence=parse_sequence(seq) if seq is not None else None,
        )


def format_sequence(version: int) -> str:
    """`format_sequence(7)` -> "00000000000000000007": text order is number order."""
    if not 0 <= version < 10 ** SEQUENCE_DIGITS:
        raise ValueError(f"ce_sequence must be 0 to {10 ** SEQUENCE_DIGITS - 1}, not {version}")
    return f"{version:0{SEQUENCE_DIGITS}d}"


def parse_sequence(text: str) -> int:
    """Padded ("00000000000000000007") or, from older records, unpadded ("7") decimals."""
    if not (text.isascii() and text.isdigit()) or len(text) > SEQUENCE_DIGITS:
        raise ValueError(f"ce_sequence must be at most {SEQUENCE_DIGITS} decimal digits, not {text!r}")
    return int(text)


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds, as CloudEvents asks."""
    if moment.tzinfo is None:
        raise ValueError("event time must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
