"""Census over GraphQL: a department uploads a spreadsheet (GraphQL multipart request), bad rows
are reported and nothing is written; admins list near-duplicate systems."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from catalog.census.writer import export_workbook
from catalog.model import System
from tests.api.conftest import Api
from tests.factories import SCJG

UPLOAD = """mutation($files: [Upload!]!) { importCensus(files: $files) {
  __typename ... on CensusImport { written created updated unchanged rows
    problems { sheet row column code message messageEn fix } duplicates { firstCode secondCode } }
  ... on Problem { code } } }"""


async def upload(api: Api, path: Path, as_: str) -> dict[str, object]:
    operations = json.dumps({"query": UPLOAD, "variables": {"files": [None]}})
    response = await api.client.post(
        "/graphql",
        data={"operations": operations, "map": json.dumps({"0": ["variables.files.0"]})},
        files={"0": (path.name, path.read_bytes(), "application/octet-stream")},
        headers={"Authorization": f"Bearer {api.tokens[as_]}"},
    )
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, object] = body["data"]["importCensus"]
    return result


async def test_department_uploads_a_census_and_bad_rows_write_nothing(
    api: Api, tmp_path: Path
) -> None:
    systems = [
        System(
            code="SYS-SCJG-20",
            name="网络交易监测平台",
            department=SCJG,
            functions="网络交易主体监测、违法线索发现",
        ),
        System(
            code="SYS-SCJG-21",
            name="网络交易监测系统",
            department=SCJG,
            functions="网络交易主体监测、违法线索发现",
        ),
    ]
    good = tmp_path / "普查.xlsx"
    export_workbook(systems, good)
    result = await upload(api, good, "scjg")
    assert result["__typename"] == "CensusImport"
    assert result["written"] is True and result["created"] == 2
    assert {(d["firstCode"], d["secondCode"]) for d in result["duplicates"]} == {
        ("SYS-SCJG-20", "SYS-SCJG-21")
    }  # type: ignore[union-attr, index]
    again = await upload(api, good, "scjg")
    assert again["written"] is False and again["unchanged"] == 2

    bad = tmp_path / "有误.xlsx"
    export_workbook(
        [dataclasses.replace(systems[0], code="SYS-SCJG-22", department=SCJG[:-1] + "0")], bad
    )
    refused = await upload(api, bad, "scjg")
    assert refused["written"] is False
    problem = refused["problems"][0]  # type: ignore[index]
    assert problem["row"] and problem["message"] and problem["messageEn"] and problem["fix"]
    body = await api.gql('{ systems(filter: {nameContains: "网络交易"}) { totalCount } }')
    assert body["data"]["systems"]["totalCount"] == 2

    forbidden = await upload(api, good, "integrator")
    assert forbidden["code"] == "FORBIDDEN"


async def test_admins_list_duplicate_systems(api: Api) -> None:
    await api.gql(
        """mutation($d: String!) { a: registerSystem(input: {code: "SYS-D-1", name: "企业开办一网通办平台",
      department: $d, functions: "企业开办全流程网上办理、电子营业执照申领、公章刻制"}) { __typename }
      b: registerSystem(input: {code: "SYS-D-2", name: "企业开办全程网办专区", department: $d,
      functions: "企业开办全流程网上办理、电子营业执照申领、公章刻制"}) { __typename } }""",
        {"d": SCJG},
    )
    body = await api.gql(
        "{ duplicateSystems { firstCode secondCode score reason first { name } } }"
    )
    pairs = {(p["firstCode"], p["secondCode"]) for p in body["data"]["duplicateSystems"]}
    assert ("SYS-D-1", "SYS-D-2") in pairs
    flagged = await api.gql(
        '{ resource(kind: SYSTEM, code: "SYS-D-2") { ... on System { possibleDuplicates { code score } } } }',
        as_="scjg",
    )
    assert [d["code"] for d in flagged["data"]["resource"]["possibleDuplicates"]] == ["SYS-D-1"]
    denied = await api.gql("{ duplicateSystems { score } }", as_="integrator", expect_errors=True)
    assert denied["errors"][0]["extensions"]["code"] == "FORBIDDEN"
