"""The catalogue as a Chinese government information resource catalogue (政务信息资源目录).

One entry per dataset with the items such a catalogue asks for: 名称, 代码, 提供方, 摘要,
格式, 信息项 (field names and data types), 共享属性, 开放属性, 更新周期, 发布日期. The
信息项 come from the same Table Schemas as the data package, so they cannot drift from the
CSV header. MAPPING says which DCAT property carries each item in the DCAT-AP catalogue
(dcat.py); 信息项, 共享属性 and 开放属性 beyond access rights have none.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.opendata.catalog import DATASETS, ISSUED, LICENSE, PUBLISHER, PUBLISHER_EN, files
from services.opendata.datapackage import SCHEMAS

# Data types of the catalogue (字符型 C, 数值型 N, 整型 I, 日期型 D, 日期时间型 T, 逻辑型 L).
DATA_TYPES = {"string": "C", "number": "N", "integer": "I", "date": "D", "datetime": "T", "boolean": "L"}
TYPE_NAMES = {"C": "字符型", "N": "数值型", "I": "整型", "D": "日期型", "T": "日期时间型", "L": "逻辑型"}

MAPPING = {
    "名称": "dct:title", "代码": "dct:identifier", "提供方": "dct:publisher",
    "摘要": "dct:description", "格式": "dcat:distribution/dct:format",
    "信息项": None, "共享属性": "dct:accessRights", "开放属性": "dct:accessRights",
    "更新周期": "dct:accrualPeriodicity", "发布日期": "dct:issued",
}

# 信息项名称 in Chinese, by column.
LABELS_ZH = {
    "accredited_since": "连续认定起始日期", "as_of": "数据日期", "baseline": "基线值",
    "computed_at": "计算时间", "cursor": "变化序号", "district": "所在区（市）",
    "expected": "按期应达值", "host_organisation": "依托单位", "id": "标识",
    "indicator_id": "指标标识", "industry_cluster": "产业集群", "kind": "类别", "level": "级别",
    "name": "名称", "name_en": "英文名称", "name_zh": "中文名称", "note": "说明",
    "period": "统计期", "plan_id": "规划标识", "previous_value": "变化前的值",
    "progress": "完成进度", "series": "序列", "status": "状态",
    "suppressed": "是否按小单元规则隐去", "target": "目标值",
    "target_date": "目标日期", "territory": "行政区划代码", "unit": "计量单位", "value": "数值",
}

SHARING = {"共享类型": "无条件共享", "共享类型_en": "shared without conditions",
           "共享条件": "", "共享方式": "接口（HTTP）、文件下载"}
OPENING = {"是否向社会开放": "是", "开放类型": "无条件开放", "开放类型_en": "open to all",
           "开放条件": "", "许可协议": LICENSE}
UPDATE = {"更新周期": "实时", "更新周期_en": "continuously, as changes are recorded"}


def _items(dataset_id: str) -> list[dict[str, str]]:
    schema = SCHEMAS[dataset_id]
    return [{"信息项名称": LABELS_ZH[f["name"]], "字段名": f["name"],
             "数据类型": DATA_TYPES[f["type"]], "数据类型名称": TYPE_NAMES[DATA_TYPES[f["type"]]],
             "说明_en": f["description"]}
            for f in schema["fields"]]


def _entry(base: str, d: dict[str, Any], indicator_ids: Sequence[str]) -> dict[str, Any]:
    every = files(base, d, indicator_ids)
    return {
        "名称": d["title_zh"], "名称_en": d["title_en"],
        "代码": d["code"], "标识": d["id"],
        "提供方": PUBLISHER, "提供方_en": PUBLISHER_EN,
        "摘要": d["description_zh"], "摘要_en": d["description_en"],
        "格式": sorted({file_type for _, _, (_, file_type) in every}),
        "信息项": _items(str(d["id"])),
        "共享属性": SHARING, "开放属性": OPENING, **UPDATE,
        "发布日期": ISSUED,
        "关键词": d["keywords_zh"], "关键词_en": d["keywords"],
        "获取地址": [url for _, url, _ in every],
        "dcat": f"{base}/catalog#{d['id']}",
    }


def catalogue(base: str, indicator_ids: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "目录名称": "江门科技引领开放数据政务信息资源目录",
        "目录名称_en": "Yinling open data: government information resource catalogue",
        "提供方": PUBLISHER, "提供方_en": PUBLISHER_EN,
        "对应DCAT属性": MAPPING,
        "信息资源": [_entry(base, d, indicator_ids) for d in DATASETS],
    }
