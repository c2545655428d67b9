"""SDMX structures of the indicators: one dataflow per plan, its data structure definition,
codelists and concepts, as an SDMX-JSON 2.0.0 structure message.

Dimensions INDICATOR, REF_AREA (the territory, GB/T 2260) and TIME_PERIOD (the year whose
year-end value is given); measure OBS_VALUE; attributes UNIT, STATUS (progress against the
target), TARGET and CONF_STATUS (F free, C withheld under the small-cell rule: OBS_VALUE is
then missing, never a number). Pure: no I/O.
"""
from __future__ import annotations

from typing import Any

from yinling.plan import Plan
from yinling.territory import name_of

AGENCY = "YINLING"
VERSION = "1.0.0"
STRUCTURE_SCHEMA = "https://json.sdmx.org/2.0.0/sdmx-json-structure-schema.json"
STRUCTURE_MEDIA = "application/vnd.sdmx.structure+json;version=2.0.0"
CONCEPTS = "CS_INDICATORS"
STATUS_CODES = {"ahead": ("领先", "Ahead of the path to the target"),
                "on_track": ("按计划", "On track (within the plan's tolerance of the path)"),
                "behind": ("落后", "Behind the path to the target"),
                "no_target": ("无目标", "No target applies"),
                "unspecified": ("未定", "Not stated")}
CONF_CODES = {"F": ("公开", "Free"),
              "C": ("不公开（小单元）", "Confidential: fewer contributors than the plan's minimum")}
_CONCEPT_NAMES = {
    "INDICATOR": ("指标", "Indicator"), "REF_AREA": ("地区", "Territory (GB/T 2260)"),
    "TIME_PERIOD": ("时期", "Year (value at its year end)"), "OBS_VALUE": ("值", "Value"),
    "UNIT": ("单位", "Unit"), "STATUS": ("进度状态", "Progress status"),
    "TARGET": ("目标", "Target"), "CONF_STATUS": ("保密状态", "Confidentiality status"),
}


def dataflow_id(plan: Plan) -> str:
    return plan.id


def dsd_id(plan: Plan) -> str:
    return f"DSD_{plan.id}"


def indicator_codelist_id(plan: Plan) -> str:
    return f"CL_INDICATOR_{plan.id}"


def urn(kind: str, artefact: str) -> str:
    package = {"Codelist": "codelist", "ConceptScheme": "conceptscheme",
               "DataStructure": "datastructure", "Dataflow": "datastructure"}[kind]
    return f"urn:sdmx:org.sdmx.infomodel.{package}.{kind}={AGENCY}:{artefact}({VERSION})"


def structure_ref(plan: Plan) -> str:
    """The STRUCTURE_ID of SDMX-CSV: AGENCY:ID(VERSION)."""
    return f"{AGENCY}:{dataflow_id(plan)}({VERSION})"


def _named(names: tuple[str, str]) -> dict[str, Any]:
    return {"name": names[1], "names": {"en": names[1], "zh": names[0]}}


def _artefact(artefact_id: str, names: tuple[str, str]) -> dict[str, Any]:
    return {"id": artefact_id, "version": VERSION, "agencyID": AGENCY, "isExternalReference": False,
            **_named(names)}


def _codelist(artefact_id: str, names: tuple[str, str], codes: dict[str, tuple[str, str]]) -> dict[str, Any]:
    return {**_artefact(artefact_id, names), "isPartial": False,
            "codes": [{"id": code, **_named(n)} for code, n in codes.items()]}


def indicator_codes(plan: Plan) -> dict[str, tuple[str, str]]:
    return {i.id: (i.name_zh, i.name_en) for i in plan.indicators}


def territory_codes(plan: Plan) -> dict[str, tuple[str, str]]:
    return {t: name_of(t) for t in plan.territories}


def codelists(plan: Plan) -> list[dict[str, Any]]:
    return [
        _codelist(indicator_codelist_id(plan), (f"{plan.name_zh} 指标", f"Indicators of {plan.name_en}"),
                  indicator_codes(plan)),
        _codelist("CL_TERRITORY", ("江门市及所辖区（市）", "Jiangmen and its county-level divisions"),
                  territory_codes(plan)),
        _codelist("CL_PROGRESS_STATUS", ("进度状态", "Progress status"), STATUS_CODES),
        _codelist("CL_CONF_STATUS", ("保密状态", "Confidentiality status"), CONF_CODES),
    ]


def concept_scheme() -> dict[str, Any]:
    return {**_artefact(CONCEPTS, ("指标概念", "Concepts of the indicators")), "isPartial": False,
            "concepts": [{"id": c, **_named(n)} for c, n in _CONCEPT_NAMES.items()]}


