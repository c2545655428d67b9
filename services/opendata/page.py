"""The people's page of the feed: every indicator against its target, with a chart of each
over time, rendered on the server with Jinja2 (autoescaped) from templates/indicators.html.

Chinese first, English beside it in elements marked lang="en"; money in 万元 / 亿元; values
withheld under the small-cell rule shown as 已隐藏 / suppressed with the reason.
"""
from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from services.opendata.catalog import LICENSE, PUBLISHER, PUBLISHER_EN
from services.opendata.dashboard import NOW, PlanFacts, Point
from services.opendata.loading import Loading
from services.opendata.numbers import (
    COUNT,
    decimal_or_none,
    grouped,
    percent,
    scale_for,
    shown,
    tolerance_percent,
    unit_names,
)
from yinling.territory import CITY, DISTRICTS, name_of

__all__ = ["NOW", "PageView", "grouped", "render", "status_text", "note_texts"]

STATUS_TEXT = {
    "ahead": ("领先", "ahead"),
    "on_track": ("按计划", "on track"),
    "behind": ("落后", "behind"),
    "no_target": ("无目标", "no target"),
}
UNKNOWN_STATUS = ("未知", "unknown")

# Notes the indicator service writes in English, and how the page says them in Chinese.
_NOTES_ZH = (
    (re.compile(r"^(\d{4}) not reported yet; latest reported year (\d{4})$"),
     "{0}年数据尚未报送，显示最近报送的{1}年数据"),
    (re.compile(r"^no rd_expenditure and gdp reported up to (\d{4})$"),
     "截至{0}年尚未报送研发经费和GDP数据"),
    (re.compile(r"^no (\S+) and (\S+) reported up to (\d{4})$"),
     "截至{2}年尚未报送 {0} 和 {1} 数据"),
    (re.compile(r"^suppressed: fewer than (\d+) contributors$"),
     "已隐藏：贡献者少于{0}个"),
    (re.compile(r"^suppressed so that a suppressed value cannot be derived from the others$"),
     "已隐藏：以免由其他数值推算出被隐藏的数值"),
)


@dataclass(frozen=True)
class PageView:
    territory: str                      # a GB/T 2260 code, the city by default
    series: str                         # NOW or a date
    rows: Sequence[Mapping[str, Any]] = ()
    error: str | None = None            # shown instead of the table when the query failed
    loading: Loading | None = None      # a data load under way: values still change
    facts: PlanFacts | None = None
    updated: datetime | None = None     # when the newest indicator change was recorded
    histories: Mapping[str, Sequence[Point]] = field(default_factory=dict)
    districts: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


def status_text(status: str) -> tuple[str, str]:
    return STATUS_TEXT.get(status, UNKNOWN_STATUS)


def note_texts(note: str, target_note: tuple[str, str] | None) -> list[tuple[str, str]]:
    """The row's notes as (Chinese, English) pairs: the target's note from the plan in both
    of its languages, the service's own notes translated where the page knows them."""
    out = []
    parts = note.split("; target: ", 1) if "; target: " in note else [note]
    if note.startswith("target: "):
        parts = ["", note.removeprefix("target: ")]
    measured = parts[0]
    if measured:
        zh = next((zh.format(*m.groups()) for pattern, zh in _NOTES_ZH
                   if (m := pattern.match(measured))), "")
        out.append((zh, measured))
    if len(parts) > 1:
        en, zh = target_note or (parts[1], "")
        out.append((f"目标：{zh}" if zh else "", f"target: {en}"))
    return out


def query(view: PageView) -> str:
    """The same view's query string for the CSV/JSON links."""
    pairs = {"territory": view.territory}
    if view.series != NOW:
        pairs["as_of"] = view.series
    return urlencode(pairs)


def territories() -> list[tuple[str, str, str]]:
    return [(CITY, *name_of(CITY))] + [(code, zh, en) for code, (zh, en) in DISTRICTS.items()]


