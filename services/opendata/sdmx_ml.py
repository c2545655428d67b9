"""SDMX-ML 3.0 structure messages, written from the SDMX-JSON 2.0 structure message
(sdmx_structure.message) so that both forms say the same. Pure: no I/O."""
from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET  # noqa: N817 (the usual name)

STRUCTURE_MEDIA = "application/vnd.sdmx.structure+xml;version=3.0.0"
_NS = {"mes": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/message",
       "str": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/structure",
       "com": "http://www.sdmx.org/resources/sdmxml/schemas/v3_0/common"}
for _prefix, _uri in _NS.items():
    ET.register_namespace(_prefix, _uri)
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{_NS[prefix]}}}{local}"


def _sub(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name), attributes)
    if text is not None:
        element.text = text
    return element


def _names(parent: ET.Element, item: dict[str, Any]) -> None:
    for lang, text in item.get("names", {"en": item["name"]}).items():
        _sub(parent, "com:Name", text, **{_LANG: lang})


def _maintainable(parent: ET.Element, name: str, item: dict[str, Any], urn: str) -> ET.Element:
    element = _sub(parent, name, urn=urn, isExternalReference="false", agencyID=item["agencyID"],
                   id=item["id"], version=item["version"])
    _names(element, item)
    return element


def _urn(kind: str, item: dict[str, Any]) -> str:
    package = {"Codelist": "codelist", "ConceptScheme": "conceptscheme"}.get(kind, "datastructure")
    return f"urn:sdmx:org.sdmx.infomodel.{package}.{kind}={item['agencyID']}:{item['id']}({item['version']})"


def _representation(parent: ET.Element, representation: dict[str, Any]) -> None:
    local = _sub(parent, "str:LocalRepresentation")
    if "enumeration" in representation:
        _sub(local, "str:Enumeration", representation["enumeration"])
    else:
        _sub(local, "str:TextFormat", textType=representation["format"]["dataType"])


def _component(parent: ET.Element, name: str, component: dict[str, Any], **attributes: str) -> ET.Element:
    element = _sub(parent, name, id=component["id"], **attributes)
    _sub(element, "str:ConceptIdentity", component["conceptIdentity"])
    _representation(element, component["localRepresentation"])
    return element


def _data_structure(parent: ET.Element, dsd: dict[str, Any]) -> None:
    element = _maintainable(parent, "str:DataStructure", dsd, _urn("DataStructure", dsd))
    components = _sub(element, "str:DataStructureComponents")
    parts = dsd["dataStructureComponents"]
    dimensions = _sub(components, "str:DimensionList", id="DimensionDescriptor")
    for d in parts["dimensionList"]["dimensions"]:
        _component(dimensions, "str:Dimension", d, position=str(d["position"] + 1))
    time = parts["dimensionList"]["timeDimension"]
    _component(dimensions, "str:TimeDimension", time)
    attributes = _sub(components, "str:AttributeList", id="AttributeDescriptor")
    for a in parts["attributeList"]["attributes"]:
        attribute = _component(attributes, "str:Attribute", a, usage=a["usage"])
        _sub(_sub(attribute, "str:AttributeRelationship"), "str:Observation")
    measures = _sub(components, "str:MeasureList", id="MeasureDescriptor")
    for m in parts["measureList"]["measures"]:
        _component(measures, "str:Measure", m, usage=m["usage"])


def structure_message(message: dict[str, Any]) -> bytes:
    """The same artefacts as an SDMX-JSON 2.0 structure message, as SDMX-ML 3.0."""
    root = ET.Element(_q("mes:Structure"))
    header = _sub(root, "mes:Header")
    meta = message["meta"]
    _sub(header, "mes:ID", meta["id"])
    _sub(header, "mes:Test", "false")
    _sub(header, "mes:Prepared", meta["prepared"])
    _sub(header, "mes:Sender", id=meta["sender"]["id"])
    structures = _sub(root, "mes:Structures")
    data = message["data"]
    # In the order of the SDMX-ML 3.0 schema: codelists, concept schemes, dataflows, structures.
    if data.get("codelists"):
        lists = _sub(structures, "str:Codelists")
        for cl in data["codelists"]:
            codelist = _maintainable(lists, "str:Codelist", cl, _urn("Codelist", cl))
            for code in cl["codes"]:
                _names(_sub(codelist, "str:Code", id=code["id"]), code)
    if data.get("conceptSchemes"):
        schemes = _sub(structures, "str:ConceptSchemes")
        for cs in data["conceptSchemes"]:
            scheme = _maintainable(schemes, "str:ConceptScheme", cs, _urn("ConceptScheme", cs))
            for concept in cs["concepts"]:
                _names(_sub(scheme, "str:Concept", id=concept["id"]), concept)
    if data.get("dataflows"):
        flows = _sub(structures, "str:Dataflows")
        for df in data["dataflows"]:
            _sub(_maintainable(flows, "str:Dataflow", df, _urn("Dataflow", df)), "str:Structure", df["structure"])
    if data.get("dataStructures"):
        dsds = _sub(structures, "str:DataStructures")
        for dsd in data["dataStructures"]:
            _data_structure(dsds, dsd)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
