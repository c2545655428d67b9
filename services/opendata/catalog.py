"""The feed's self-description: a small index and a DCAT-AP catalog (JSON-LD)."""
from __future__ import annotations

from typing import Any

PUBLISHER = "江门市科学技术局"
PUBLISHER_EN = "Jiangmen Municipal Science and Technology Bureau"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"

DATASETS = (
    {
        "id": "indicators",
        "title_zh": "江门市“科技引领”工程指标进展",
        "title_en": "Jiangmen S&T Leading Project: indicator progress against targets",
        "path": "/api/v1/indicators",
        "keywords": ["science and technology", "indicators", "targets", "Jiangmen"],
    },
    {
        "id": "platforms",
        "title_zh": "江门市已认定科技创新平台",
        "title_en": "Accredited science and technology innovation platforms in Jiangmen",
        "path": "/api/v1/platforms",
        "keywords": ["innovation platforms", "laboratories", "high-tech zones", "Jiangmen"],
    },
    {
        "id": "indicator-changes",
        "title_zh": "江门市“科技引领”工程指标变化记录（按游标增量获取）",
        "title_en": "Every change of an indicator value, pulled incrementally by cursor (?after=)",
        "path": "/api/v1/indicator-changes",
        "keywords": ["indicators", "changes", "incremental", "Jiangmen"],
    },
    {
        # A URI template (RFC 6570): one history per indicator; ?territory= and ?series=.
        "id": "indicator-history",
        "title_zh": "江门市“科技引领”工程单项指标历史",
        "title_en": "History of one indicator's value in a territory and series",
        "path": "/api/v1/indicators/{indicator_id}/history",
        "keywords": ["indicators", "history", "time series", "Jiangmen"],
    },
)


def index(base: str) -> dict[str, Any]:
    return {
        "title": "Yinling open data (江门科技引领开放数据)",
        "publisher": PUBLISHER,
        "license": LICENSE,
        "catalog": f"{base}/catalog.json",
        "datasets": [
            {"id": d["id"], "title": d["title_en"], "json": f"{base}{d['path']}",
             "csv": f"{base}{d['path']}.csv"}
            for d in DATASETS
        ],
    }


def _distribution(url: str, media_type: str, fmt: str) -> dict[str, Any]:
    return {"@type": "dcat:Distribution", "dcat:accessURL": url, "dcat:downloadURL": url,
            "dcat:mediaType": media_type, "dct:format": fmt, "dct:license": LICENSE}


def dcat_catalog(base: str) -> dict[str, Any]:
    publisher = {"@type": "foaf:Organization", "foaf:name": [
        {"@value": PUBLISHER, "@language": "zh"}, {"@value": PUBLISHER_EN, "@language": "en"}]}
    return {
        "@context": {
            "dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
            "foaf": "http://xmlns.com/foaf/0.1/",
        },
        "@id": f"{base}/catalog.json",
        "@type": "dcat:Catalog",
        "dct:title": "Yinling open data",
        "dct:description": "Public feeds of Jiangmen's S&T Leading Project 2022-2024.",
        "dct:publisher": publisher,
        "dct:license": LICENSE,
        "dcat:dataset": [
            {
                "@id": f"{base}{d['path']}", "@type": "dcat:Dataset",
                "dct:identifier": d["id"],
                "dct:title": [{"@value": d["title_zh"], "@language": "zh"},
                              {"@value": d["title_en"], "@language": "en"}],
                "dct:publisher": publisher,
                "dct:license": LICENSE,
                "dct:spatial": {"@type": "dct:Location", "dct:identifier": "GB/T 2260 440700",
                                "foaf:name": "江门市 Jiangmen"},
                "dcat:keyword": d["keywords"],
                "dcat:distribution": [
                    _distribution(f"{base}{d['path']}", "application/json", "JSON"),
                    _distribution(f"{base}{d['path']}.csv", "text/csv", "CSV"),
                ],
            }
            for d in DATASETS
        ],
    }
