"""The people's page as a person sees it: Debian's headless Chromium, driven through its
chromedriver, against the real feed over an indicator service of hand-made values
(dashboard_fakes.py). Every number shown is checked against the feed's own JSON API; axe-core
(from tools/npm) is injected into the page and must find no serious or critical violation;
screenshots at desktop and phone width are kept in the test's tmp dir.

Chromium and chromedriver are requirements of the test suite (`make test` installs them
through `make chromium`); a machine without them fails here rather than silently skipping.
"""
from __future__ import annotations

import base64
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from dashboard_fakes import META, DashboardIndicators
from opendata_fakes import backend_settings, running_feed

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).resolve().parents[2] / "tools/npm/node_modules/axe-core/axe.min.js"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CITY, JIANGHAI = "440700", "440704"
PLAN_END = "2024-12-31"


@pytest.fixture(scope="module")
def feed_url() -> Iterator[str]:
    with backend_settings(DashboardIndicators()) as settings, running_feed(settings) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    for path in (CHROMIUM, CHROMEDRIVER):
        assert path.exists(), f"{path} is missing: run `make chromium`"
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--disable-background-networking", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def _width(driver: webdriver.Chrome, width: int) -> None:
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})


def _open(driver: webdriver.Chrome, url: str, width: int = 1280) -> None:
    _width(driver, width)
    driver.get(url)
    assert driver.execute_script("return document.readyState") == "complete"


def _screenshot(driver: webdriver.Chrome, path: Path) -> tuple[int, int]:
    shot = driver.execute_cdp_cmd("Page.captureScreenshot",
                                  {"format": "png", "captureBeyondViewport": True})
    data = base64.b64decode(shot["data"])
    path.write_bytes(data)
    assert data.startswith(PNG_SIGNATURE)
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


# What the page shows of an API decimal, worked out here independently of the feed's code.
def _people(text: str, unit: str, scale: Decimal) -> str:
    if unit != "CNY":
        whole, _, fraction = text.partition(".")
        return f"{int(whole):,}" + (f".{fraction}" if fraction else "")
    return f"{(Decimal(text) / scale).quantize(Decimal('0.01'), ROUND_HALF_UP):,}"


def _shown(driver: webdriver.Chrome, selector: str) -> list[dict]:
    """Every number and every withheld value inside the elements matched, as the browser has
    them: <data value> with its visible text, and the 已隐藏 marks."""
    return driver.execute_script("""
        return Array.from(document.querySelectorAll(arguments[0])).map(function (el) {
          return {key: el.getAttribute('data-indicator') || el.getAttribute('data-as-of')
                       || el.getAttribute('data-territory') || el.closest('[id]').id,
                  text: el.textContent.replace(/\\s+/g, ' ').trim(),
                  numbers: Array.from(el.querySelectorAll('data')).map(function (d) {
                    return {field: d.dataset.field, value: d.value, text: d.textContent}; }),
                  withheld: el.querySelectorAll('[data-suppressed]').length};
        });""", selector)


def test_the_default_view_after_the_plan_ended_is_its_final_year_end(browser, feed_url):
    _open(browser, f"{feed_url}/")
    chosen = browser.find_element(By.CSS_SELECTOR, "#as_of option:checked")
    assert chosen.get_attribute("value") == PLAN_END
    assert "2024-12-31" in browser.find_element(By.TAG_NAME, "caption").text
    updated = browser.find_element(By.ID, "updated").text
    # the newest change (2024-12-31T16:30:00.123456Z) in the feed's time zone
    assert "2025-01-01 00:30" in updated and "UTC+08:00" in updated


