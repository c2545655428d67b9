"""The feed's self-description: what each dataset is (its names, summaries and codes in
Chinese and English) and a small JSON index. The catalogues built from it live in dcat.py
(DCAT-AP 3), gov_catalog.py (政务信息资源目录) and pod.py (data.json)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

PUBLISHER = "江门市科学技术局"
PUBLISHER_EN = "Jiangmen Municipal Science and Technology Bureau"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
# The day this feed first published its datasets (发布日期, dct:issued).
ISSUED = "2026-11-26"

DATASETS = (
    {
        "id": "indicators",
        "title_zh": "江门市“科技引领”工程指标进展",
        "title_en": "Jiangmen S&T Leading Project: indicator progress against targets",
        "path": "/api/v1/indicators",
        "keywords": ["science and technology", "indicators", "targets", "Jiangmen"],
        "keywords_zh": ["科技", "指标", "目标", "江门"],
        "code": "JMKJ-KF-0001",
        "description_zh": "“科技引领”工程各项指标在全市及各区（市）的当前值、基线、目标、"
                          "按期应达值、完成进度和状态，可按日期查询。",
        "description_en": "Every indicator of the S&T Leading Project, city-wide and per "
                          "district: value, baseline, target, expected value on the date, "
                          "progress and status; any date can be asked for.",
    },
    {
        "id": "platforms",
        "title_zh": "江门市已认定科技创新平台",
        "title_en": "Accredited science and technology innovation platforms in Jiangmen",
        "path": "/api/v1/platforms",
        "keywords": ["innovation platforms", "laboratories", "high-tech zones", "Jiangmen"],
        "keywords_zh": ["科技创新平台", "实验室", "高新区", "江门"],
        "code": "JMKJ-KF-0002",
        "description_zh": "当前处于认定状态的科技创新平台：名称、类别、级别、所在区（市）、"
                          "依托单位、产业集群和连续认定起始日期。",
        "description_en": "Innovation platforms accredited today: name, kind, level, district, "
                          "host organisation, industry cluster and the start of the current "
                          "unbroken accreditation.",
    },
    {
        "id": "indicator-changes",
        "title_zh": "江门市“科技引领”工程指标变化记录（按游标增量获取）",
        "title_en": "Every change of an indicator value, pulled incrementally by cursor (?after=)",
        "path": "/api/v1/indicator-changes",
        # The JSON and CSV at `path` are pages for incremental pulls; the files are complete.
        "csv": "/api/v1/indicator-changes/complete.csv",
        "keywords": ["indicators", "changes", "incremental", "Jiangmen"],
        "keywords_zh": ["指标", "变化", "增量", "江门"],
        "code": "JMKJ-KF-0003",
        "description_zh": "指标值的每一次变化（变化前后的值、所属序列、日期），按游标顺序排列，"
                          "可用 ?after= 增量获取。",
        "description_en": "Every change of an indicator value (before and after, series, date) "
                          "in cursor order, pulled incrementally with ?after=.",
    },
    {
        # The path is a URI template (RFC 6570), one history per indicator (?territory=,
        # ?series=); catalogues list one distribution per indicator, never the template.
        "id": "indicator-history",
        "title_zh": "江门市“科技引领”工程单项指标历史",
        "title_en": "History of one indicator's value in a territory and series",
        "path": "/api/v1/indicators/{indicator_id}/history",
        "keywords": ["indicators", "history", "time series", "Jiangmen"],
        "keywords_zh": ["指标", "历史", "时间序列", "江门"],
        "code": "JMKJ-KF-0004",
        "description_zh": "单项指标在某一区域、某一序列中的历次取值，按变化顺序排列。",
        "description_en": "The successive values of one indicator in one territory and series, "
                          "in the order they changed.",
    },
)


def index(base: str) -> dict[str, Any]:
    return {
        "title": "Yinling open data (江门科技引领开放数据)",
        "publisher": PUBLISHER,
        "license": LICENSE,
        "catalog": f"{base}/catalog.json",
        "catalogs": {"dcat_ap_jsonld": f"{base}/catalog.jsonld",
                     "dcat_ap_turtle": f"{base}/catalog.ttl",
                     "project_open_data": f"{base}/data.json",
                     "government_resource_catalogue": f"{base}/resource-catalog.json"},
        "sdmx": {"dataflows": f"{base}/sdmx/v2/structure/dataflow",
                 "data": f"{base}/sdmx/v2/data/dataflow/{{agency}}/{{dataflow}}/{{version}}/{{key}}"},
        "series": f"{base}/api/v1/series",
        "datasets": [
            {"id": d["id"], "title": d["title_en"], "json": f"{base}{d['path']}",
             "csv": f"{base}{csv_path(d)}",
             **({} if "{" in str(d["path"]) else {"xlsx": f"{base}{d['path']}.xlsx"})}
            for d in DATASETS
        ],
        # Keeping up to date: each dataset's changes by cursor, as Atom, as a stream.
        "changes": {name: {"json": f"{base}{path}", "atom": f"{base}{path}.atom",
                           "stream": f"{base}{path}/stream"}
                    for name, path in (("platforms", "/api/v1/platform-changes"),
                                       ("indicators", "/api/v1/indicator-changes"))},
        "webhooks": f"{base}/api/v1/webhooks",
    }


# (media type, EU file-type code) of each representation the feed serves.
JSON_FILE = ("application/json", "JSON")
CSV_FILE = ("text/csv", "CSV")
XLSX_FILE = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "XLSX")


def csv_path(dataset: dict[str, Any], path: str | None = None) -> str:
    """The CSV file of a dataset: the whole of it, where its `path` answers in pages."""
    return str(dataset.get("csv") or f"{path or dataset['path']}.csv")


def files(base: str, dataset: dict[str, Any],
          indicator_ids: Sequence[str]) -> list[tuple[str, str, tuple[str, str]]]:
    """(title suffix, URL, (media type, file type)) of each file of a dataset; a path that
    is a template gives a pair of files per indicator, so no URL is a template. A dataset
    with one path is an XLSX file too."""
    path = str(dataset["path"])
    if "{indicator_id}" not in path:
        return [("", f"{base}{path}", JSON_FILE), ("", f"{base}{csv_path(dataset)}", CSV_FILE),
                ("", f"{base}{path}.xlsx", XLSX_FILE)]
    paths = [(f": {i}", path.replace("{indicator_id}", i)) for i in indicator_ids]
    return [(suffix, f"{base}{p}{ext}", kind) for suffix, p in paths
            for ext, kind in (("", JSON_FILE), (".csv", CSV_FILE))]
