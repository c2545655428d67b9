"""The catalogue as data.json, Project Open Data metadata schema 1.1 (the form CKAN's and
data.gov's harvesters read).

bureauCode and programCode are US federal codes the schema requires; a publisher outside
the US federal government has none, so the schema's all-zero forms stand for "none".
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from services.opendata.catalog import DATASETS, ISSUED, LICENSE, PUBLISHER, PUBLISHER_EN, files

SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
NO_BUREAU, NO_PROGRAM = "000:00", "000:000"
PLAN_PERIOD = "2022-01-01/2024-12-31"


def _distribution(title: str, url: str, media_type: str, file_type: str) -> dict[str, Any]:
    return {"@type": "dcat:Distribution", "title": title, "downloadURL": url,
            "mediaType": media_type, "format": file_type}


def data_json(base: str, contact: str, modified: str,
              indicator_ids: Sequence[str] = ()) -> dict[str, Any]:
    """`modified`: when the data last changed (ISO 8601), from the indicators' change log."""
    publisher = {"@type": "org:Organization", "name": f"{PUBLISHER_EN} ({PUBLISHER})"}
    return {
        "@context": f"{SCHEMA}/catalog.jsonld",
        "@id": f"{base}/data.json",
        "@type": "dcat:Catalog",
        "conformsTo": SCHEMA,
        "describedBy": f"{SCHEMA}/catalog.json",
        "dataset": [
            {
                "@type": "dcat:Dataset",
                "identifier": f"{base}/catalog#{d['id']}",
                "title": f"{d['title_en']} ({d['title_zh']})",
                "description": f"{d['description_en']}\n\n{d['description_zh']}",
                "keyword": [*d["keywords"], *d["keywords_zh"]],
                "issued": ISSUED,
                "modified": modified,
                "publisher": publisher,
                "contactPoint": {"@type": "vcard:Contact", "fn": PUBLISHER_EN,
                                 "hasEmail": contact},
                "accessLevel": "public",
                "bureauCode": [NO_BUREAU],
                "programCode": [NO_PROGRAM],
                "license": LICENSE,
                "spatial": "Jiangmen, Guangdong, China (GB/T 2260 440700)",
                "temporal": PLAN_PERIOD,
                "accrualPeriodicity": "R/PT1S",   # changes are published as they happen
                "language": ["zh", "en"],
                "theme": ["science and technology"],
                "describedBy": f"{base}/datapackage.json",
                "describedByType": "application/json",
                "distribution": [
                    _distribution(f"{d['title_en']}{suffix} ({file_type})", url, media_type,
                                  file_type)
                    for suffix, url, (media_type, file_type) in files(base, d, indicator_ids)],
            }
            for d in DATASETS
        ],
    }
