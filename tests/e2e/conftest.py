"""One `yinling up --no-demo` shared by the tests that operate a running platform as an
operator would (its logs, `yinling status`): started once, at INFO, stopped with Ctrl-C."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from platform_process import PlatformProcess


@pytest.fixture(scope="session")
def running_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    up = PlatformProcess(tmp_path_factory.mktemp("running") / "platform", log_level="info").start()
    try:
        yield up
    finally:
        up.stop()
