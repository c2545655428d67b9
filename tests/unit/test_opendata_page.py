"""The human page of the open-data feed, rendered without any server."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from opendata_fakes import PageDom
from services.opendata.dashboard import PlanFacts, Point, load_facts
from services.opendata.negotiation import prefers_html
from services.opendata.numbers import scale_for, shown
from services.opendata.page import NOW, PageView, grouped, note_texts, render, status_text

CITY = "440700"
FACTS = load_facts(Path(__file__).resolve().parents[2] / "plans/jiangmen-2022-2024.yaml")
NAME = "研发经费投入强度 R&D intensity 趋势图 Chart"


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        indicator_id="rd_intensity", name_zh="研发经费投入强度", name_en="R&D intensity",
        value="2.9", unit="%", target="3.3", progress=0.878788, status="on_track",
        as_of="2024-12-31", note="", target_date="2024-12-31")
    row.update(overrides)
    return row


def test_a_value_holding_a_script_tag_is_shown_as_text_not_run():
    hostile = '<script>alert("x")</script>'
    html = render(PageView(CITY, NOW, [_row(name_en=hostile, value=hostile, unit=hostile,
                                             note=hostile, indicator_id='a" onclick="x')]))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert 'onclick="x"' not in html
    dom = PageDom(html)
    assert dom.scripts == 3   # the chart data (JSON), uPlot and charts.js: nothing of the data
    assert hostile in dom.body_rows()["研发经费投入强度 " + hostile + " 趋势图 Chart"][0]


def test_the_chart_data_cannot_close_its_script_element():
    hostile = "</script><script>alert(1)</script>"
    html = render(PageView(CITY, NOW, [_row(name_en=hostile)], facts=FACTS))
    assert "</script><script>alert" not in html and "\\u003c/script\\u003e" in html


def test_an_error_message_is_escaped_too():
    html = render(PageView(CITY, NOW, error="territory: unknown territory '<img src=x>'"))
    assert "<img" not in html and "&lt;img src=x&gt;" in html


def test_the_territory_selector_offers_the_city_and_seven_districts_with_one_chosen():
    dom = PageDom(render(PageView("440705", NOW, [_row()])))
    options = dom.options["territory"]
    assert len(options) == 8
    assert [value for value, _, _ in options][0] == CITY
    assert dom.selected("territory") == ["440705"]
    assert ("440705", True, "新会区 Xinhui") in options
    assert dom.lang == "zh-CN"


def test_the_series_selector_offers_now_and_the_plans_three_year_ends():
    dom = PageView(CITY, "2023-12-31", facts=FACTS)
    options = PageDom(render(dom)).options["as_of"]
    assert [v for v, _, _ in options] == ["now", "2022-12-31", "2023-12-31", "2024-12-31"]
    assert PageDom(render(dom)).selected("as_of") == ["2023-12-31"]
    other = PageDom(render(PageView(CITY, "2023-06-30", facts=FACTS))).selected("as_of")
    assert other == ["2023-06-30"]


@pytest.mark.parametrize("status, text", [
    ("ahead", "领先 ahead"), ("on_track", "按计划 on track"), ("behind", "落后 behind"),
    ("no_target", "无目标 no target"), ("unspecified", "未知 unknown"),
])
def test_each_status_is_named_in_chinese_and_english(status, text):
    assert " ".join(status_text(status)) == text
    cells = PageDom(render(PageView(CITY, NOW, [_row(status=status)]))).body_rows()
    assert cells[NAME][4] == text


def test_progress_is_a_progress_bar_with_its_percentage_as_text():
    dom = PageDom(render(PageView(CITY, NOW, [_row()])))
    assert dom.progress == [{"max": "1", "value": "0.8788",
                             "aria-label": "研发经费投入强度 进度 progress 88%"}]
    assert dom.body_rows()[NAME][3].startswith("88% 88%")


def test_over_achievement_fills_the_bar_and_says_how_far_over():
    dom = PageDom(render(PageView(CITY, NOW, [_row(progress=1.1, status="ahead")])))
    assert dom.progress[0]["value"] == "1.0000"
    assert "110%" in dom.body_rows()[NAME][3]


def test_an_indicator_without_target_has_no_bar():
    dom = PageDom(render(PageView("440703", NOW, [_row(target="", progress=0.0,
                                                       status="no_target")])))
    assert dom.progress == []
    assert dom.body_rows()[NAME][2:4] == ["—", "— 无目标 no target"]


def test_download_links_carry_the_same_view():
    links = PageDom(render(PageView("440781", "2022-12-31", [_row()]))).links
    assert "/api/v1/indicators.csv?territory=440781&as_of=2022-12-31" in links
    assert "/api/v1/indicators?territory=440781&as_of=2022-12-31" in links
    assert "/catalog.json" in links and "/datapackage.json" in links
    now = PageDom(render(PageView(CITY, NOW, [_row()]))).links
    assert "/api/v1/indicators.csv?territory=440700" in now


def test_the_table_has_column_headers_and_one_row_per_indicator():
    html = render(PageView(CITY, NOW, [_row(), _row(indicator_id="x", name_zh="高新技术企业",
                                                     name_en="High-tech enterprises")]))
    assert html.count('<tr id=') == 2
    assert html.count('<table class="indicators">') == 1 and html.count('<th scope="col">') >= 6


@pytest.mark.parametrize("accept, html", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("*/*", False), ("", False), (None, False), ("application/json", False),
    ("application/json, text/html;q=0.5", False), ("text/html;q=0.9, application/json;q=0.2", True),
    ("text/html;q=0", False),
])
def test_browsers_get_html_and_scripts_keep_json(accept, html):
    assert prefers_html(accept) is html


def test_money_is_shown_in_yi_or_wan_yuan_for_the_whole_row():
    row = _row(indicator_id="finance_credit", unit="CNY", value="1054340000.00",
               target="1000000000", baseline="0", expected="1000000000", progress=1.05434)
    cells = PageDom(render(PageView(CITY, NOW, [row], facts=FACTS))).body_rows()[NAME]
    assert cells[0].startswith("10.54 亿元") and cells[1] == "0.00 亿元"
    assert cells[2].startswith("10.00 亿元")
    assert shown("612500000.50", scale_for("CNY", "612500000.50")) == "6.13"
    assert scale_for("CNY", "52000").zh == "万元" and shown("52000", scale_for("CNY", "52000")) == "5.20"
    assert scale_for("CNY", "800").zh == "元" and scale_for("teams", "1e9").zh == ""


def test_a_withheld_value_says_so_and_shows_no_number():
    row = _row(value="", suppressed=True, progress=0.0, status="unspecified",
               note="suppressed: fewer than 3 contributors")
    html = render(PageView(CITY, NOW, [row], facts=FACTS))
    cells = PageDom(html).body_rows()[NAME]
    assert cells[0].startswith("已隐藏 suppressed") and "贡献者少于3个" in cells[0]
    assert not any(c.isdigit() for c in cells[0].split("贡献者")[0]) and PageDom(html).progress == []
    assert "少于 3 个人或企业" in html


def test_the_service_notes_and_the_plans_target_notes_come_in_both_languages():
    assert note_texts("2024 not reported yet; latest reported year 2023", None) == [
        ("2024年数据尚未报送，显示最近报送的2023年数据",
         "2024 not reported yet; latest reported year 2023")]
    assert note_texts("no rd_expenditure and gdp reported up to 2024", None)[0][0] == (
        "截至2024年尚未报送研发经费和GDP数据")
    labs = FACTS.target_notes["gba_joint_labs"]
    assert note_texts(f"target: {labs[0]}", labs) == [
        ("目标：方案为1-2个，以上限为目标", "target: the plan says 1-2; the upper figure is the target")]
    assert note_texts("something new", None) == [("", "something new")]


def test_the_status_rule_is_stated_with_the_plans_tolerance():
    html = render(PageView(CITY, NOW, [_row()], facts=FACTS))
    assert FACTS.tolerance == Decimal("0.05")
    assert "±5% 以内为“按计划”" in html and 'within ±5% of it is "on track"' in html


def test_the_default_view_is_now_while_the_plan_runs_and_its_last_year_end_after():
    assert FACTS.default_view(date(2024, 12, 31)) == NOW
    assert FACTS.default_view(date(2025, 1, 1)) == "2024-12-31"
    assert PlanFacts("", "", "2022-01-01", "2024-12-31", (), Decimal(0), 3).default_view(
        date(2030, 1, 1)) == NOW


def test_each_chart_has_its_points_baseline_and_target_in_a_table():
    points = [Point("2022-12-31", "2.45", False), Point("2023-12-31", "", True)]
    dom = PageDom(render(PageView(CITY, "2024-12-31", [_row(baseline="2.1")], facts=FACTS,
                                  histories={"rd_intensity": points})))
    rows = dom.body_rows(table=1)
    html = render(PageView(CITY, "2023-12-31", [_row()], facts=FACTS))
    assert '"view_date":"2023-12-31"' in html and "所选日期 2023-12-31" in html
    assert '"view_date":""' in render(PageView(CITY, NOW, [_row()], facts=FACTS))
    assert rows["2022-01-01 基线 baseline"] == ["2.1 %"] and rows["2022-12-31"] == ["2.45 %"]
    assert rows["2023-12-31"] == ["已隐藏 suppressed"] and rows["2024-12-31 目标 target"] == ["3.3 %"]


def test_people_see_thousands_separators_and_every_digit():
    assert grouped("1054340000.00") == "1,054,340,000.00"
    assert grouped("2736") == "2,736" and grouped("3.16") == "3.16" and grouped("-1234.5") == "-1,234.5"
    assert grouped("—") == "—" and grouped("") == ""
