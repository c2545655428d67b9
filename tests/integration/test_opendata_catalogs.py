"""The feed's catalogues over real HTTP, checked by the validators their readers use: the
official DCAT-AP 3 SHACL shapes (pyshacl), the Project Open Data 1.1 JSON schema
(jsonschema), and the items a 政务信息资源目录 asks for. Sources of both in tests/data/."""
from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyshacl
import pytest
from jsonschema import Draft4Validator, FormatChecker
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import Namespace
from referencing import Registry
from referencing.jsonschema import DRAFT4

from opendata_fakes import INDICATORS, backend_settings, running_feed

# Plain namespaces: pytest probes module attributes, which rdflib's closed DCAT would warn on.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
DATA = Path(__file__).parent.parent / "data"
FEEDS = {"indicators", "platforms", "indicator-changes", "indicator-history"}


@pytest.fixture(scope="module")
def feed() -> Iterator[httpx.Client]:
    with backend_settings() as settings, running_feed(settings) as url, \
            httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return Graph().parse(DATA / "dcat-ap-3" / "dcat-ap-SHACL.ttl")


def _graph(response: httpx.Response, rdf_format: str) -> Graph:
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.content, format=rdf_format)


@pytest.mark.parametrize("path, accept, content_type, rdf_format", [
    ("/catalog", "text/turtle", "text/turtle", "turtle"),
    ("/catalog", "application/ld+json", "application/ld+json", "json-ld"),
    ("/catalog.ttl", None, "text/turtle", "turtle"),
    ("/catalog.jsonld", None, "application/ld+json", "json-ld"),
    ("/catalog.json", None, "application/json", "json-ld"),
])
def test_every_form_of_the_catalogue_conforms_to_the_dcat_ap_3_shapes(feed, shapes, path, accept,
                                                                       content_type, rdf_format):
    response = feed.get(path, headers={"Accept": accept} if accept else {})
    assert response.headers["content-type"].startswith(content_type)
    g = _graph(response, rdf_format)
    conforms, _, report = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    assert conforms, report
    assert len(set(g.subjects(predicate=DCAT.distribution))) == len(FEEDS)


def test_the_shapes_do_find_what_the_old_catalogue_got_wrong(feed, shapes):
    """The check can fail: a plain-string licence and a dataset without a description."""
    g = _graph(feed.get("/catalog.ttl"), "turtle")
    dataset = next(g.subjects(DCTERMS.identifier, Literal("platforms")))
    g.remove((dataset, DCTERMS.description, None))
    distribution = next(g.objects(dataset, DCAT.distribution))
    g.set((distribution, DCTERMS.license, Literal("https://creativecommons.org/licenses/by/4.0/")))
    conforms, _, report = pyshacl.validate(g, shacl_graph=shapes, inference="none")
    assert not conforms
    assert "dct:description" in report or "description" in report
    assert "license" in report


def test_datasets_have_iris_no_templates_and_titles_in_both_languages(feed):
    g = _graph(feed.get("/catalog.ttl"), "turtle")
    datasets = set(g.subjects(predicate=DCTERMS.accrualPeriodicity))
    assert {str(i) for d in datasets for i in g.objects(d, DCTERMS.identifier)} >= FEEDS
    for d in datasets:
        assert "{" not in str(d)
        for p in (DCTERMS.title, DCTERMS.description):
            assert {o.language for o in g.objects(d, p)} == {"zh", "en"}, (d, p)
    for distribution in g.objects(predicate=DCAT.distribution):
        assert {o.language for o in g.objects(distribution, DCTERMS.title)} == {"zh", "en"}
    urls = {str(u) for u in g.objects(predicate=DCAT.downloadURL)}
    assert not [u for u in urls if "{" in u]
    history = {u for u in urls if "/history" in u}
    assert len(history) == 2 * len(INDICATORS)   # JSON and CSV per indicator
    media = set(g.objects(predicate=DCAT.mediaType))
    iana = "http://www.iana.org/assignments/media-types/"
    assert media == {URIRef(f"{iana}application/json"), URIRef(f"{iana}text/csv"), URIRef(
        f"{iana}application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    assert all(isinstance(o, URIRef) for o in g.objects(predicate=DCTERMS.license))
    for url in sorted(urls)[:3]:   # the distributions are real files
        assert feed.get(url).status_code == 200


def test_catalogue_negotiation_prefers_by_weight_and_refuses_what_it_cannot_give(feed):
    turtle = feed.get("/catalog", headers={"Accept": "application/ld+json;q=0.5, text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")
    assert "Accept" in turtle.headers["vary"]
    assert feed.get("/catalog").headers["content-type"].startswith("application/ld+json")
    refused = feed.get("/catalog", headers={"Accept": "application/pdf"})
    assert refused.status_code == 406 and refused.json()["error"]["field"] == "Accept"


@pytest.fixture(scope="module")
def pod_validator() -> Draft4Validator:
    """The POD 1.1 schemas refer to each other by relative names ("dataset.json")."""
    folder = DATA / "pod-1.1"
    schemas = {p.name: json.loads(p.read_text("utf-8")) for p in folder.glob("*.json")}
    registry: Registry = Registry()
    for schema in schemas.values():   # "dataset.json" resolves against catalog.json's id
        registry = registry.with_resource(schema["id"].rstrip("#"), DRAFT4.create_resource(schema))
    catalog = schemas["catalog.json"]
    return Draft4Validator(catalog, registry=registry, format_checker=FormatChecker())


def test_data_json_is_valid_project_open_data_1_1(feed, pod_validator):
    body = feed.get("/data.json").json()
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in pod_validator.iter_errors(body)]
    assert not errors
    assert {d["identifier"].rsplit("#", 1)[1] for d in body["dataset"]} == FEEDS
    assert {d["modified"] for d in body["dataset"]} == {"2024-12-31T16:30:00.123456Z"}


def test_the_pod_schema_refuses_a_dataset_without_its_required_fields(feed, pod_validator):
    body = feed.get("/data.json").json()
    del body["dataset"][0]["contactPoint"]
    body["dataset"][1]["distribution"][0]["mediaType"] = "CSV"
    messages = [e.message for e in pod_validator.iter_errors(body)]
    assert any("contactPoint" in m for m in messages), messages
    assert any("CSV" in m for m in messages), messages


REQUIRED = ("名称", "代码", "提供方", "摘要", "格式", "信息项", "共享属性", "开放属性", "更新周期",
            "发布日期")


def test_the_government_catalogue_has_every_item_and_the_fields_of_the_csv(feed):
    body = feed.get("/resource-catalog.json").json()
    entries = {e["标识"]: e for e in body["信息资源"]}
    assert set(entries) == FEEDS
    for entry in entries.values():
        assert all(entry[k] for k in REQUIRED), entry
        assert entry["名称_en"] and entry["摘要_en"]
        whole = entry["标识"] != "indicator-history"   # one file, so an XLSX file too
        assert entry["格式"] == ["CSV", "JSON", *(["XLSX"] if whole else [])]
    assert len({e["代码"] for e in entries.values()}) == len(FEEDS)
    header = next(csv.reader(io.StringIO(feed.get("/api/v1/platforms.csv").text)))
    items = entries["platforms"]["信息项"]
    assert [i["字段名"] for i in items] == header
    assert {i["字段名"]: i["数据类型"] for i in items}["accredited_since"] == "D"
    assert body["对应DCAT属性"]["更新周期"] == "dct:accrualPeriodicity"
