"""An indicator service for the page's browser test: the plan's indicators of several kinds
(a ratio, counts, money, a withheld talent value, a target with a note), at each year end and
"now", in the city and every district, each with a history. Values worked out by hand.
"""
from __future__ import annotations

from opendata_fakes import CITY, LATEST
from yinling.territory import DISTRICTS
from yinling.v1 import indicators_pb2 as ipb
from yinling.v1 import indicators_pb2_grpc

PLAN = "jiangmen-2022-2024"
YEAR_ENDS = ("2022-12-31", "2023-12-31", "2024-12-31")
NOW_DATES = ("2026-11-30", "2026-12-01")   # the "now" series: one value a day
ON, AHEAD, BEHIND = (ipb.INDICATOR_STATUS_ON_TRACK, ipb.INDICATOR_STATUS_AHEAD,
                     ipb.INDICATOR_STATUS_BEHIND)

# id -> (name_zh, name_en, unit, kind, baseline, target, note of the target)
META = {
    "rd_intensity": ("全社会研发经费投入占GDP比重", "R&D expenditure as a share of GDP", "%",
                     "ratio", "2.1", "3.3", ""),
    "high_tech_enterprises": ("高新技术企业", "High-tech enterprises (valid certificate)",
                              "enterprises", "stock", "1000", "2600", ""),
    "finance_credit": ("授信总额", "Credit granted to tech enterprises", "CNY", "cumulative",
                       "0", "1000000000", ""),
    "talent_teams": ("高端创新创业人才团队", "High-end innovation and entrepreneurship talent "
                     "teams brought in", "teams", "cumulative", "0", "70", ""),
    "gba_joint_labs": ("粤港澳联合实验室", "Guangdong-Hong Kong-Macao joint laboratories",
                       "laboratories", "stock", "0", "2",
                       "the plan says 1-2; the upper figure is the target"),
}

# City values: id -> {date or "now": (value, expected, status)}; "" value = withheld.
CITY_VALUES = {
    "rd_intensity": {"2022-12-31": ("2.45", "2.5", ON), "2023-12-31": ("2.81", "2.9", ON),
                     "2024-12-31": ("3.16", "3.3", ON), "now": ("3.16", "3.3", ON)},
    "high_tech_enterprises": {"2022-12-31": ("1480", "1533.33", ON),
                              "2023-12-31": ("1950", "2066.67", BEHIND),
                              "2024-12-31": ("2736", "2600", ON), "now": ("2698", "2600", ON)},
    "finance_credit": {"2022-12-31": ("250000000.00", "333333333.33", BEHIND),
                       "2023-12-31": ("612500000.50", "666666666.67", BEHIND),
                       "2024-12-31": ("1054340000.00", "1000000000", AHEAD),
                       "now": ("1054340000.00", "1000000000", AHEAD)},
    "talent_teams": {"2022-12-31": ("21", "23.33", BEHIND), "2023-12-31": ("45", "46.67", ON),
                     "2024-12-31": ("72", "70", ON), "now": ("72", "70", ON)},
    "gba_joint_labs": {"2022-12-31": ("0", "0.67", BEHIND), "2023-12-31": ("1", "1.33", BEHIND),
                       "2024-12-31": ("2", "2", ON), "now": ("2", "2", ON)},
}


def district_value(indicator_id: str, district: str, key: str) -> tuple[str, bool]:
    """A district's value (a share of the city's), or withheld: talent teams in Jianghai
    (440704) come from fewer than 3 people, and Xinhui (440705) is withheld with it."""
    if indicator_id == "talent_teams" and district in ("440704", "440705"):
        return "", True
    value, _, _ = CITY_VALUES[indicator_id][key]
    if indicator_id == "rd_intensity":
        return value, False
    n = list(DISTRICTS).index(district) + 1
    share = int(float(value) * n / 28)
    return (f"{share}.00" if indicator_id == "finance_credit" else str(share)), False


def value_of(indicator_id: str, territory: str, as_of: str) -> ipb.IndicatorValue:
    zh, en, unit, kind, baseline, target, note = META[indicator_id]
    key = as_of if as_of in YEAR_ENDS else "now"
    day = as_of or NOW_DATES[-1]
    out = ipb.IndicatorValue(plan_id=PLAN, indicator_id=indicator_id, territory=territory,
                             as_of=day, unit=unit, kind=kind, name_zh=zh, name_en=en,
                             baseline=baseline, computed_at="2026-12-01T08:00:00Z",
                             status=ipb.INDICATOR_STATUS_NO_TARGET)
    if indicator_id == "rd_intensity":
        out.period = day[:4] if key != "now" else "2024"
        if key == "now":
            out.note = "2026 not reported yet; latest reported year 2024"
    if territory != CITY:
        out.value, out.suppressed = district_value(indicator_id, territory, key)
        if out.suppressed:
            out.note = "suppressed: fewer than 3 contributors"
            out.baseline = ""
        return out
    value, expected, status = CITY_VALUES[indicator_id][key]
    out.value, out.expected, out.status = value, expected, status
    out.target, out.target_date = target, "2024-12-31"
    out.progress = float(value) / float(target)
    if note:
        out.note = "; ".join(n for n in (out.note, f"target: {note}") if n)
    return out


class DashboardIndicators(indicators_pb2_grpc.IndicatorServiceServicer):
    def List(self, request, context):  # noqa: N802
        places = [request.territory] if request.territory else [CITY, *DISTRICTS]
        return ipb.ListIndicatorsResponse(values=[
            value_of(i, t, request.as_of) for t in places for i in META])

    def History(self, request, context):  # noqa: N802
        """A year end's series: a first value and its revision; "now": one value a day."""
        territory = request.territory or CITY
        if request.as_of in YEAR_ENDS:
            final = value_of(request.indicator_id, territory, request.as_of)
            first = ipb.IndicatorValue()
            first.CopyFrom(final)
            first.value = "0" if not final.suppressed else ""
            return ipb.IndicatorHistoryResponse(points=[
                ipb.IndicatorChanged(cursor=c, value=v, series=request.as_of)
                for c, v in ((1, first), (2, final))])
        points = []
        for c, day in enumerate(NOW_DATES, start=3):
            v = value_of(request.indicator_id, territory, "")
            v.as_of = day
            points.append(ipb.IndicatorChanged(cursor=c, value=v, series="now"))
        return ipb.IndicatorHistoryResponse(points=points)

    def LatestChange(self, request, context):  # noqa: N802
        cursor, recorded_at = LATEST
        return ipb.LatestChangeResponse(cursor=cursor, recorded_at=recorded_at)
