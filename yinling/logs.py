"""Logs of every process, configured once in its main (`yinling.cli`).

Two formats, chosen by YINLING_LOG_FORMAT: `json`, one object per line (timestamp, level,
logger, event and the context of the work at hand) for machines and log collectors; `text`,
one readable line, for a person at a terminal; `auto` (the default) writes text to a terminal
and JSON anywhere else, such as the per-process files of `yinling up` or a container's output.

Modules log with the standard library (`logging.getLogger(__name__)`, `extra=` for fields);
structlog's ProcessorFormatter renders the records, with what `bound(...)` holds in context:
the `request_id` of the command being handled, the `ce_id` of the event being recorded or
applied. A command's request_id and the ce_id of the event it recorded meet on one line, so
one change can be followed from the command through every service that handles its event.
"""
from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

FORMATS = ("auto", "json", "text")
LEVELS = ("debug", "info", "warning", "error", "critical")
# Libraries that log every connection (Kafka clients) or their plugins (Alembic) at INFO:
# kept at WARNING so operators' logs stay readable.
CHATTY = ("kafka", "aiokafka", "alembic.runtime.plugins")
HANDLER_NAME = "yinling"


def resolve_format(name: str, stream: TextIO) -> str:
    """`json` or `text`; `auto` picks text for a terminal. Anything else is refused by name."""
    chosen = (name or "auto").strip().lower()
    if chosen not in FORMATS:
        raise ValueError(f"YINLING_LOG_FORMAT (--log-format): must be one of {', '.join(FORMATS)}, "
                         f"not {name!r}")
    if chosen == "auto":
        return "text" if stream.isatty() else "json"
    return chosen


def _text(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> str:
    """`2026-12-02 01:02:03 INFO yinling.relay: message key=value ...` and the traceback."""
    stamp, level = event.pop("timestamp", ""), str(event.pop("level", "")).upper()
    name, message = event.pop("logger", ""), event.pop("event", "")
    trace = event.pop("exception", None)
    line = f"{stamp} {level} {name}: {message}" + "".join(f" {k}={v}" for k, v in event.items())
    return f"{line}\n{trace}" if trace else line


def _without_duplicates(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """One copy of the message: uvicorn passes it again with terminal colours, and a record
    another handler formatted first carries `message` (and `asctime`) as attributes."""
    for key in ("color_message", "message", "asctime"):
        event.pop(key, None)
    return event


def configure(level: str = "info", format_name: str = "auto", stream: TextIO | None = None) -> str:
    """Install the one handler of the root logger; returns the format chosen."""
    out = stream or sys.stderr
    chosen = resolve_format(format_name, out)
    if level.strip().lower() not in LEVELS:
        raise ValueError(f"YINLING_LOG_LEVEL (--log-level): must be one of {', '.join(LEVELS)}, "
                         f"not {level!r}")
    json_lines = chosen == "json"
    stamper = (structlog.processors.TimeStamper(fmt="iso", utc=True) if json_lines
               else structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False))
    renderer = structlog.processors.JSONRenderer(ensure_ascii=False) if json_lines else _text
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.contextvars.merge_contextvars, structlog.stdlib.add_log_level,
                           structlog.stdlib.add_logger_name, structlog.stdlib.ExtraAdder(),
                           _without_duplicates, stamper],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info, renderer])
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)  # configured again (tests): replaced, never doubled
    root.addHandler(handler)
    root.setLevel(level.strip().upper())
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.WARNING)
    return chosen


@contextmanager
def bound(**fields: object) -> Iterator[None]:
    """Every line logged inside (in this thread or task) carries `fields`; empty ones are left
    out, so a command without a request_id does not log `request_id: ""`."""
    present = {k: v for k, v in fields.items() if v is not None and v != ""}
    with structlog.contextvars.bound_contextvars(**present):
        yield
