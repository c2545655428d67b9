"""Nothing personal and no per-enterprise amount leaves a running platform (issue 7).

A real `yinling up --no-demo`; people (names, identity numbers, phones, e-mail addresses,
reasons for End and Correct) and loans (one amount per enterprise, two loans alone in their
districts) loaded through the public gRPC APIs with the steward's token. Once the indicators
have caught up, every public output is read as an anonymous user would: every GET route of
the feed's OpenAPI document in every format it offers, every read of the gRPC services, and
every topic from the beginning. None of them holds a personal field or a loan's amount.

Government-internal by design, and so not scanned for amounts: the finance topic (its events
carry each record's amount for government subscribers, docs/asyncapi.yaml). The audit topic
is government-internal altogether and not read.
"""
from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.json_format import MessageToJson
from google.protobuf.message import Message
from kafka import KafkaConsumer, TopicPartition
from platform_process import PlatformProcess, metric_samples

from services.opendata.sdmx_structure import dataflow_id
from services.talent.identity import check_character
from yinling.auth import bearer
from yinling.credit_code import make_credit_code
from yinling.plan import load_plan
from yinling.territory import CITY
from yinling.topics import ALL_TOPICS, AUDIT, FINANCE_EVENTS, SOURCE_TOPICS
from yinling.v1 import enterprises_pb2 as epb
from yinling.v1 import finance_pb2 as fpb
from yinling.v1 import indicators_pb2 as ipb
from yinling.v1 import platforms_pb2 as ppb
from yinling.v1 import talent_pb2 as tpb
from yinling.v1.common_pb2 import PageRequest
from yinling.v1.enterprises_pb2_grpc import EnterpriseRegistryStub
from yinling.v1.finance_pb2_grpc import FinanceRegistryStub
from yinling.v1.indicators_pb2_grpc import IndicatorServiceStub
from yinling.v1.platforms_pb2_grpc import PlatformRegistryStub
from yinling.v1.talent_pb2_grpc import TalentRegistryStub

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STEWARD = bearer("dev-steward")
SERVICES = ("platforms", "enterprises", "talent", "finance", "ingest")


def identity_number(first17: str) -> str:
    return first17 + check_character(first17)


# name, identity number, phone, e-mail, district, category
PEOPLE = [
    ("黎思琪", identity_number("44070319850312417"), "13760421937", "lisiqi.k7@example.cn",
     "440703", "phd_commissioner"),
    ("欧阳晓岚", identity_number("44078119900506283"), "15820734618", "oyxl.q3@example.cn",
     "440781", "leading_talent"),
    ("司徒振邦", identity_number("44078519780921159"), "18926350471", "stzb.w9@example.cn",
     "440785", "young_talent"),
]
TEAM = ("江门量子光学创新团队", identity_number("44070419820214319"), "13302468135",
        "qoptics.team@example.cn", ["梁嘉欣", "冯子谦"])
END_REASON = "调往前海合作区研究机构KX17"
CORRECT_REASON = "核对聘书原件后更正QZ42"
CORRECTED_PHONE = "13688247105"
# One loan per enterprise; 440781 and 440785 hold one loan each, alone in their district.
LOANS = [("440703", 1, 123456789), ("440703", 2, 234567891), ("440703", 3, 345678912),
         ("440781", 4, 987654321), ("440785", 5, 876543219)]


def cny(fen: int) -> list[str]:
    value = Decimal(fen) / 100
    return [f"{value:.2f}", f"{value:,.2f}", str(fen)]


PERSONAL = [s for name, number, phone, email, *_ in PEOPLE for s in (name, number, phone, email)] + [
    TEAM[0], TEAM[1], TEAM[2], TEAM[3], *TEAM[4], END_REASON, CORRECT_REASON, CORRECTED_PHONE]
