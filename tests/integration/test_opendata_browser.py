"""The indicator page as a person sees it: Debian's headless Chromium against the real feed.

Chromium is a requirement of the test suite (`make test` installs it through `make
chromium`); a machine without it fails here rather than silently skipping the check.
"""
from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from opendata_fakes import INDICATORS, PageDom, backend_settings, running_feed

CHROMIUM = Path("/usr/bin/chromium")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    with backend_settings() as settings, running_feed(settings) as url:
        yield url


def _chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)"
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}",
               *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def test_the_browser_shows_every_city_indicator_with_value_target_and_status(feed_url, tmp_path):
    dom = PageDom(_chromium(tmp_path / "profile", "--dump-dom",
                            f"{feed_url}/?territory=440700&as_of=2023-12-31").stdout)
    rows = dom.body_rows()
    assert set(rows) == {f"{zh} {en}" for zh, en, *_ in INDICATORS.values()}
    # value, unit, target, progress, status, as of
    assert rows["研发经费投入强度 R&D intensity"] == [
        "1.65", "%", "3.3", "50% 50%", "按计划 on track", "2023-12-31"]
    assert rows["省级以上科技创新平台 Provincial platforms"][4] == "领先 ahead"
    assert rows["高新技术企业 High-tech enterprises"][:3] == ["1,050", "enterprises", "3,000"]
    assert rows["高新技术企业 High-tech enterprises"][4] == "落后 behind"
    assert dom.selected("territory") == ["440700"] and dom.selected("as_of") == ["2023-12-31"]
    assert "/api/v1/indicators.csv?territory=440700&as_of=2023-12-31" in dom.links


def test_the_browser_shows_the_chosen_district_without_targets(feed_url, tmp_path):
    dom = PageDom(_chromium(tmp_path / "profile", "--dump-dom",
                            f"{feed_url}/?territory=440705").stdout)
    assert dom.selected("territory") == ["440705"] and dom.selected("as_of") == ["now"]
    rows = dom.body_rows()
    assert len(rows) == len(INDICATORS)
    assert {cells[4] for cells in rows.values()} == {"无目标 no target"}
    assert dom.progress == []


def test_the_page_renders_to_a_screenshot(feed_url, tmp_path):
    shot = tmp_path / "indicators.png"
    _chromium(tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,1600",
              f"{feed_url}/?territory=440700")
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
