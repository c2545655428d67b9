"""The demo enterprises themselves (codes, names, districts), shared by the enterprise,
talent and finance generators so they all name the same firms."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from demo.model import day_between, rng_for, weighted
from yinling.credit_code import make_credit_code

DISTRICT_WEIGHTS = {"440703": 24, "440704": 16, "440705": 20, "440781": 9, "440783": 11,
                    "440784": 13, "440785": 7}
SYLLABLES = ("鸿", "达", "盛", "华", "信", "恒", "科", "德", "邦", "联", "海", "昌", "宏", "泰", "瑞",
             "嘉", "通", "锦", "丰", "威", "浩", "晟", "源", "新", "力", "安", "捷", "睿", "博")
TRADES = ("新材料", "电子", "机电", "照明", "五金", "智能装备", "生物科技", "食品", "汽配", "光电",
          "新能源", "精密", "化工", "纺织", "软件")
CLUSTERS = ("smart_manufacturing", "new_energy", "new_materials", "biomedicine", "electronics",
            "new_energy_vehicles", "smart_home", "food_processing", "green_low_carbon")
COUNT = 4200


@dataclass(frozen=True)
class Firm:
    n: int
    credit_code: str
    name: str
    district: str
    cluster: str
    registered_on: date


@lru_cache(maxsize=1)
def firms() -> tuple[Firm, ...]:
    rng = rng_for("population")
    names: set[str] = set()
    out = []
    syllables = SYLLABLES
    for n in range(COUNT):
        district = weighted(rng, DISTRICT_WEIGHTS)
        while True:
            name = f"江门市{rng.choice(syllables)}{rng.choice(syllables)}{rng.choice(TRADES)}有限公司"
            if name not in names:
                break
            name = name.replace("有限公司", f"{rng.choice(syllables)}有限公司")
            if name not in names:
                break
        names.add(name)
        # Bodies 1xxxxxxx: apart from the platforms' hosts (9xxxxxxx).
        code = make_credit_code(district, 10000000 + n * 37)
        out.append(Firm(n, code, name, district, rng.choice(CLUSTERS),
                        day_between(rng, date(2000, 1, 1), date(2015, 12, 31))))
    return tuple(out)
