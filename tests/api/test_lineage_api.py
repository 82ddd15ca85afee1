"""Lineage over GraphQL: register a derivation, then lineage, path, impact and typed errors."""

from __future__ import annotations

import base64

from tests.api.conftest import Api
from tests.factories import SCJG


def gid(label: str, code: str) -> str:
    return base64.urlsafe_b64encode(f"{label}:{code}".encode()).decode()


REGISTER = """mutation($d: String!) { registerDataset(input: {code: "DS-DER-1", name: "企业信用画像",
  department: $d, summary: "由市场主体登记信息派生", sharingCondition: "按需", fields: [{name: "企业名称"}],
  derivedFrom: [{source: "DS-SCJG-1", job: "credit-etl", since: "2024-01-01T00:00:00+08:00",
                 fields: [{sourceField: "企业名称", targetField: "企业名称"}]}]}) {
  __typename ... on Dataset { code derivedFrom { source { code } job since fieldMappings { sourceField targetField } } }
  ... on ValidationProblem { issues { path code message } } } }"""
LINEAGE = """query($id: ID!, $dir: LineageDirection!, $depth: Int!, $asOf: DateTime) {
  lineage(id: $id, direction: $dir, depth: $depth, asOf: $asOf) {
    __typename
    ... on LineageGraph { truncated limit root { id } nodes { depth node { __typename ... on Resource { code name } } }
      edges { type job since fields { source target } } }
    ... on Problem { code message messageEn }
  } }"""


async def test_lineage_through_graphql(api: Api) -> None:
    body = await api.gql(REGISTER, {"d": SCJG}, as_="scjg")
    assert body["data"]["registerDataset"]["derivedFrom"][0]["source"] == {"code": "DS-SCJG-1"}
    up = await api.gql(
        LINEAGE, {"id": gid("Dataset", "DS-DER-1"), "dir": "UPSTREAM", "depth": 3}, as_="auditor"
    )
    graph = up["data"]["lineage"]
    assert {(n["depth"], n["node"]["code"]) for n in graph["nodes"]} == {
        (0, "DS-DER-1"),
        (-1, "DS-SCJG-1"),
        (-2, "SYS-SCJG-1"),
    }
    derivation = next(e for e in graph["edges"] if e["type"] == "DERIVED_FROM")
    assert derivation["job"] == "credit-etl" and derivation["fields"] == [
        {"source": "企业名称", "target": "企业名称"}
    ]
    before = await api.gql(
        LINEAGE,
        {
            "id": gid("Dataset", "DS-DER-1"),
            "dir": "UPSTREAM",
            "depth": 3,
            "asOf": "2023-06-01T00:00:00+08:00",
        },
        as_="auditor",
    )
    assert [n["node"]["code"] for n in before["data"]["lineage"]["nodes"]] == ["DS-DER-1"]

    down = await api.gql(
        LINEAGE, {"id": gid("System", "SYS-SCJG-1"), "dir": "DOWNSTREAM", "depth": 5}, as_="auditor"
    )
    codes = {n["node"]["code"] for n in down["data"]["lineage"]["nodes"]}
    assert {"DS-SCJG-1", "DS-DER-1", SCJG + "001", "MAT-SCJG-1"} <= codes

    path = await api.gql(
        "query($a: ID!, $b: ID!) { lineagePath(from: $a, to: $b) { ... on LineagePath { found edges { type } } } }",
        {"a": gid("Dataset", "DS-DER-1"), "b": gid("CertificateType", SCJG + "001")},
    )
    assert path["data"]["lineagePath"] == {
        "found": True,
        "edges": [{"type": "DERIVED_FROM"}, {"type": "ISSUED_FROM"}],
    }

    impact = await api.gql(
        "query($id: ID!) { impact(id: $id) { ... on Impact { datasets { code } certificateTypes { name } matters { code } } } }",
        {"id": gid("Dataset", "DS-SCJG-1")},
    )
    assert impact["data"]["impact"] == {
        "datasets": [{"code": "DS-DER-1"}],
        "certificateTypes": [{"name": "营业执照"}],
        "matters": [{"code": "MAT-SCJG-1"}],
    }


async def test_lineage_errors_are_typed(api: Api) -> None:
    for variables, code in [
        ({"id": gid("Dataset", "DS-SCJG-1"), "dir": "BOTH", "depth": -1}, "VALIDATION_FAILED"),
        ({"id": gid("Dataset", "DS-SCJG-1"), "dir": "BOTH", "depth": 99}, "VALIDATION_FAILED"),
        ({"id": gid("Dataset", "DS-NOPE"), "dir": "BOTH", "depth": 2}, "NOT_FOUND"),
        ({"id": "not-an-id!", "dir": "BOTH", "depth": 2}, "VALIDATION_FAILED"),
    ]:
        body = await api.gql(LINEAGE, variables)
        assert body["data"]["lineage"]["code"] == code, variables
    body = await api.gql(
        LINEAGE,
        {"id": gid("Dataset", "DS-SCJG-1"), "dir": "SIDEWAYS", "depth": 2},
        expect_errors=True,
    )
    assert "SIDEWAYS" in body["errors"][0]["message"]


async def test_decommission_refused_with_dependants_unless_forced(api: Api) -> None:
    move = 'mutation($f: Boolean!) { moveSystemLifecycle(code: "SYS-SCJG-1", to: DECOMMISSIONED, force: $f) { __typename ... on Problem { code message } ... on System { lifecycle } } }'
    refused = await api.gql(move, {"f": False}, as_="scjg")
    assert refused["data"]["moveSystemLifecycle"]["code"] == "CONFLICT"
    assert "DS-SCJG-1" in refused["data"]["moveSystemLifecycle"]["message"]
    assert (await api.gql(move, {"f": True}, as_="scjg"))["data"]["moveSystemLifecycle"][
        "code"
    ] == "FORBIDDEN"
    assert (await api.gql(move, {"f": True}))["data"]["moveSystemLifecycle"][
        "lifecycle"
    ] == "DECOMMISSIONED"
