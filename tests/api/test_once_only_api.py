"""数据最多采一次 over GraphQL on the small ledger, with a redundant collection planted."""

from __future__ import annotations

from catalog.model import CollectionMode, DataElement, FormField, Matter
from catalog.principal import SYSTEM_PRINCIPAL
from tests.api.conftest import Api
from tests.factories import GAJ, SCJG

REPORT = """query($d: String, $m: String) { collectOnce(departmentCode: $d, matterCode: $m) {
  city { score items redundant waivable } matterCount
  departments { departmentCode score }
  matters { matterCode score items redundantCollections { fieldName mode source { code } }
            prefillPlan { fieldName mode sourceCode } waivableMaterials { name } } } }"""


async def test_redundant_collection_prefill_plan_and_waivable_materials(
    api: Api, services: object
) -> None:
    ledger = services.ledger  # type: ignore[attr-defined]
    # 统一社会信用代码 gets an authoritative source; a matter still asks for it by hand
    ledger.load(
        principal=SYSTEM_PRINCIPAL,
        entities=[
            DataElement(
                code="DE0001",
                name="统一社会信用代码",
                department=SCJG,
                authoritative_dataset="DS-SCJG-1",
            ),
            Matter(
                code="MAT-GAJ-1",
                name="治安许可",
                department=GAJ,
                materials=(SCJG + "001",),
                form_fields=(
                    FormField(name="统一社会信用代码", data_element="DE0001"),
                    FormField(name="法人身份证号", data_element="DE0002"),
                    FormField(
                        name="企业名称2",
                        data_element="DE0001",
                        collection=CollectionMode.PREFILL,
                        prefill_source="DS-SCJG-1",
                    ),
                ),
            ),
        ],
    )
    body = await api.gql(REPORT, {"d": GAJ}, as_="auditor")
    report = body["data"]["collectOnce"]
    [matter] = report["matters"]
    assert matter["matterCode"] == "MAT-GAJ-1"
    assert matter["redundantCollections"] == [
        {"fieldName": "统一社会信用代码", "mode": "SUGGESTED", "source": {"code": "DS-SCJG-1"}}
    ]
    plan = {p["fieldName"]: (p["mode"], p["sourceCode"]) for p in matter["prefillPlan"]}
    assert plan == {
        "统一社会信用代码": ("SUGGESTED", "DS-SCJG-1"),
        "法人身份证号": ("MUST_COLLECT", None),
        "企业名称2": ("PREFILLED", "DS-SCJG-1"),
    }
    assert matter["waivableMaterials"] == [{"name": "营业执照"}]
    assert matter["items"] == 4 and matter["score"] == 0.5
    city = (await api.gql(REPORT, {}, as_="auditor"))["data"]["collectOnce"]
    assert city["matterCount"] == 2 and city["city"]["items"] == 6
    # the registering department's own matter is where its authoritative source collects the data
    own = next(m for m in city["matters"] if m["matterCode"] == "MAT-SCJG-1")
    assert own["prefillPlan"] == [
        {"fieldName": "统一社会信用代码", "mode": "SOURCE_OF_TRUTH", "sourceCode": "DS-SCJG-1"}
    ]
    assert own["redundantCollections"] == []
    usage = await api.gql(
        '{ dataElementUsage(code: "DE0001") { authoritativeSource { code } collectedBy { matterCode fieldName mode } } }'
    )
    assert usage["data"]["dataElementUsage"]["authoritativeSource"] == {"code": "DS-SCJG-1"}
    assert {
        "matterCode": "MAT-GAJ-1",
        "fieldName": "统一社会信用代码",
        "mode": "ORIGINAL",
    } in usage["data"]["dataElementUsage"]["collectedBy"]
