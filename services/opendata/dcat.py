"""The catalogue as DCAT-AP 3 (an RDF graph built with rdflib), written as JSON-LD or Turtle.

Everything the profile asks to be a resource is an IRI from the vocabulary it names:
licence and access rights from the EU authority tables, media types from IANA, file types
from the EU file-type table; titles, descriptions and keywords are tagged zh and en.
The 政务信息资源目录 properties that DCAT has map here too (gov_catalog.MAPPING).
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD

from services.opendata.catalog import DATASETS, ISSUED, PUBLISHER, PUBLISHER_EN, files

EU = "http://publications.europa.eu/resource/authority/"
LICENCE = URIRef(f"{EU}licence/CC_BY_4_0")
PUBLIC = URIRef(f"{EU}access-right/PUBLIC")
CONTINUOUS = URIRef(f"{EU}frequency/UPDATE_CONT")
THEME = URIRef(f"{EU}data-theme/TECH")
THEMES = URIRef(f"{EU}data-theme")
LANGUAGES = (URIRef(f"{EU}language/ZHO"), URIRef(f"{EU}language/ENG"))
IANA = "http://www.iana.org/assignments/media-types/"
LOCN = Namespace("http://www.w3.org/ns/locn#")
PLAN_START, PLAN_END = "2022-01-01", "2024-12-31"

TURTLE = "text/turtle"
JSONLD = "application/ld+json"
# Compact JSON-LD keys: the prefixes readers of DCAT expect.
CONTEXT: dict[str, Any] = {"dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF),
                           "skos": str(SKOS), "rdfs": str(RDFS), "locn": str(LOCN), "xsd": str(XSD)}


def _both(zh: str, en: str) -> list[Literal]:
    return [Literal(zh, lang="zh"), Literal(en, lang="en")]


def _typed(g: Graph, node: URIRef, kind: URIRef) -> URIRef:
    g.add((node, RDF.type, kind))
    return node


def _publisher(g: Graph, base: str) -> URIRef:
    agent = URIRef(f"{base}/catalog#publisher")
    g.add((agent, RDF.type, FOAF.Organization))
    g.add((agent, RDF.type, FOAF.Agent))
    for name in _both(PUBLISHER, PUBLISHER_EN):
        g.add((agent, FOAF.name, name))
    return agent


def _spatial(g: Graph) -> BNode:
    place = BNode("jiangmen")
    g.add((place, RDF.type, DCTERMS.Location))
    g.add((place, DCTERMS.identifier, Literal("440700")))   # GB/T 2260
    for name in _both("江门市", "Jiangmen"):
        g.add((place, LOCN.geographicName, name))
    return place


def _period(g: Graph) -> BNode:
    period = BNode("plan-period")
    g.add((period, RDF.type, DCTERMS.PeriodOfTime))
    g.add((period, DCAT.startDate, Literal(PLAN_START, datatype=XSD.date)))
    g.add((period, DCAT.endDate, Literal(PLAN_END, datatype=XSD.date)))
    return period


def _vocabulary(g: Graph) -> None:
    """The classes DCAT-AP 3 expects of each controlled term's IRI."""
    _typed(g, LICENCE, DCTERMS.LicenseDocument)
    _typed(g, PUBLIC, DCTERMS.RightsStatement)
    _typed(g, CONTINUOUS, DCTERMS.Frequency)
    for language in LANGUAGES:
        _typed(g, language, DCTERMS.LinguisticSystem)
    _typed(g, THEMES, SKOS.ConceptScheme)
    g.add((THEMES, DCTERMS.title, Literal("Data theme", lang="en")))
    _typed(g, THEME, SKOS.Concept)
    g.add((THEME, SKOS.inScheme, THEMES))
    for label in _both("科学技术", "Science and technology"):
        g.add((THEME, SKOS.prefLabel, label))