def _concept(concept_id: str) -> str:
    return f"urn:sdmx:org.sdmx.infomodel.conceptscheme.Concept={AGENCY}:{CONCEPTS}({VERSION}).{concept_id}"


def _coded(codelist: str) -> dict[str, Any]:
    return {"enumeration": urn("Codelist", codelist)}


def _attribute(attribute_id: str, representation: dict[str, Any], usage: str) -> dict[str, Any]:
    return {"id": attribute_id, "usage": usage, "attributeRelationship": {"observation": {}},
            "conceptIdentity": _concept(attribute_id), "localRepresentation": representation}


def data_structure(plan: Plan) -> dict[str, Any]:
    dimensions = [
        {"id": "INDICATOR", "position": 0, "conceptIdentity": _concept("INDICATOR"),
         "localRepresentation": _coded(indicator_codelist_id(plan))},
        {"id": "REF_AREA", "position": 1, "conceptIdentity": _concept("REF_AREA"),
         "localRepresentation": _coded("CL_TERRITORY")},
    ]
    time = {"id": "TIME_PERIOD", "position": 2, "conceptIdentity": _concept("TIME_PERIOD"),
            "localRepresentation": {"format": {"dataType": "GregorianYear"}}}
    text = {"format": {"dataType": "String"}}
    attributes = [
        _attribute("UNIT", text, "mandatory"),
        _attribute("STATUS", _coded("CL_PROGRESS_STATUS"), "mandatory"),
        _attribute("TARGET", {"format": {"dataType": "Decimal"}}, "optional"),
        _attribute("CONF_STATUS", _coded("CL_CONF_STATUS"), "mandatory"),
    ]
    measure = {"id": "OBS_VALUE", "conceptIdentity": _concept("OBS_VALUE"), "usage": "optional",
               "localRepresentation": {"format": {"dataType": "Decimal"}}}
    return {**_artefact(dsd_id(plan), (f"{plan.name_zh} 指标结构", f"Indicators of {plan.name_en}")),
            "dataStructureComponents": {
                "dimensionList": {"id": "DimensionDescriptor", "dimensions": dimensions,
                                  "timeDimension": time},
                "attributeList": {"id": "AttributeDescriptor", "attributes": attributes},
                "measureList": {"id": "MeasureDescriptor", "measures": [measure]},
            }}


def dataflow(plan: Plan) -> dict[str, Any]:
    return {**_artefact(dataflow_id(plan), (plan.name_zh, plan.name_en)),
            "structure": urn("DataStructure", dsd_id(plan))}


def message(prepared: str, dataflows: list[dict[str, Any]] | None = None,
            structures: list[dict[str, Any]] | None = None, lists: list[dict[str, Any]] | None = None,
            concepts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """`$schema` first: readers tell the SDMX-JSON flavour from the first bytes."""
    data: dict[str, Any] = {}
    for key, value in (("dataflows", dataflows), ("dataStructures", structures),
                       ("codelists", lists), ("conceptSchemes", concepts)):
        if value:
            data[key] = value
    return {"$schema": STRUCTURE_SCHEMA,
            "meta": {"schema": STRUCTURE_SCHEMA, "id": "YINLING-STRUCTURE", "test": False,
                     "prepared": prepared, "contentLanguages": ["en", "zh"],
                     "sender": {"id": AGENCY}},
            "data": data}


def with_children(plan: Plan, prepared: str) -> dict[str, Any]:
    """A dataflow with everything a reader needs to read its data (references=all)."""
    return message(prepared, [dataflow(plan)], [data_structure(plan)], codelists(plan),
                   [concept_scheme()])


def query(plans: list[Plan], kind: str, resource: str, references: str,
          prepared: str) -> dict[str, Any] | None:
    """The artefacts of `kind` (dataflow, datastructure, codelist, conceptscheme) with id
    `resource` (`*`: every one); unless references is "none", each dataflow with its data
    structure and each data structure with its codelists and concepts. None when nothing is."""
    def wanted(artefact_id: str) -> bool:
        return resource in ("*", artefact_id)

    children = references != "none"
    flows = [p for p in plans if kind == "dataflow" and wanted(dataflow_id(p))]
    described = [p for p in plans if (kind == "datastructure" and wanted(dsd_id(p)))
                 or (children and p in flows)]
    lists: dict[str, dict[str, Any]] = {}
    for p in plans:
        for c in codelists(p):
            if (kind == "codelist" and wanted(c["id"])) or (children and p in described):
                lists.setdefault(c["id"], c)
    concepts = ([concept_scheme()] if (kind == "conceptscheme" and wanted(CONCEPTS))
                or (children and described) else [])
    if not (flows or described or lists or concepts):
        return None
    return message(prepared, [dataflow(p) for p in flows], [data_structure(p) for p in described],
                   list(lists.values()), concepts)
