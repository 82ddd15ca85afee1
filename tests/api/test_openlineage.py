"""POST /api/v1/lineage: OpenLineage run events, sent by the real openlineage-python client
over real HTTP to the app served by uvicorn, become derivations and placeholders."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
import requests
import uvicorn
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    PRODUCER,
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
)
from openlineage.client.facet_v2 import column_lineage_dataset as cl
from openlineage.client.facet_v2 import schema_dataset
from openlineage.client.transport.http import (
    ApiKeyTokenProvider,
    HttpCompression,
    HttpConfig,
    HttpTransport,
)
from openlineage.client.uuid import generate_new_uuid
from starlette.applications import Starlette

from api.openlineage_route import DEPARTMENT_HEADER, LINEAGE_PATH, openlineage_route
from api.services import Services
from catalog.lineage import LineageDirection
from catalog.model import Dataset, DatasetField, FieldType, Grade, Kind, OpenType, SharingType
from catalog.openlineage import dataset_code
from catalog.principal import SYSTEM_PRINCIPAL
from catalog.relations import Rel, ref
from tests.api.conftest import Api
from tests.factories import GAJ, OTHER, SCJG

WHEN = "2024-05-01T10:00:00+08:00"
PG = "postgres://db.scjg.xm:5432"
NO_RETRY = {"total": 0, "read": 0, "connect": 0, "status_forcelist": [], "backoff_factor": 0}


class RecordingTransport(HttpTransport):
    """The client's HTTP transport, remembering the last response so tests can read it."""

    last: requests.Response | None = None

    def emit(self, event: Any) -> requests.Response:
        self.last = super().emit(event)
        return self.last