AMOUNTS = [s for _, _, fen in LOANS for s in cny(fen)]


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def leaks(blob: bytes, amounts: bool = True) -> list[str]:
    """The needles found in a blob: text as UTF-8, and the amounts as protobuf varints too."""
    found = [s for s in PERSONAL + (AMOUNTS if amounts else []) if s.encode() in blob]
    if amounts:
        found += [f"varint {fen}" for _, _, fen in LOANS if varint(fen) in blob]
    return found


def wait_for(what: str, check: Callable[[], bool], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, grpc.RpcError):
            pass
        time.sleep(0.5)
    raise TimeoutError(what)


# -- loading through the public APIs -------------------------------------------------------
def load(up: PlatformProcess) -> None:
    with grpc.insecure_channel(up.address("talent.grpc")) as channel:
        talent = TalentRegistryStub(channel)
        records = []
        for i, (name, number, phone, email, district, category) in enumerate(PEOPLE):
            records.append(talent.Register(tpb.RegisterTalentRequest(
                category=category, district=district, recognised_on="2023-03-01",
                enterprise_credit_code=make_credit_code(district, 70 + i) if category == "phd_commissioner" else "",
                person=tpb.TalentPerson(name=name, identity_number=number, phone=phone, email=email)),
                metadata=STEWARD, timeout=10))
        team_name, number, phone, email, members = TEAM
        records.append(talent.Register(tpb.RegisterTalentRequest(
            category="innovation_team", district="440704", recognised_on="2022-09-01",
            enterprise_credit_code=make_credit_code("440704", 80),
            person=tpb.TalentPerson(name=team_name, identity_number=number, phone=phone, email=email,
                                    member_names=members)), metadata=STEWARD, timeout=10))
        talent.End(tpb.EndTalentRequest(record_id=records[1].id, ended_on="2024-06-30",
                                        reason=END_REASON), metadata=STEWARD, timeout=10)
        talent.Correct(tpb.CorrectTalentRequest(record_id=records[0].id, field="person.phone",
                                                value=CORRECTED_PHONE, reason=CORRECT_REASON),
                       metadata=STEWARD, timeout=10)
    with grpc.insecure_channel(up.address("finance.grpc")) as channel:
        finance = FinanceRegistryStub(channel)
        for district, body, fen in LOANS:
            finance.Record(fpb.RecordFinanceRequest(
                kind="loan", loan_type="credit", enterprise_credit_code=make_credit_code(district, body),
                district=district, amount_fen=fen, granted_on=f"2023-0{body}-15"),
                metadata=STEWARD, timeout=10)


def caught_up(up: PlatformProcess) -> bool:
    """Every outbox published, the worker's lag 0 on every source topic and its own outbox
    published, and the city's credit total shows every loan."""
    if any(up.outbox_backlog(f"{s}.metrics") != 0 for s in SERVICES):
        return False
    worker = up.metrics("indicators-worker.metrics")
    lags = {labels["topic"]: v for labels, v in metric_samples(worker, "yinling_consumer_lag")}
    if lags != {spec.name: 0.0 for spec in SOURCE_TOPICS}:
        return False
    if up.outbox_backlog("indicators-worker.metrics") != 0:
        return False
    with grpc.insecure_channel(up.address("indicators.grpc")) as channel:
        city = IndicatorServiceStub(channel).Get(
            ipb.GetIndicatorRequest(indicator_id="finance_credit", territory=CITY), timeout=10)
    return city.value != "" and Decimal(city.value) == Decimal(sum(f for *_, f in LOANS)) / 100


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformProcess]:
    up = PlatformProcess(tmp_path_factory.mktemp("privacy") / "platform").start()
    try:
        load(up)
        wait_for("the indicators caught up with every loan", lambda: caught_up(up))
        yield up
    finally:
        up.stop()


