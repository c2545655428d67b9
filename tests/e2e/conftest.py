"""A `yinling up --no-demo` for the tests that operate a running platform as an operator
would (its logs, `yinling status`): one per module, at INFO, stopped with Ctrl-C. Not one per
session: an idle platform left running would load the machine under the timing-sensitive
end-to-end tests of other modules."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from platform_process import PlatformProcess


@pytest.fixture(scope="module")
def running_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    up = PlatformProcess(tmp_path_factory.mktemp("running") / "platform", log_level="info").start()
    try:
        yield up
    finally:
        up.stop()