@pytest.fixture
def server(services: Services) -> Iterator[str]:
    """The lineage endpoint served by uvicorn on a free local port, in a thread."""
    app = Starlette(routes=[openlineage_route(services)])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_level="warning", ws="none", http="h11")
    web = uvicorn.Server(config)
    thread = threading.Thread(target=web.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not web.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert web.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    web.should_exit = True
    thread.join(10)
    sock.close()


class Emitter:
    """Sends events as one role with the openlineage-python client; returns the response."""

    def __init__(self, url: str, token: str, headers: dict[str, str], gzip_body: bool) -> None:
        config = HttpConfig(
            url=url,
            endpoint=LINEAGE_PATH.lstrip("/"),
            auth=ApiKeyTokenProvider({"apiKey": token}),
            custom_headers=headers,
            retry=NO_RETRY,
            timeout=30,
            compression=HttpCompression.GZIP if gzip_body else None,
        )
        self.transport = RecordingTransport(config)
        self.client = OpenLineageClient(transport=self.transport)

    def send(self, event: RunEvent) -> requests.Response:
        try:
            self.client.emit(event)
        except requests.HTTPError as exc:
            if exc.response is None:
                raise
            return exc.response
        assert self.transport.last is not None
        return self.transport.last


@pytest.fixture
def emitters(server: str, tokens: dict[str, str]) -> Iterator[Any]:
    made: list[Emitter] = []

    def make(role: str, *, headers: dict[str, str] | None = None, gzip: bool = False) -> Emitter:
        emitter = Emitter(server, tokens[role], headers or {}, gzip)
        made.append(emitter)
        return emitter

    yield make
    for emitter in made:
        emitter.client.close()


def column(source: str, field: str, namespace: str = "irs") -> cl.InputField:
    return cl.InputField(namespace=namespace, name=source, field=field)


def event(
    state: RunState,
    inputs: list[InputDataset],
    outputs: list[OutputDataset],
    *,
    when: str = WHEN,
    run_id: str | None = None,
) -> RunEvent:
    return RunEvent(
        eventType=state,
        eventTime=when,
        run=Run(runId=run_id or str(generate_new_uuid())),
        job=Job(namespace="airflow", name="credit_etl"),
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )


def credit_output(**columns: list[cl.InputField]) -> OutputDataset:
    facet = cl.ColumnLineageDatasetFacet(
        fields={name: cl.Fields(inputFields=sources) for name, sources in columns.items()}
    )
    return OutputDataset(namespace="irs", name="DS-SCJG-2", facets={"columnLineage": facet})


def register_credit(services: Services, *, sharing: SharingType = SharingType.CONDITIONAL) -> None:
    services.ledger.register(
        principal=SYSTEM_PRINCIPAL,
        entity=Dataset(
            code="DS-SCJG-2",
            name="企业信用画像",
            department=SCJG,
            summary="由市场主体登记信息加工",
            sharing_type=sharing,
            sharing_condition="按需共享" if sharing is SharingType.CONDITIONAL else "",
            fields=(DatasetField(name="统一社会信用代码"), DatasetField(name="企业名称")),
        ),
    )


def dataset(services: Services, code: str) -> tuple[Dataset, int]:
    stored = services.ledger.get(kind=Kind.DATASET, code=code)
    assert stored is not None and isinstance(stored.entity, Dataset), code
    return stored.entity, stored.version


def upstream_edges(services: Services, code: str) -> dict[str, dict[str, Any]]:
    graph = services.lineage.graph(
        root=ref(Kind.DATASET, code), direction=LineageDirection.UPSTREAM, depth=1
    )
    return {
        e.target.code: dict(e.props)
        for e in graph.edges
        if e.type == Rel.DERIVED_FROM and e.source.code == code
    }


def test_complete_event_adds_derivation_with_column_lineage(
    services: Services, emitters: Any
) -> None:
    register_credit(services)
    ol = emitters("scjg")
    response = ol.send(
        event(
            RunState.COMPLETE,
            [InputDataset(namespace="irs", name="DS-SCJG-1")],
            [
                credit_output(
                    统一社会信用代码=[column("DS-SCJG-1", "统一社会信用代码")],
                    企业名称=[column("DS-SCJG-1", "企业名称")],
                )
            ],
        )
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["applied"] and body["changed"] and body["created"] == []
    assert body["derivations"] == [
        {
            "dataset": "DS-SCJG-2",
            "source": "DS-SCJG-1",
            "job": "airflow/credit_etl",
            "since": "2024-05-01T10:00:00+08:00",
            "added": True,
            "fields": [
                {"sourceField": "企业名称", "targetField": "企业名称"},
                {"sourceField": "统一社会信用代码", "targetField": "统一社会信用代码"},
            ],
        }
    ]  # the client sends the facet's keys sorted; mappings keep the order they came in
    edge = upstream_edges(services, "DS-SCJG-2")["DS-SCJG-1"]
    assert edge["job"] == "airflow/credit_etl"
    assert datetime.fromisoformat(edge["since"]) == datetime.fromisoformat(WHEN)
    assert edge["fields"] == [
        {"source": "企业名称", "target": "企业名称"},
        {"source": "统一社会信用代码", "target": "统一社会信用代码"},
    ]
    assert dataset(services, "DS-SCJG-2")[1] == 2


def test_unknown_datasets_become_unshared_placeholders(services: Services, emitters: Any) -> None:
    register_credit(services)
    orders = InputDataset(
        namespace=PG,
        name="market.public.licences",
        facets={
            "schema": schema_dataset.SchemaDatasetFacet(
                fields=[
                    schema_dataset.SchemaDatasetFacetFields(name="uscc", type="VARCHAR(18)"),
                    schema_dataset.SchemaDatasetFacetFields(name="issued", type="timestamp"),
                ]
            )
        },
    )
    report = OutputDataset(
        namespace="hive://warehouse",
        name="dw.credit_report",
        facets={
            "columnLineage": cl.ColumnLineageDatasetFacet(
                fields={
                    "credit_code": cl.Fields(inputFields=[column("DS-SCJG-2", "统一社会信用代码")])
                }
            )
        },
    )
    response = emitters("scjg", gzip=True).send(
        event(
            RunState.COMPLETE,
            [orders, InputDataset(namespace="irs", name="DS-SCJG-1")],
            [
                credit_output(统一社会信用代码=[column("market.public.licences", "uscc", PG)]),
                report,
            ],
        )
    )
    assert response.status_code == 201, response.text
    body = response.json()
    licences = dataset_code(PG, "market.public.licences")
    report_code = dataset_code("hive://warehouse", "dw.credit_report")
    assert licences.startswith("OL-") and len(licences) == 19
    assert {c["code"] for c in body["created"]} == {licences, report_code}
    assert {(d["dataset"], d["source"]) for d in body["derivations"]} == {
        ("DS-SCJG-2", licences),
        ("DS-SCJG-2", "DS-SCJG-1"),
        (report_code, licences),
        (report_code, "DS-SCJG-1"),
        (report_code, "DS-SCJG-2"),
    }

    placeholder, _ = dataset(services, licences)
    assert placeholder.unregistered and placeholder.department == SCJG
    assert placeholder.name == "market.public.licences"
    assert placeholder.summary == (
        f"由 OpenLineage 事件自动创建的占位资源（{PG}/market.public.licences），待所属部门认领"
    )
    assert placeholder.sharing_type is SharingType.NOT_SHARED
    assert placeholder.open_type is OpenType.NOT_OPEN
    assert placeholder.sharing_condition == "占位资源，未登记，暂不共享"
    assert [(f.name, f.data_type) for f in placeholder.fields] == [
        ("uscc", FieldType.STRING),
        ("issued", FieldType.DATETIME),
    ]
    made, _ = dataset(services, report_code)
    assert made.unregistered and [f.name for f in made.fields] == ["credit_code"]
    assert made.grade is Grade.GENERAL
    assert upstream_edges(services, "DS-SCJG-2")[licences]["fields"] == [
        {"source": "uscc", "target": "统一社会信用代码"}
    ]


def test_the_same_event_twice_changes_nothing(services: Services, emitters: Any) -> None:
    register_credit(services)
    ol = emitters("scjg")
    run_id = str(generate_new_uuid())
    inputs = [
        InputDataset(namespace="irs", name="DS-SCJG-1"),
        InputDataset(namespace=PG, name="market.public.licences"),
    ]
    outputs = [credit_output(企业名称=[column("DS-SCJG-1", "企业名称")])]
    first = ol.send(event(RunState.COMPLETE, inputs, outputs, run_id=run_id))
    assert first.status_code == 201, first.text
    before = {
        code: dataset(services, code) for code in ("DS-SCJG-2", first.json()["created"][0]["code"])
    }

    again = ol.send(event(RunState.COMPLETE, inputs, outputs, run_id=run_id))
    assert again.status_code == 200, again.text
    assert again.json()["changed"] is False
    assert again.json()["created"] == again.json()["derivations"] == []
    assert {code: dataset(services, code) for code in before} == before

    later = ol.send(event(RunState.COMPLETE, inputs, outputs, when="2024-06-01T00:00:00Z"))
    assert later.status_code == 200 and later.json()["changed"] is False

    earlier = ol.send(event(RunState.COMPLETE, inputs, outputs, when="2023-01-01T00:00:00Z"))
    assert earlier.status_code == 201, earlier.text
    moved = earlier.json()["derivations"]
    assert {d["source"] for d in moved} == {"DS-SCJG-1", dataset_code(PG, "market.public.licences")}
    assert all(d["added"] is False and d["since"] == "2023-01-01T00:00:00+00:00" for d in moved)


@pytest.mark.parametrize("state", [RunState.START, RunState.RUNNING, RunState.FAIL])
def test_events_other_than_complete_change_nothing(
    services: Services, emitters: Any, state: RunState
) -> None:
    register_credit(services)
    response = emitters("scjg").send(
        event(
            state,
            [InputDataset(namespace=PG, name="market.public.licences")],
            [credit_output(企业名称=[column("DS-SCJG-1", "企业名称")])],
        )
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["applied"] is False and body["eventType"] == state.value
    assert dataset(services, "DS-SCJG-2")[1] == 1
    assert (
        services.ledger.get(kind=Kind.DATASET, code=dataset_code(PG, "market.public.licences"))
        is None
    )


def test_a_derivation_from_not_shared_data_cannot_be_unconditional(
    services: Services, emitters: Any
) -> None:
    response = emitters("scjg").send(
        event(
            RunState.COMPLETE,
            [InputDataset(namespace="irs", name="DS-GAJ-2")],
            [OutputDataset(namespace="irs", name="DS-SCJG-1")],
        )
    )
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "VALIDATION_FAILED"
    [issue] = body["issues"]
    assert issue["path"] == "outputs[0].derivedFrom[0].source"
    assert issue["code"] == "DERIVED_FROM_NOT_SHARED"
    assert "DS-SCJG-1 ← DS-GAJ-2" in issue["message"]
    assert dataset(services, "DS-SCJG-1")[1] == 1


def test_placeholders_refuse_an_unconditional_output(services: Services, emitters: Any) -> None:
    """Placeholders are NOT_SHARED until claimed, so an UNCONDITIONAL output of one is refused
    and nothing (not even the placeholder) is written."""
    response = emitters("scjg").send(
        event(
            RunState.COMPLETE,
            [InputDataset(namespace=PG, name="market.public.licences")],
            [OutputDataset(namespace="irs", name="DS-SCJG-1")],
        )
    )
    assert response.status_code == 422, response.text
    assert response.json()["issues"][0]["code"] == "DERIVED_FROM_NOT_SHARED"
    assert (
        services.ledger.get(kind=Kind.DATASET, code=dataset_code(PG, "market.public.licences"))
        is None
    )


def test_who_may_post(services: Services, emitters: Any, server: str) -> None:
    register_credit(services)
    complete = event(
        RunState.COMPLETE,
        [InputDataset(namespace="irs", name="DS-SCJG-1")],
        [OutputDataset(namespace="irs", name="DS-GAJ-1")],
    )
    for role in ("integrator", "auditor"):
        refused = emitters(role).send(complete)
        assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    foreign = emitters("scjg").send(complete)
    assert foreign.status_code == 403 and "DS-GAJ-1" in foreign.json()["message"]
    spoofed = emitters("scjg", headers={DEPARTMENT_HEADER: GAJ}).send(complete)
    assert spoofed.status_code == 403
    assert emitters("gaj").send(complete).status_code == 201
    assert dataset(services, "DS-GAJ-1")[0].derived_from[0].source == "DS-SCJG-1"

    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eA=="}):
        anonymous = httpx.post(server + LINEAGE_PATH, json={}, headers=headers)
        assert anonymous.status_code == 401
        assert anonymous.json()["code"] == "UNAUTHENTICATED"
        assert anonymous.headers["www-authenticate"] == "Bearer"


def test_an_admin_names_the_owner_of_placeholders(services: Services, emitters: Any) -> None:
    unknown = event(
        RunState.COMPLETE,
        [InputDataset(namespace=PG, name="health.public.visits")],
        [OutputDataset(namespace="irs", name="DS-GAJ-1")],
    )
    missing = emitters("admin").send(unknown)
    assert missing.status_code == 400, missing.text
    assert missing.json()["code"] == "DEPARTMENT_REQUIRED"
    assert missing.json()["issues"][0]["path"] == DEPARTMENT_HEADER
    wrong = emitters("admin", headers={DEPARTMENT_HEADER: "91350200MA0000000X"}).send(unknown)
    assert wrong.status_code == 400 and wrong.json()["code"] == "DEPARTMENT_REQUIRED"

    made = emitters("admin", headers={DEPARTMENT_HEADER: OTHER}).send(unknown)
    assert made.status_code == 201, made.text
    placeholder, _ = dataset(services, dataset_code(PG, "health.public.visits"))
    assert placeholder.department == OTHER and placeholder.unregistered
    assert [f.name for f in placeholder.fields] == ["未知"]

    known = event(
        RunState.COMPLETE,
        [InputDataset(namespace="irs", name="DS-SCJG-1")],
        [OutputDataset(namespace="irs", name="DS-GAJ-1")],
    )
    assert emitters("admin").send(known).status_code == 201


def raw(server: str, token: str, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        server + LINEAGE_PATH,
        content=content,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )


GOOD: dict[str, Any] = {
    "eventType": "COMPLETE",
    "eventTime": WHEN,
    "producer": "https://example.org/etl",
    "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent",
    "run": {"runId": "0190cb2e-8e34-7b3a-9d1e-6f1c2a3b4c5d"},
    "job": {"namespace": "airflow", "name": "credit_etl"},
    "inputs": [{"namespace": "irs", "name": "DS-SCJG-1"}],
    "outputs": [{"namespace": "irs", "name": "DS-SCJG-2"}],
}


def paths(response: httpx.Response) -> set[str]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["message"] and body["messageEn"]
    return {i["path"] for i in body["issues"]}


def test_bad_payloads_are_refused_with_their_paths(
    services: Services, server: str, tokens: dict[str, str]
) -> None:
    register_credit(services)
    token = tokens["scjg"]

    def post(body: object) -> httpx.Response:
        return raw(server, token, json.dumps(body, ensure_ascii=False).encode())

    assert paths(raw(server, token, b"{not json")) == {"$"}
    assert paths(raw(server, token, b"[" * 5000 + b"]" * 5000)) == {"$"}
    assert paths(post([GOOD])) == {"$"}
    broken = {
        **GOOD,
        "eventType": "DONE",
        "eventTime": "yesterday",
        "run": {"runId": "run-1"},
        "job": {"namespace": "airflow"},
        "inputs": [{"namespace": "irs", "name": "不是代码"}, {"name": "t"}, 7],
        "outputs": [
            {
                "namespace": "irs",
                "name": "DS-SCJG-2",
                "facets": {
                    "schema": {"fields": [{"type": "INT"}]},
                    "columnLineage": {
                        "fields": {
                            "企业名称": {"inputFields": [{"namespace": "irs", "name": "DS-SCJG-1"}]}
                        }
                    },
                },
            }
        ],
    }
    del broken["producer"]
    assert paths(post(broken)) == {
        "eventType",
        "eventTime",
        "producer",
        "run.runId",
        "job.name",
        "inputs[0].name",
        "inputs[1].namespace",
        "inputs[2]",
        "outputs[0].facets.schema.fields[0].name",
        'outputs[0].facets.columnLineage.fields["企业名称"].inputFields[0].field',
    }
    assert paths(post({**GOOD, "outputs": {"namespace": "irs"}})) == {"outputs"}
    assert paths(post({**GOOD, "inputs": [GOOD["inputs"][0]] * 201})) == {"inputs"}

    too_big = raw(server, token, b" " * (1 << 20) + json.dumps(GOOD).encode())
    assert too_big.status_code == 413 and too_big.json()["code"] == "PAYLOAD_TOO_LARGE"
    bomb = gzip.compress(b" " * (4 << 20) + json.dumps(GOOD).encode())
    inflated = raw(server, token, bomb, **{"Content-Encoding": "gzip"})
    assert inflated.status_code == 413
    not_json = raw(server, token, b"a=b", **{"Content-Type": "application/x-www-form-urlencoded"})
    assert not_json.status_code == 415
    assert raw(server, token, b"\x1f\x8b junk", **{"Content-Encoding": "gzip"}).status_code == 400

    job_event = {
        **GOOD,
        "schemaURL": "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent",
    }
    assert post(job_event).status_code == 202
    assert dataset(services, "DS-SCJG-2")[1] == 1
    assert post(GOOD).status_code == 201


LINEAGE = """query($id: ID!) { lineage(id: $id, direction: UPSTREAM, depth: 1) {
  ... on LineageGraph { nodes { depth node { ... on Dataset { code unregistered } } }
    edges { type job since fields { source target } } } } }"""


async def test_lineage_from_events_shows_in_graphql(
    services: Services, emitters: Any, api: Api
) -> None:
    register_credit(services)
    response = emitters("scjg").send(
        event(
            RunState.COMPLETE,
            [InputDataset(namespace=PG, name="market.public.licences")],
            [credit_output(统一社会信用代码=[column("market.public.licences", "uscc", PG)])],
        )
    )
    assert response.status_code == 201, response.text
    gid = base64.urlsafe_b64encode(b"Dataset:DS-SCJG-2").decode()
    graph = (await api.gql(LINEAGE, {"id": gid}, as_="auditor"))["data"]["lineage"]
    assert {(n["depth"], n["node"]["code"], n["node"]["unregistered"]) for n in graph["nodes"]} == {
        (0, "DS-SCJG-2", False),
        (-1, dataset_code(PG, "market.public.licences"), True),
    }
    [edge] = [e for e in graph["edges"] if e["type"] == "DERIVED_FROM"]
    assert edge["job"] == "airflow/credit_etl"
    assert edge["fields"] == [{"source": "uscc", "target": "统一社会信用代码"}]


def test_concurrent_events_into_one_output_keep_every_derivation(
    services: Services, emitters: Any
) -> None:
    register_credit(services)
    tables = [f"market.public.part_{i}" for i in range(6)]
    senders = [emitters("scjg") for _ in tables]
    results: list[int] = []

    def post(sender: Emitter, table: str) -> None:
        response = sender.send(
            event(
                RunState.COMPLETE,
                [InputDataset(namespace=PG, name=table)],
                [OutputDataset(namespace="irs", name="DS-SCJG-2")],
            )
        )
        results.append(response.status_code)

    threads = [
        threading.Thread(target=post, args=pair) for pair in zip(senders, tables, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == [201] * len(tables)
    derived, version = dataset(services, "DS-SCJG-2")
    assert {d.source for d in derived.derived_from} == {dataset_code(PG, t) for t in tables}
    assert version == 1 + len(tables)
