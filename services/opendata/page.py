"""The human page of the feed: the plan's indicators as an HTML table, rendered on the server.

Jinja2 is not a dependency of the project, so this is string.Template with every value
passed through html.escape; nothing reaches the page unescaped.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from importlib.resources import files
from string import Template
from typing import Any
from urllib.parse import urlencode

from services.opendata.catalog import LICENSE, PUBLISHER
from services.opendata.loading import Loading
from yinling.territory import CITY, DISTRICTS, name_of

NOW = "now"
SERIES = (NOW, "2022-12-31", "2023-12-31", "2024-12-31")
STATUS_TEXT = {
    "ahead": ("领先", "ahead"),
    "on_track": ("按计划", "on track"),
    "behind": ("落后", "behind"),
    "no_target": ("无目标", "no target"),
}
UNKNOWN_STATUS = ("未知", "unknown")
COLUMNS = (("指标", "Indicator"), ("数值", "Value"), ("单位", "Unit"), ("目标", "Target"),
           ("进度", "Progress"), ("状态", "Status"), ("截至", "As of"))


@dataclass(frozen=True)
class PageView:
    territory: str                      # a GB/T 2260 code, the city by default
    series: str                         # NOW or a date
    rows: Sequence[Mapping[str, Any]] = ()
    error: str | None = None            # shown instead of the table when the query failed
    loading: Loading | None = None      # a data load under way: values still change


def e(value: object) -> str:
    return escape("" if value is None else str(value), quote=True)


@lru_cache(maxsize=1)
def _template() -> Template:
    text = files("services.opendata").joinpath("templates/indicators.html").read_text("utf-8")
    return Template(text)


def territories() -> list[tuple[str, str, str]]:
    return [(CITY, *name_of(CITY))] + [(code, zh, en) for code, (zh, en) in DISTRICTS.items()]


def status_text(status: str) -> tuple[str, str]:
    return STATUS_TEXT.get(status, UNKNOWN_STATUS)


def query(view: PageView) -> str:
    """The same view's query string for the CSV/JSON links; "now" is the feed's default."""
    pairs = {"territory": view.territory}
    if view.series != NOW:
        pairs["as_of"] = view.series
    return urlencode(pairs)


def _option(value: str, label: str, selected: bool) -> str:
    mark = " selected" if selected else ""
    return f'      <option value="{e(value)}"{mark}>{e(label)}</option>'


def territory_options(selected: str) -> str:
    return "\n".join(_option(code, f"{zh} {en}", code == selected)
                     for code, zh, en in territories())


def series_options(selected: str) -> str:
    choices = list(SERIES) if selected in SERIES else [*SERIES, selected]
    return "\n".join(_option(s, "现在 now" if s == NOW else s, s == selected) for s in choices)


def progress_cell(row: Mapping[str, Any]) -> str:
    if not row.get("target") or row.get("status") == "no_target":
        return '<td><span aria-label="no target">—</span></td>'
    ratio = float(row.get("progress") or 0.0)
    percent = f"{ratio * 100:.0f}%"
    # <progress> cannot show more than its max; the text keeps an over-achievement visible.
    return (f'<td><progress max="1" value="{e(f"{min(max(ratio, 0.0), 1.0):.4f}")}" '
            f'aria-label="{e(row.get("name_en"))}: {e(percent)}">{e(percent)}</progress> '
            f'<span class="pct">{e(percent)}</span></td>')


_DECIMAL = re.compile(r"^(-?)(\d+)(\.\d+)?$")


def grouped(text: str) -> str:
    """Thousands separators for people ("1,054,340,000.00"), by text so no digit is lost;
    the CSV and JSON keep the plain exact decimal."""
    match = _DECIMAL.match(text)
    if not match:
        return text
    sign, whole, fraction = match.groups()
    return f"{sign}{int(whole):,}{fraction or ''}"


def indicator_tr(row: Mapping[str, Any]) -> str:
    zh, en = status_text(str(row.get("status", "")))
    value = "已隐藏 suppressed" if row.get("suppressed") else grouped(str(row.get("value") or "—"))
    note = f'<span class="note">{e(row["note"])}</span>' if row.get("note") else ""
    return (
        f'<tr id="{e(row.get("indicator_id"))}">'
        f'<th scope="row">{e(row.get("name_zh"))}<span>{e(row.get("name_en"))}</span></th>'
        f'<td class="num">{e(value)}{note}</td><td>{e(row.get("unit"))}</td>'
        f'<td class="num">{e(grouped(str(row.get("target") or "—")))}</td>{progress_cell(row)}'
        f'<td><span class="status status-{e(row.get("status"))}">{e(zh)} {e(en)}</span></td>'
        f'<td>{e(row.get("as_of"))}</td></tr>')


def table(view: PageView) -> str:
    zh, en = name_of(view.territory)
    head = "".join(f'<th scope="col">{e(z)}<span>{e(n)}</span></th>' for z, n in COLUMNS)
    body = "\n".join(indicator_tr(r) for r in view.rows) or (
        f'<tr><td colspan="{len(COLUMNS)}">暂无数据 No values yet</td></tr>')
    return (f'<table>\n<caption>{e(zh)} {e(en)} · {e(as_of_label(view.series))}</caption>\n'
            f'<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>')


def as_of_label(series: str) -> str:
    return "现在 now" if series == NOW else series


def loading_notice(loading: Loading | None) -> str:
    if loading is None:
        return ""
    count = f"{loading.sent:,} / {loading.total:,}"
    return (f'<p class="loading" role="status">示范数据正在加载，数值仍在变化（已载入 {e(count)} 条命令）。'
            f'<span>Demo data is loading: {e(count)} commands in; values will change '
            f'until it finishes.</span></p>')


def render(view: PageView) -> str:
    zh, en = name_of(view.territory)
    q = query(view)
    content = (f'<p role="alert">{e(view.error)}</p>' if view.error is not None else table(view))
    content = loading_notice(view.loading) + content
    return _template().substitute(
        title=e(f"{zh} {en} · 科技引领指标 Indicators"), place_zh=e(zh), place_en=e(en),
        territory=e(view.territory), as_of_label=e(as_of_label(view.series)),
        territory_options=territory_options(view.territory),
        series_options=series_options(view.series), content=content,
        csv_href=e(f"/api/v1/indicators.csv?{q}"), json_href=e(f"/api/v1/indicators?{q}"),
        publisher=e(PUBLISHER), license=e(LICENSE))
