"""The committed JSON Schemas of the census rows match the templates they describe."""

from __future__ import annotations

from pathlib import Path

from catalog.census.schema import json_schemas, render
from catalog.census.sheets import SHEETS

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas" / "census"


def test_committed_schemas_are_current() -> None:
    expected = {name: render(schema) for name, schema in json_schemas().items()}
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMAS.glob("*.schema.json")}
    assert committed == expected, "run: python -m catalog.census.schema schemas/census"


def test_every_column_is_a_titled_property() -> None:
    schemas = json_schemas()
    for spec in SHEETS:
        schema = schemas[f"{spec.key}.schema.json"]
        titles = [p["title"] for p in schema["properties"].values()]
        assert titles == [c.header for c in spec.columns]
        assert set(schema["required"]) == {c.key for c in spec.columns if c.required}
    datasets = schemas["datasets.schema.json"]["properties"]
    assert datasets["sharingType"]["enum"] == ["无条件共享", "有条件共享", "不予共享"]
    assert datasets["openType"]["enum"] == ["无条件开放", "有条件开放", "不予开放"]