def test_every_number_in_the_table_is_the_apis(browser, feed_url):
    _open(browser, f"{feed_url}/?territory={CITY}&as_of={PLAN_END}")
    api = {r["indicator_id"]: r for r in httpx.get(
        f"{feed_url}/api/v1/indicators", params={"territory": CITY, "as_of": PLAN_END}).json()["indicators"]}
    rows = {r["key"]: r for r in _shown(browser, "table.indicators tbody tr")}
    assert set(rows) == set(api) == set(META)
    for indicator_id, row in rows.items():
        want = api[indicator_id]
        scale = Decimal(10) ** 8 if want["unit"] == "CNY" else Decimal(1)
        assert not row["withheld"]
        for n in row["numbers"]:
            if n["field"] == "progress":
                assert float(n["value"]) == pytest.approx(want["progress"])
                assert n["text"] == f"{want['progress'] * 100:.0f}%"
            else:
                assert n["value"] == want[n["field"]], (indicator_id, n)
                assert n["text"] == _people(want[n["field"]], want["unit"], scale), (indicator_id, n)
        fields = {n["field"] for n in row["numbers"]}
        assert fields == {"value", "baseline", "target", "progress", "expected"}, indicator_id
        # The rest of the row's text: the period and the target's date as the API has them,
        # the API's notes in English (beside their Chinese), and no other digit at all.
        rest = browser.execute_script("""
            var row = document.getElementById(arguments[0]).cloneNode(true), out = {};
            row.querySelectorAll('[data-field=period], time[data-field]').forEach(function (el) {
              out[el.dataset.field] = el.textContent; el.remove(); });
            out.notes = Array.from(row.querySelectorAll('[data-field=note] [lang=en]')).map(
              function (el) { return el.textContent; });
            row.querySelectorAll('data, progress, .unit, [data-field=note]').forEach(function (el) {
              el.remove(); });   // (units such as "100 million yuan" name no value)
            out.text = row.textContent;
            return out;""", indicator_id)
        assert rest.get("period", "") == want["period"] and rest["target_date"] == want["target_date"]
        assert "; ".join(rest["notes"]) == want["note"]
        assert not any(ch.isdigit() for ch in rest["text"]), (indicator_id, rest["text"])
    credit = rows["finance_credit"]["text"]
    assert "10.54 亿元" in credit and "1,054,340,000" not in credit and "CNY" not in credit
    assert "10.00 亿元" in credit
    labs = rows["gba_joint_labs"]["text"]   # the plan's note, in both of its languages
    assert "方案为1-2个，以上限为目标" in labs and "the plan says 1-2" in labs


def test_every_point_of_every_chart_is_the_histories(browser, feed_url):
    _open(browser, f"{feed_url}/?territory={CITY}&as_of={PLAN_END}")
    assert browser.execute_script("return document.documentElement.dataset.charts") == str(len(META))
    canvases = browser.find_elements(By.CSS_SELECTOR, ".chart canvas")
    assert len(canvases) == len(META) and all(c.size["width"] > 200 for c in canvases)
    for indicator_id in META:
        expected: dict[str, dict] = {}
        for series in ("now", "2022-12-31", "2023-12-31", "2024-12-31"):
            points = httpx.get(f"{feed_url}/api/v1/indicators/{indicator_id}/history",
                               params={"territory": CITY, "series": series}).json()["points"]
            if series != "now":
                points = points[-1:]   # the year end's latest revision, over that day's "now"
            expected.update({p["as_of"]: p for p in points})
        shown = {r["key"]: r for r in _shown(browser, f"#chart-{indicator_id} table.points tr[data-as-of]")}
        assert list(shown) == sorted(expected)
        for day, row in shown.items():
            assert [n["value"] for n in row["numbers"]] == [expected[day]["value"]], (indicator_id, day)


def test_districts_show_their_values_and_withheld_ones_say_so_never_a_number(browser, feed_url):
    _open(browser, f"{feed_url}/?territory={CITY}&as_of={PLAN_END}")
    api = httpx.get(f"{feed_url}/api/v1/indicators", params={"as_of": PLAN_END}).json()["indicators"]
    for indicator_id in META:
        want = {r["territory"]: r for r in api if r["indicator_id"] == indicator_id and r["territory"] != CITY}
        shown = {r["key"]: r for r in _shown(browser, f"#chart-{indicator_id} table.districts tbody tr")}
        assert set(shown) == set(want)
        for territory, row in shown.items():
            if want[territory]["suppressed"]:
                assert row["withheld"] == 1 and row["numbers"] == [] and "已隐藏" in row["text"]
            else:
                assert [n["value"] for n in row["numbers"]] == [want[territory]["value"]]

    _open(browser, f"{feed_url}/?territory={JIANGHAI}&as_of={PLAN_END}")
    row = browser.find_element(By.ID, "talent_teams")
    assert "已隐藏" in row.text and "suppressed" in row.text and "贡献者少于3个" in row.text
    value_cell = row.find_elements(By.TAG_NAME, "td")[0]
    assert value_cell.find_element(By.CSS_SELECTOR, "[data-suppressed]").text == "已隐藏 suppressed"
    assert browser.find_elements(By.CSS_SELECTOR, "#talent_teams data") == []
    assert browser.find_elements(By.CSS_SELECTOR, "table.indicators progress") == []   # no targets