# -- the feed --------------------------------------------------------------------------------
PLAN = load_plan(REPO / "plans" / "jiangmen-2022-2024.yaml")
# The indicators of the loans and one of the people (every cell of every indicator is read
# through the listings; these are read one by one as well) and a public one.
INDICATORS = ["finance_credit", "finance_beneficiaries",
              next(i.id for i in PLAN.indicators if i.confidential and i.counts.source == "talent"),
              "provincial_platforms"]
TERRITORIES = ["", CITY, "440703", "440781", "440785"]
PAGE_ACCEPTS = ["application/json", "text/csv", "text/html", "application/atom+xml"]
SDMX_ACCEPTS = ["application/vnd.sdmx.data+json;version=2.0.0", "application/vnd.sdmx.data+csv;version=2.0.0"]
FILLS = {"indicator_id": INDICATORS, "agency": ["YINLING"], "resource": [dataflow_id(PLAN), "*"],
         "version": ["1.0.0"], "key": ["*", "finance_credit.440781"], "subscription_id": ["none"]}
# Values of the query parameters that widen an answer; each list is tried in turn.
QUERY_VALUES = {"territory": TERRITORIES, "series": ["", "2023-12-31"], "as_of": ["", "2023-12-31"],
                "includeHistory": ["true"], "after": ["0"],
                "indicator": ["", "finance_credit"]}
LIMITS = {"/api/v1/indicator-changes": ["5000"], "/api/v1/platform": ["500"]}   # each route's largest page
FORMATS = {"/sdmx/v2/data": ["", "csv", "json"], "/sdmx/v2/structure": ["", "xml"], "/api/v1/series": ["json"]}


