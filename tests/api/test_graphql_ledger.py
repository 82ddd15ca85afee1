"""The ledger over GraphQL: auth, lists, filters, search, mutations and their typed problems."""

from __future__ import annotations

import pytest

from api.services import Services
from graph.port import ChangeSet
from tests.api.conftest import Api
from tests.factories import GAJ, SCJG

pytestmark = pytest.mark.asyncio


async def test_unauthenticated_requests_see_nothing(api: Api) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer irs_nobody_xxxxxxxxxxxx"},
        {"Authorization": "Basic x"},
    ):
        r = await api.client.post("/graphql", json={"query": "{ me { role } }"}, headers=headers)
        assert r.status_code == 401
        ext = r.json()["errors"][0]["extensions"]
        assert ext["code"] == "UNAUTHENTICATED"
        assert ext["message"]
        assert ext["messageEn"]


async def test_graphiql_page_is_served_without_running_anything(api: Api) -> None:
    r = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert "graphiql" in r.text.lower()
    r = await api.client.get("/graphql", params={"query": "{ me { role } }"})
    assert r.status_code == 401


async def test_me_knows_role_and_department(api: Api) -> None:
    body = await api.gql("{ me { role department } }", as_="scjg")
    assert body["data"]["me"] == {"role": "department", "department": SCJG}


async def test_datasets_page_with_owner_fields_and_elements(api: Api) -> None:
    body = await api.gql("""{ datasets(first: 10) { totalCount pageInfo { hasNextPage }
        edges { cursor node { id code name sharingType department { name }
          fields { name sensitive dataElement { code name } } sourceSystem { code } } } } }""")
    conn = body["data"]["datasets"]
    assert conn["totalCount"] == 3
    assert not conn["pageInfo"]["hasNextPage"]
    first = conn["edges"][0]["node"]
    assert first["code"] == "DS-GAJ-1"
    assert first["department"] == {"name": "厦门市公安局"}
    assert first["fields"] == [
        {
            "name": "公民身份号码",
            "sensitive": True,
            "dataElement": {"code": "DE0002", "name": "公民身份号码"},
        }
    ]
    node_id = first["id"]
    again = await api.gql(
        "query($id: ID!) { node(id: $id) { ... on Dataset { code } } }", {"id": node_id}
    )
    assert again["data"]["node"] == {"code": "DS-GAJ-1"}