def _distribution(g: Graph, node: URIRef, url: str, media_type: str, file_type: str,
                  titles: list[Literal]) -> URIRef:
    _typed(g, node, DCAT.Distribution)
    # The profile's shapes ask the URL to be typed rdfs:Resource (true of every IRI, but
    # stated so that a validator without RDFS inference sees it too).
    link = _typed(g, URIRef(url), RDFS.Resource)
    g.add((node, DCAT.accessURL, link))
    g.add((node, DCAT.downloadURL, link))
    media = _typed(g, URIRef(f"{IANA}{media_type}"), DCTERMS.MediaType)
    g.add((node, DCAT.mediaType, media))
    fmt = _typed(g, URIRef(f"{EU}file-type/{file_type}"), DCTERMS.MediaTypeOrExtent)
    g.add((node, DCTERMS["format"], fmt))
    g.add((node, DCTERMS.license, LICENCE))
    for title in titles:
        g.add((node, DCTERMS.title, title))
    return node


def graph(base: str, indicator_ids: Sequence[str] = ()) -> Graph:
    g = Graph()
    for prefix, namespace in CONTEXT.items():
        g.bind(prefix, namespace)
    _vocabulary(g)
    catalog = _typed(g, URIRef(f"{base}/catalog"), DCAT.Catalog)
    publisher, place, period = _publisher(g, base), _spatial(g), _period(g)
    for text in _both("江门科技引领开放数据", "Yinling open data"):
        g.add((catalog, DCTERMS.title, text))
    for text in _both("江门市“科技引领”工程（2022-2024年）的公开数据：指标进展、科技创新平台及其变化。",
                      "Public data of Jiangmen's S&T Leading Project 2022-2024: indicator "
                      "progress, innovation platforms and their changes."):
        g.add((catalog, DCTERMS.description, text))
    g.add((catalog, DCTERMS.publisher, publisher))
    g.add((catalog, DCTERMS.license, LICENCE))
    g.add((catalog, FOAF.homepage, _typed(g, URIRef(f"{base}/"), FOAF.Document)))
    g.add((catalog, DCAT.themeTaxonomy, THEMES))
    g.add((catalog, DCTERMS.spatial, place))
    for language in LANGUAGES:
        g.add((catalog, DCTERMS.language, language))
    for d in DATASETS:
        ident = str(d["id"])
        dataset = _typed(g, URIRef(f"{base}/catalog#{ident}"), DCAT.Dataset)
        g.add((catalog, DCAT.dataset, dataset))
        g.add((dataset, DCTERMS.identifier, Literal(str(d["code"]))))
        g.add((dataset, DCTERMS.identifier, Literal(ident)))
        for text in _both(str(d["title_zh"]), str(d["title_en"])):
            g.add((dataset, DCTERMS.title, text))
        for text in _both(str(d["description_zh"]), str(d["description_en"])):
            g.add((dataset, DCTERMS.description, text))
        for lang, words in (("zh", d["keywords_zh"]), ("en", d["keywords"])):
            for word in words:
                g.add((dataset, DCAT.keyword, Literal(word, lang=lang)))
        for p, o in ((DCTERMS.publisher, publisher), (DCAT.theme, THEME),
                     (DCTERMS.spatial, place), (DCTERMS.temporal, period),
                     (DCTERMS.accrualPeriodicity, CONTINUOUS), (DCTERMS.accessRights, PUBLIC),
                     (DCTERMS.issued, Literal(ISSUED, datatype=XSD.date))):
            g.add((dataset, p, o))
        for language in LANGUAGES:
            g.add((dataset, DCTERMS.language, language))
        for n, (suffix, url, (media_type, file_type)) in enumerate(files(base, d, indicator_ids)):
            node = URIRef(f"{base}/catalog#{ident}-{n + 1}")
            titles = _both(f"{d['title_zh']}{suffix}（{file_type}）",
                           f"{d['title_en']}{suffix} ({file_type})")
            g.add((dataset, DCAT.distribution,
                   _distribution(g, node, url, media_type, file_type, titles)))
    return g


def serialize(g: Graph, media_type: str) -> bytes:
    if media_type == TURTLE:
        return g.serialize(format="turtle", encoding="utf-8")
    return g.serialize(format="json-ld", context=CONTEXT, auto_compact=True, encoding="utf-8")
