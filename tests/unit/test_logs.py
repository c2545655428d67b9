"""Log lines as yinling.logs renders them: JSON objects carrying the context of the work at
hand (request_id, ce_id), or readable text; the format chosen by name or by the terminal."""
from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from yinling import logs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restored_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_a_json_line_carries_the_bound_request_id_and_the_fields_given(restored_root: None):
    out = io.StringIO()
    assert logs.configure("info", "json", out) == "json"
    with logs.bound(request_id="req-42", ce_id=""):
        logging.getLogger("yinling.test").info("command %s applied", "register",
                                               extra={"ce_id": "0d0c-ce"})
    line = json.loads(out.getvalue().splitlines()[-1])
    assert line["event"] == "command register applied"
    assert line["request_id"] == "req-42" and line["ce_id"] == "0d0c-ce"
    assert line["level"] == "info" and line["logger"] == "yinling.test"
    assert line["timestamp"].endswith("Z")


def test_context_ends_with_its_block_and_empty_values_are_left_out(restored_root: None):
    out = io.StringIO()
    logs.configure("info", "json", out)
    with logs.bound(request_id=""):
        logging.getLogger("yinling.test").info("inside")
    logging.getLogger("yinling.test").info("after")
    inside, after = (json.loads(line) for line in out.getvalue().splitlines())
    assert "request_id" not in inside and "request_id" not in after


def test_chinese_text_stays_readable_in_json_lines(restored_root: None):
    out = io.StringIO()
    logs.configure("info", "json", out)
    logging.getLogger("yinling.test").warning("江门激光研究院 refused")
    assert "江门激光研究院" in out.getvalue()


def test_text_lines_name_level_logger_and_context(restored_root: None):
    out = io.StringIO()
    logs.configure("debug", "text", out)
    with logs.bound(request_id="req-7"):
        logging.getLogger("yinling.relay").warning("broker away", extra={"ce_id": "e1"})
    line = out.getvalue().strip()
    assert " WARNING yinling.relay: broker away" in line
    assert line.endswith("request_id=req-7 ce_id=e1")


def test_auto_writes_text_to_a_terminal_and_json_elsewhere():
    assert logs.resolve_format("auto", Terminal()) == "text"
    assert logs.resolve_format("auto", io.StringIO()) == "json"
    assert logs.resolve_format("JSON", Terminal()) == "json"


def test_an_unknown_format_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match=r"YINLING_LOG_FORMAT \(--log-format\): must be one of auto, json, text, not 'xml'"):
        logs.resolve_format("xml", io.StringIO())


def test_an_unknown_level_is_refused_naming_the_setting(restored_root: None):
    with pytest.raises(ValueError, match=r"YINLING_LOG_LEVEL \(--log-level\): must be one of debug, "
                                         r"info, warning, error, critical, not 'loud'"):
        logs.configure("loud", "json", io.StringIO())


def test_configured_twice_the_handler_is_replaced_not_doubled(restored_root: None):
    out = io.StringIO()
    logs.configure("info", "json", io.StringIO())
    logs.configure("info", "json", out)
    logging.getLogger("yinling.test").info("once")
    assert len(out.getvalue().splitlines()) == 1
    assert sum(h.get_name() == logs.HANDLER_NAME for h in logging.getLogger().handlers) == 1