def test_english_text_is_marked_english(browser, feed_url):
    _open(browser, f"{feed_url}/?territory={CITY}")
    assert browser.execute_script("return document.documentElement.lang") == "zh-CN"
    unmarked = browser.execute_script("""
        var out = [], walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        while (walk.nextNode()) {
          var t = walk.currentNode, el = t.parentElement;
          if (el.closest('script, style, option, [aria-hidden=true]')) continue;
          var words = t.textContent.match(/[A-Za-z]{4,}/g) || [];
          words = words.filter(function (w) { return !/^(JSON|DCAT|uPlot)$/.test(w); });
          if (words.length && !el.closest('[lang|=en]')) out.push(t.textContent.trim());
        }
        return out;""")
    assert unmarked == []


@pytest.mark.parametrize("territory, width", [(CITY, 360), (JIANGHAI, 1280)])
def test_axe_finds_no_serious_or_critical_violation(browser, feed_url, territory, width):
    assert AXE.exists(), f"{AXE} is missing: run `make npm-tools`"
    _open(browser, f"{feed_url}/?territory={territory}", width)
    browser.execute_script(AXE.read_text("utf-8"))
    browser.set_script_timeout(60)
    result = browser.execute_async_script("""
        var done = arguments[arguments.length - 1];
        axe.run(document)
           .then(function (r) { done({passes: r.passes.length, violations: r.violations.map(
             function (v) { return {id: v.id, impact: v.impact, nodes: v.nodes.length,
                                    first: v.nodes[0] && v.nodes[0].html}; })}); })
           .catch(function (e) { done(String(e)); });""")
    assert isinstance(result, dict), result
    assert result["passes"] > 20   # axe did run its rules on the page
    assert [v for v in result["violations"] if v["impact"] in ("serious", "critical")] == []


def test_the_keyboard_reaches_the_choices_and_the_data_tables(browser, feed_url):
    _open(browser, f"{feed_url}/?territory={CITY}")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    reached = []
    for _ in range(12):
        active = browser.switch_to.active_element
        reached.append(active.get_attribute("id") or active.tag_name)
        active.send_keys(Keys.TAB)
    assert reached[0] == "a"   # the skip link comes first
    assert "territory" in reached and "as_of" in reached and "button" in reached
    summary = browser.find_element(By.CSS_SELECTOR, "#chart-rd_intensity summary")
    summary.send_keys(Keys.ENTER)
    assert browser.find_element(By.CSS_SELECTOR, "#chart-rd_intensity details").get_attribute("open") is not None


@pytest.mark.parametrize("width", [1280, 360])
def test_nothing_falls_off_the_screen_and_a_screenshot_is_taken(browser, feed_url, tmp_path, width):
    _open(browser, f"{feed_url}/?territory={CITY}", width)
    overflow = browser.execute_script("""
        var w = document.documentElement.clientWidth, out = [];
        document.querySelectorAll('body *').forEach(function (el) {
          var r = el.getBoundingClientRect();   // (headers kept for screen readers sit far left)
          if (r.width && r.right > w + 0.5 && !el.closest('details:not([open])'))
            out.push(el.tagName + ' ' + (el.id || el.className) + ' ' + Math.round(r.right));
        });
        return [document.documentElement.scrollWidth, w, window.innerWidth, out.slice(0, 5)];""")
    scroll_width, client_width, window_width, off_screen = overflow
    assert window_width == width and scroll_width <= client_width and off_screen == [], overflow
    shot_width, shot_height = _screenshot(browser, tmp_path / f"indicators-{width}.png")
    assert shot_width == client_width and shot_height > 900