async def test_cursor_pagination_walks_every_item(api: Api) -> None:
    seen: list[str] = []
    after = None
    while True:
        body = await api.gql(
            "query($after: String) { departments(first: 1, after: $after) { "
            "edges { node { code } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )
        conn = body["data"]["departments"]
        seen += [e["node"]["code"] for e in conn["edges"]]
        if not conn["pageInfo"]["hasNextPage"]:
            break
        after = conn["pageInfo"]["endCursor"]
    assert len(seen) == 3
    assert seen == sorted(seen)


async def test_filters_by_department_and_enum(api: Api) -> None:
    body = await api.gql(
        """query($d: String) { systems(filter: {department: $d, lifecycle: OPERATING})
        { edges { node { code lifecycle components { name } } } } }""",
        {"d": SCJG},
    )
    assert body["data"]["systems"]["edges"] == [
        {
            "node": {
                "code": "SYS-SCJG-1",
                "lifecycle": "OPERATING",
                "components": [{"name": "统一身份认证"}],
            }
        }
    ]
    body = await api.gql("{ datasets(filter: {sharingType: UNCONDITIONAL}) { totalCount } }")
    assert body["data"]["datasets"]["totalCount"] == 1


async def test_oversized_page_and_bad_cursor_are_typed_errors(api: Api) -> None:
    body = await api.gql("{ datasets(first: 1000) { totalCount } }", expect_errors=True)
    ext = body["errors"][0]["extensions"]
    assert ext["code"] == "PAGE_SIZE"
    assert "每页" in ext["message"]
    body = await api.gql('{ datasets(after: "!!!") { totalCount } }', expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "BAD_CURSOR"


async def test_chinese_search_across_kinds(api: Api) -> None:
    body = await api.gql("""{ search(text: "营业执照") { edges { node { __typename
        ... on Resource { code name } } } } }""")
    first = body["data"]["search"]["edges"][0]["node"]
    assert first == {"__typename": "CertificateType", "code": SCJG + "001", "name": "营业执照"}
    body = await api.gql(
        '{ search(text: "市场监管", kinds: [DEPARTMENT]) { edges { node { ... on Resource { code } } } } }'
    )
    assert [e["node"]["code"] for e in body["data"]["search"]["edges"]] == [SCJG]


async def test_register_update_and_move_a_system(api: Api) -> None:
    reg = await api.gql(
        """mutation($d: String!) { registerSystem(input: {code: "SYS-SCJG-7",
        name: "餐饮服务监管系统", department: $d, components: ["CMP-AUTH"]}) {
        __typename ... on System { code version lifecycle lifecycleEvents { toState by } } } }""",
        {"d": SCJG},
        as_="scjg",
    )
    system = reg["data"]["registerSystem"]
    assert system == {
        "__typename": "System",
        "code": "SYS-SCJG-7",
        "version": 1,
        "lifecycle": "PLANNED",
        "lifecycleEvents": [{"toState": "PLANNED", "by": "市场监管 业务员"}],
    }
    upd = await api.gql(
        """mutation { updateSystem(code: "SYS-SCJG-7", patch: {summary: "新摘要"},
        expectedVersion: 1) { ... on System { summary version name } } }""",
        as_="scjg",
    )
    assert upd["data"]["updateSystem"] == {
        "summary": "新摘要",
        "version": 2,
        "name": "餐饮服务监管系统",
    }
    moved = await api.gql(
        """mutation { moveSystemLifecycle(code: "SYS-SCJG-7", to: OPERATING, note: "上线")
        { ... on System { lifecycle lifecycleEvents { fromState toState note } } } }""",
        as_="scjg",
    )
    assert moved["data"]["moveSystemLifecycle"]["lifecycleEvents"][-1] == {
        "fromState": "PLANNED",
        "toState": "OPERATING",
        "note": "上线",
    }


PROBLEM = "__typename ... on Problem { code message messageEn } ... on ValidationProblem { path issues { path code } }"


async def test_typed_problems_and_nothing_changes(api: Api, services: Services) -> None:
    before = services.ledger.summary()
    cases = [
        (
            "scjg",
            f'registerSystem(input: {{code: "SYS-X", name: "x", department: "{GAJ}"}})',
            "FORBIDDEN",
        ),
        (
            "integrator",
            f'registerSystem(input: {{code: "SYS-X", name: "x", department: "{SCJG}"}})',
            "FORBIDDEN",
        ),
        (
            "admin",
            f'registerSystem(input: {{code: "SYS-X", name: "x", department: "{SCJG[:-1]}0"}})',
            "VALIDATION_FAILED",
        ),
        (
            "scjg",
            f'registerSystem(input: {{code: "SYS-SCJG-1", name: "dup", department: "{SCJG}"}})',
            "CONFLICT",
        ),
        ("scjg", 'updateSystem(code: "SYS-NOPE", patch: {name: "x"})', "NOT_FOUND"),
        ("scjg", 'updateSystem(code: "SYS-SCJG-1", patch: {name: null})', "VALIDATION_FAILED"),
        (
            "scjg",
            'updateSystem(code: "SYS-SCJG-1", patch: {name: "x"}, expectedVersion: 9)',
            "CONFLICT",
        ),
        ("scjg", 'moveSystemLifecycle(code: "SYS-SCJG-1", to: PLANNED)', "VALIDATION_FAILED"),
        (
            "admin",
            f'registerDataset(input: {{code: "DS-X", name: "x", department: "{SCJG}", summary: "s", '
            'sharingType: NOT_SHARED, sharingCondition: "法律规定", openType: UNCONDITIONAL, '
            'fields: [{name: "a", dataElement: "DE-NOPE"}]})',
            "VALIDATION_FAILED",
        ),
    ]
    for role, call, code in cases:
        body = await api.gql(f"mutation {{ r: {call} {{ {PROBLEM} }} }}", as_=role)
        result = body["data"]["r"]
        assert result["code"] == code, (call, result)
        assert result["message"]
        assert result["messageEn"]
    body = await api.gql(f"mutation {{ r: {cases[-1][1]} {{ {PROBLEM} }} }}")
    paths = {(i["path"], i["code"]) for i in body["data"]["r"]["issues"]}
    assert paths == {
        ("openType", "NOT_SHARED_IMPLIES_NOT_OPEN"),
        ("fields[0].dataElement", "UNKNOWN_DATA_ELEMENT"),
    }
    assert services.ledger.summary() == before


async def test_summary_is_for_admins_and_auditors(api: Api) -> None:
    query = """{ ledgerSummary { totals { kind count } lifecycle { lifecycle count }
        departments { department { shortName } total lifecycle { lifecycle count } } } }"""
    body = await api.gql(query, as_="auditor")
    totals = {t["kind"]: t["count"] for t in body["data"]["ledgerSummary"]["totals"]}
    assert totals["DEPARTMENT"] == 3
    assert totals["DATASET"] == 3
    body = await api.gql(query, as_="integrator", expect_errors=True)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_depth_and_alias_limits(api: Api) -> None:
    nested = "name"
    for _ in range(8):
        nested = f"components {{ usedBy {{ {nested} }} }}"
    deep = f"{{ systems {{ edges {{ node {{ {nested} }} }} }} }}"
    body = await api.gql(deep, expect_errors=True)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    aliases = " ".join(f"a{i}: me {{ role }}" for i in range(40))
    body = await api.gql(f"{{ {aliases} }}", expect_errors=True)
    assert "aliases" in body["errors"][0]["message"]


async def test_unexpected_errors_are_masked_with_a_correlation_id(
    api: Api, services: Services
) -> None:
    def broken(*, changes: ChangeSet) -> None:
        raise RuntimeError("secret internal detail 11010519491231002X")

    services.store.apply = broken  # type: ignore[method-assign]
    body = await api.gql(
        'mutation { updateSystem(code: "SYS-SCJG-1", patch: {summary: "x"}) { __typename } }',
        as_="scjg",
        expect_errors=True,
    )
    error = body["errors"][0]
    assert "secret" not in str(body)
    assert "11010519491231002X" not in str(body)
    assert error["extensions"]["code"] == "INTERNAL"
    assert error["extensions"]["correlationId"]