def _row(row: Mapping[str, Any], facts: PlanFacts | None,
         districts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    unit = str(row.get("unit") or "")
    scale = scale_for(unit, row.get("value"), row.get("target"), row.get("baseline"))
    has_target = bool(row.get("target")) and row.get("status") != "no_target"
    progress = float(row.get("progress") or 0.0)
    notes = facts.target_notes.get(str(row.get("indicator_id"))) if facts else None
    return {
        "id": row.get("indicator_id"), "name_zh": row.get("name_zh"), "name_en": row.get("name_en"),
        "value": row.get("value"), "value_shown": shown(str(row.get("value") or ""), scale),
        "suppressed": bool(row.get("suppressed")),
        "unit": unit_names(unit, scale), "money": scale is not COUNT,
        "baseline": row.get("baseline") or "", "baseline_shown": shown(row.get("baseline"), scale),
        "target": row.get("target") or "", "target_shown": shown(row.get("target"), scale),
        "target_date": row.get("target_date") or "",
        "expected": row.get("expected") or "", "expected_shown": shown(row.get("expected"), scale),
        "has_target": has_target and not row.get("suppressed"),
        "progress": progress, "progress_bar": f"{min(max(progress, 0.0), 1.0):.4f}",
        "percent": percent(progress),
        "status": row.get("status"), "status_text": status_text(str(row.get("status", ""))),
        "as_of": row.get("as_of"), "period": row.get("period") or "",
        "notes": note_texts(str(row.get("note") or ""), notes),
        "districts": [_district(d, scale) for d in districts if d.get("territory") != CITY],
        "scale": scale,
    }


def _district(row: Mapping[str, Any], scale: Any) -> dict[str, Any]:
    zh, en = name_of(str(row["territory"]))
    return {"code": row["territory"], "zh": zh, "en": en, "value": row.get("value") or "",
            "shown": shown(str(row.get("value") or ""), scale),
            "suppressed": bool(row.get("suppressed"))}


def _chart(row: dict[str, Any], points: Sequence[Point], facts: PlanFacts | None,
           view_date: str) -> dict[str, Any]:
    """What charts.js draws (numbers already in the row's unit) and the table beside it."""
    scale = row["scale"]

    def number(text: str) -> float | None:
        value = decimal_or_none(text)
        return None if value is None else float(value / scale.divisor)

    return {
        "id": row["id"], "unit": " ".join(u for u in row["unit"] if u) if row["money"] else row["unit"][0],
        "label": f"{row['name_zh']} {row['name_en']}",
        "start": facts.start if facts else "", "baseline": number(row["baseline"]),
        "view_date": view_date,
        "target": number(row["target"]) if row["has_target"] else None,
        "target_date": row["target_date"] if row["has_target"] else "",
        "points": [[p.as_of, None if p.suppressed else number(p.value)] for p in points],
        "table": [{"as_of": p.as_of, "value": p.value, "suppressed": p.suppressed,
                   "shown": shown(p.value, scale)} for p in points],
    }


def _zone(moment: datetime | None) -> str:
    offset = moment.strftime("%z") if moment else ""
    return f"UTC{offset[:3]}:{offset[3:]}" if offset else ""


def _json_for_script(payload: Any) -> Markup:
    """JSON inside <script type="application/json">: no "</" or "<!--" can close it."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


_ENV = Environment(loader=PackageLoader("services.opendata", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def render(view: PageView) -> str:
    zh, en = name_of(view.territory)
    rows = [_row(r, view.facts, view.districts.get(str(r.get("indicator_id")), ()))
            for r in view.rows]
    view_date = "" if view.series == NOW else view.series
    charts = [_chart(r, view.histories.get(str(r["id"]), ()), view.facts, view_date)
              for r in rows]
    series = list(view.facts.series) if view.facts else []
    choices = [NOW, *series] + ([view.series] if view.series not in (NOW, *series) else [])
    q = query(view)
    return _ENV.get_template("indicators.html").render(
        view=view, place_zh=zh, place_en=en, rows=rows, charts=charts,
        chart_json=_json_for_script([{k: v for k, v in c.items() if k != "table"}
                                     for c in charts]),
        territories=territories(), choices=choices, facts=view.facts,
        tolerance=tolerance_percent(view.facts.tolerance) if view.facts else "",
        csv_href=f"/api/v1/indicators.csv?{q}", json_href=f"/api/v1/indicators?{q}",
        updated_zone=_zone(view.updated), publisher=PUBLISHER, publisher_en=PUBLISHER_EN, license=LICENSE, NOW=NOW,
        any_suppressed=any(r["suppressed"] for r in rows))