def http(up: PlatformProcess, path: str, accept: str) -> tuple[int, bytes]:
    """The answer; a stream of Server-Sent Events is read for 2 s."""
    request = urllib.request.Request(f"http://{up.address('opendata.http')}{path}", headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30 if "/stream" not in path else 2) as reply:
            body = b""
            try:
                while chunk := reply.read1(65536):
                    body += chunk
            except TimeoutError:
                pass
            return reply.status, body
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def requests_of(template: str, operation: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(path with query, Accept) for every way a route of the OpenAPI document shows data."""
    paths = [template]
    for name in re.findall(r"\{(\w+)\}", template):
        paths = [p.replace("{" + name + "}", v) for p in paths for v in FILLS[name]]
    names = [q["name"] for q in operation.get("parameters", ()) if q["in"] == "query"]
    queries = [""]
    formats = next((f for prefix, f in FORMATS.items() if template.startswith(prefix)), [""])
    limits = next((v for prefix, v in LIMITS.items() if template.startswith(prefix)), [""]) \
        if "limit" in names else [""]
    for name, values in [(n, QUERY_VALUES[n]) for n in names if n in QUERY_VALUES] + [
            ("limit", limits), ("format", formats)]:
        queries = [f"{q}&{name}={v}" if v else q for q in queries for v in values]
    if template.startswith("/sdmx/v2/data"):
        accepts = SDMX_ACCEPTS
    elif re.search(r"\.(csv|atom|ttl|json|jsonld)$|/stream$|^/sdmx|^/api/v1/series", template):
        accepts = ["*/*"]
    else:
        accepts = PAGE_ACCEPTS
    for path in paths:
        for query in dict.fromkeys(queries):
            for accept in accepts:
                yield path + ("?" + query[1:] if query else ""), accept


def test_no_feed_route_in_any_format_shows_a_personal_field_or_a_loan_amount(loaded: PlatformProcess):
    status, body = http(loaded, "/openapi.json", "application/json")
    assert status == 200
    routes = {p: item["get"] for p, item in json.loads(body)["paths"].items() if "get" in item}
    found, answered, asked, refused = {}, Counter(), 0, {}
    for template, operation in routes.items():
        for path, accept in requests_of(template, operation):
            status, body = http(loaded, path, accept)
            asked += 1
            answered[template] += status == 200
            if status != 200:
                refused[template] = f"{path} [{accept}]: {status} {body[:200]!r}"
            if hits := leaks(body):
                found[f"{path} [{accept}] {status}"] = hits
    print(f"feed: {len(routes)} routes, {asked} requests, {sum(answered.values())} answered 200")
    print("\n".join(f"never 200: {refused[t]}" for t in routes if not answered[t]))
    assert found == {}
    # Every route but the webhook subscription (no such subscription) showed something.
    assert [t for t in routes if not answered[t]] == ["/api/v1/webhooks/{subscription_id}"], \
        [refused[t] for t in routes if not answered[t]]
    assert "finance_credit" in str(http(loaded, "/api/v1/indicators.csv", "*/*")[1])


# -- the gRPC services, anonymously ----------------------------------------------------------
def anonymous(method: Callable[..., Message], request: Message) -> Message | str:
    """The answer to a call without a token, or the refusal's code and details."""
    try:
        return method(request, timeout=10)
    except grpc.RpcError as error:
        if error.code() is grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
        return f"{error.code().name}: {error.details()} {error.trailing_metadata()}"


def messages(up: PlatformProcess) -> Iterator[tuple[str, Message | str]]:
    page = PageRequest(page_size=500)
    with grpc.insecure_channel(up.address("platforms.grpc")) as channel:
        stub = PlatformRegistryStub(channel)
        listing = stub.List(ppb.ListPlatformsRequest(page=page), timeout=10)
        yield "platforms.List", listing
        yield "platforms.ListChanges", anonymous(stub.ListChanges, ppb.ListPlatformChangesRequest(limit=5000))
        for p in listing.platforms:
            yield "platforms.Get", anonymous(stub.Get, ppb.GetPlatformRequest(platform_id=p.id))
            yield "platforms.History", anonymous(stub.History, ppb.PlatformHistoryRequest(platform_id=p.id))
    with grpc.insecure_channel(up.address("enterprises.grpc")) as channel:
        estub = EnterpriseRegistryStub(channel)
        elisting = estub.List(epb.ListEnterprisesRequest(page=page), timeout=10)
        yield "enterprises.List", elisting
        yield "enterprises.ListRegionalStatistics", anonymous(
            estub.ListRegionalStatistics, epb.ListRegionalStatisticsRequest(include_revisions=True))
        for e in elisting.enterprises:
            yield "enterprises.Get", anonymous(estub.Get, epb.GetEnterpriseRequest(credit_code=e.credit_code))
            yield "enterprises.History", anonymous(
                estub.History, epb.EnterpriseHistoryRequest(credit_code=e.credit_code))
    with grpc.insecure_channel(up.address("talent.grpc")) as channel:
        tstub = TalentRegistryStub(channel)
        yield "talent.List", anonymous(tstub.List, tpb.ListTalentRequest(page=page))
        # The record ids as the steward sees them, each then asked for without a token.
        ids = [r.id for r in tstub.List(tpb.ListTalentRequest(page=page), metadata=STEWARD, timeout=10).records]
        assert len(ids) == len(PEOPLE) + 1
        for record_id in ids:
            yield "talent.Get", anonymous(tstub.Get, tpb.GetTalentRequest(record_id=record_id))
            yield "talent.History", anonymous(tstub.History, tpb.TalentHistoryRequest(record_id=record_id))
    with grpc.insecure_channel(up.address("finance.grpc")) as channel:
        fstub = FinanceRegistryStub(channel)
        flisting = fstub.List(fpb.ListFinanceRequest(page=page), timeout=10)
        assert len(flisting.records) == len(LOANS)
        yield "finance.List", flisting
        for f in flisting.records:
            yield "finance.Get", anonymous(fstub.Get, fpb.GetFinanceRequest(record_id=f.id))
            yield "finance.History", anonymous(fstub.History, fpb.FinanceHistoryRequest(record_id=f.id))
    yield from indicator_messages(up)


def indicator_messages(up: PlatformProcess) -> Iterator[tuple[str, Message | str]]:
    with grpc.insecure_channel(up.address("indicators.grpc")) as channel:
        stub = IndicatorServiceStub(channel)
        listing = stub.List(ipb.ListIndicatorsRequest(), timeout=10)
        yield "indicators.List", listing
        for year_end in ("2022-12-31", "2023-12-31", "2024-12-31"):
            yield f"indicators.List {year_end}", anonymous(stub.List, ipb.ListIndicatorsRequest(as_of=year_end))
        cells = {(v.indicator_id, v.territory) for v in listing.values}
        assert ("finance_credit", "440781") in cells
        for indicator, territory in sorted(cells):
            yield "indicators.Get", anonymous(
                stub.Get, ipb.GetIndicatorRequest(indicator_id=indicator, territory=territory))
            for series in ("", "2023-12-31"):
                yield "indicators.History", anonymous(stub.History, ipb.IndicatorHistoryRequest(
                    indicator_id=indicator, territory=territory, as_of=series))
        cursor = 0
        while True:
            changes = stub.ListChanges(ipb.ListIndicatorChangesRequest(after_cursor=cursor, limit=5000), timeout=10)
            yield "indicators.ListChanges", changes
            if not changes.changes:
                break
            cursor = changes.next_cursor
        yield "indicators.LatestChange", anonymous(stub.LatestChange, ipb.LatestChangeRequest())
        watched = stub.Watch(ipb.WatchIndicatorsRequest(after_cursor=1), timeout=3)
        try:
            for change in watched:
                yield "indicators.Watch", change
        except grpc.RpcError as error:
            assert error.code() is grpc.StatusCode.DEADLINE_EXCEEDED


def test_no_anonymous_grpc_read_shows_a_personal_field_or_a_loan_amount(loaded: PlatformProcess):
    found, count = [], 0
    for method, message in messages(loaded):
        count += 1
        text = message if isinstance(message, str) else MessageToJson(message) + str(message)
        if hits := leaks(text.encode() + (message.SerializeToString() if isinstance(message, Message) else b"")):
            found.append((method, hits))
    print(f"gRPC: {count} anonymous answers read")
    assert found == []
    assert count > 100


# -- the topics ------------------------------------------------------------------------------
def test_no_public_topic_carries_a_personal_field_and_none_but_finance_an_amount(loaded: PlatformProcess):
    consumer = KafkaConsumer(bootstrap_servers=loaded.address("broker"), enable_auto_commit=False,
                             consumer_timeout_ms=5000)
    found, counts, controls = [], {}, set()
    try:
        for spec in ALL_TOPICS:
            if spec is AUDIT:
                continue
            partitions = [TopicPartition(spec.name, p) for p in consumer.partitions_for_topic(spec.name) or ()]
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            ends, seen = consumer.end_offsets(partitions), 0
            deadline = time.monotonic() + 30
            while any(consumer.position(p) < ends[p] for p in partitions) and time.monotonic() < deadline:
                for batch in consumer.poll(timeout_ms=1000).values():
                    for record in batch:
                        seen += 1
                        blob = (record.key or b"") + (record.value or b"") + b"".join(
                            k.encode() + (v or b"") for k, v in record.headers)
                        if hits := leaks(blob, amounts=spec is not FINANCE_EVENTS):
                            found.append((spec.name, record.offset, hits))
                        if spec is FINANCE_EVENTS:   # the scan sees an amount where one is
                            controls.update(leaks(blob))
            assert all(consumer.position(p) >= ends[p] for p in partitions), spec.name
            counts[spec.name] = seen
    finally:
        consumer.close()
    print(f"topics read: {counts}")
    assert found == []
    assert controls == {f"varint {fen}" for *_, fen in LOANS}
    assert counts["yinling.talent.events.v1"] == len(PEOPLE) + 1 + 2
    assert counts["yinling.finance.events.v1"] == len(LOANS)
    assert counts["yinling.indicators.changes.v1"] > 0
