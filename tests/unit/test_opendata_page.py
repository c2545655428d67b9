"""The human page of the open-data feed, rendered without any server."""
from __future__ import annotations

import pytest

from opendata_fakes import PageDom
from services.opendata.negotiation import prefers_html
from services.opendata.page import NOW, PageView, grouped, render, status_text

CITY = "440700"


def _row(**overrides: object) -> dict[str, object]:
    row: dict[str, object] = dict(
        indicator_id="rd_intensity", name_zh="研发经费投入强度", name_en="R&D intensity",
        value="2.9", unit="%", target="3.3", progress=0.878788, status="on_track",
        as_of="2024-12-31", note="")
    row.update(overrides)
    return row


def test_a_value_holding_a_script_tag_is_shown_as_text_not_run():
    hostile = '<script>alert("x")</script>'
    html = render(PageView(CITY, NOW, [_row(name_en=hostile, value=hostile, unit=hostile,
                                             note=hostile, indicator_id='a" onclick="x')]))
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert 'onclick="x"' not in html
    dom = PageDom(html)
    assert dom.scripts == 0
    assert hostile in dom.body_rows()["研发经费投入强度 " + hostile][0]


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


def test_the_series_selector_offers_now_and_the_three_year_ends():
    dom = PageView(CITY, "2023-12-31")
    options = PageDom(render(dom)).options["as_of"]
    assert [v for v, _, _ in options] == ["now", "2022-12-31", "2023-12-31", "2024-12-31"]
    assert PageDom(render(dom)).selected("as_of") == ["2023-12-31"]
    other = PageDom(render(PageView(CITY, "2023-06-30"))).selected("as_of")
    assert other == ["2023-06-30"]


@pytest.mark.parametrize("status, text", [
    ("ahead", "领先 ahead"), ("on_track", "按计划 on track"), ("behind", "落后 behind"),
    ("no_target", "无目标 no target"), ("unspecified", "未知 unknown"),
])
def test_each_status_is_named_in_chinese_and_english(status, text):
    assert " ".join(status_text(status)) == text
    cells = PageDom(render(PageView(CITY, NOW, [_row(status=status)]))).body_rows()
    assert cells["研发经费投入强度 R&D intensity"][4] == text


def test_progress_is_a_progress_bar_with_its_percentage_as_text():
    dom = PageDom(render(PageView(CITY, NOW, [_row()])))
    assert dom.progress == [{"max": "1", "value": "0.8788",
                             "aria-label": "R&D intensity: 88%"}]
    assert dom.body_rows()["研发经费投入强度 R&D intensity"][3] == "88% 88%"


def test_over_achievement_fills_the_bar_and_says_how_far_over():
    dom = PageDom(render(PageView(CITY, NOW, [_row(progress=1.1, status="ahead")])))
    assert dom.progress[0]["value"] == "1.0000"
    assert "110%" in dom.body_rows()["研发经费投入强度 R&D intensity"][3]


def test_an_indicator_without_target_has_no_bar():
    dom = PageDom(render(PageView("440703", NOW, [_row(target="", progress=0.0,
                                                       status="no_target")])))
    assert dom.progress == []
    assert dom.body_rows()["研发经费投入强度 R&D intensity"][2:4] == ["—", "—"]


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
    assert html.count('<th scope="col">') == 7 and html.count('<th scope="row">') == 2


@pytest.mark.parametrize("accept, html", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
    ("*/*", False), ("", False), (None, False), ("application/json", False),
    ("application/json, text/html;q=0.5", False), ("text/html;q=0.9, application/json;q=0.2", True),
    ("text/html;q=0", False),
])
def test_browsers_get_html_and_scripts_keep_json(accept, html):
    assert prefers_html(accept) is html


def test_people_see_thousands_separators_and_every_digit():
    assert grouped("1054340000.00") == "1,054,340,000.00"
    assert grouped("2736") == "2,736" and grouped("3.16") == "3.16" and grouped("-1234.5") == "-1,234.5"
    assert grouped("—") == "—" and grouped("") == ""
