"""Demo regional statistics: GDP and R&D expenditure per district, 2021-2024, in 10,000 CNY,
R&D near 3 % of GDP and rising; one figure revised after its first report."""
from __future__ import annotations

from decimal import Decimal

from demo.model import Chain, Command, RequestIds, rng_for
from yinling.v1 import enterprises_pb2 as pb

# 2021 GDP per district, 10,000 CNY (the city's about 360 billion CNY), and R&D intensity.
GDP_2021 = {"440703": 9_850_000, "440704": 4_120_000, "440705": 8_010_000, "440781": 4_420_000,
            "440783": 3_560_000, "440784": 4_260_000, "440785": 1_960_000}
RD_2021 = {"440703": "3.2", "440704": "4.1", "440705": "2.9", "440781": "1.6", "440783": "2.2",
           "440784": "2.8", "440785": "1.5"}
YEARS = (2021, 2022, 2023, 2024)
REVISED = ("440705", 2023, "rd_expenditure")


def generate(scale: str = "full") -> list[Chain]:
    rng, ids = rng_for("statistics"), RequestIds("statistics")
    chains = []
    for district, gdp0 in GDP_2021.items():
        chain = Chain(f"statistics-{district}")
        gdp, intensity = Decimal(gdp0), Decimal(RD_2021[district])
        for year in YEARS:
            if year > YEARS[0]:
                gdp = (gdp * (Decimal(1) + Decimal(rng.randint(30, 65)) / 1000)).quantize(Decimal(1))
                intensity += Decimal(rng.randint(5, 18)) / 100
            rd = (gdp * intensity / 100).quantize(Decimal(1))
            chain.commands.append(_report(ids, district, year, "gdp", gdp, 0))
            chain.commands.append(_report(ids, district, year, "rd_expenditure", rd, 0))
            if (district, year, "rd_expenditure") == REVISED:
                chain.commands.append(_report(ids, district, year, "rd_expenditure",
                                              rd + 12_345, 1))
        chains.append(chain)
    return chains


def _report(ids: RequestIds, district: str, year: int, measure: str, value: Decimal,
            revision: int) -> Command:
    reported = f"{year + 1}-06-30" if not revision else f"{year + 1}-11-15"
    source = f"江门统计年鉴{year + 1}" + ("（修订）" if revision else "")
    return Command("enterprises", "ReportRegionalStatistic", pb.ReportRegionalStatisticRequest(
        statistic=pb.RegionalStatistic(territory=district, year=year, measure=measure,
                                       value=str(value), unit="CNY_10K", source=source,
                                       reported_on=reported),
        reason="第四次全国经济普查后修订" if revision else "", request_id=ids()))
