"""JSON Schemas of the census rows, one per sheet, generated from the same sheet descriptions
as the templates (``schemas/census/*.schema.json``; regenerate with
``python -m catalog.census.schema schemas/census``).

A row is an object keyed by the column keys (the ledger's field paths), each titled with its
Chinese header; enumerated columns take the Chinese labels of the drop-down lists, yes/no
columns 是/否, and list columns an array of codes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from catalog.census import vocab
from catalog.census.cells import MAX_CELL
from catalog.census.sheets import SHEETS, Column, ColumnType, SheetSpec

DRAFT = "https://json-schema.org/draft/2020-12/schema"


def _property(column: Column) -> dict[str, Any]:
    out: dict[str, Any] = {"title": column.header}
    if column.help or column.help_en:
        out["description"] = " / ".join(t for t in (column.help, column.help_en) if t)
    kind = column.kind
    if kind is ColumnType.ENUM:
        assert column.enum is not None
        out["enum"] = list(vocab.choices(column.enum))
    elif kind is ColumnType.BOOL:
        out["enum"] = [vocab.YES, vocab.NO]
    elif kind is ColumnType.INT:
        out.update(type="integer", minimum=0)
    elif kind is ColumnType.DATE:
        out.update(type="string", format="date")
    elif kind is ColumnType.DATETIME:
        out.update(type="string", format="date-time")
    elif kind is ColumnType.MAPPINGS:
        mapping = {"sourceField": {"type": "string"}, "targetField": {"type": "string"}}
        out.update(
            type="array",
            items={"type": "object", "properties": mapping, "required": list(mapping),
                   "additionalProperties": False},
        )  # fmt: skip
    elif kind is ColumnType.LIST:
        out.update(type="array", items={"type": "string", "minLength": 1})
    else:
        out.update(type="string", maxLength=MAX_CELL)
        if column.required:
            out["minLength"] = 1
    return out


def json_schema(spec: SheetSpec) -> dict[str, Any]:
    """The JSON Schema of one row of `spec`'s sheet."""
    parent = f"；每行一项，首列为所属{spec.parent}的编码" if spec.parent else ""
    return {
        "$schema": DRAFT,
        "$id": f"census/{spec.key}.schema.json",
        "title": f"{spec.name} ({spec.title_en})",
        "description": f"普查模板“{spec.name}”表的一行{parent} / one row of the "
        f"{spec.title_en} census sheet",
        "type": "object",
        "properties": {c.key: _property(c) for c in spec.columns},
        "required": [c.key for c in spec.columns if c.required],
        "additionalProperties": False,
    }


def json_schemas() -> dict[str, dict[str, Any]]:
    """File name -> schema, for every census sheet."""
    return {f"{spec.key}.schema.json": json_schema(spec) for spec in SHEETS}


def render(schema: dict[str, Any]) -> str:
    """A schema as the committed file holds it."""
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def write_json_schemas(directory: Path) -> list[Path]:
    """Write every census row schema into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, schema in json_schemas().items():
        path = directory / name
        path.write_text(render(schema), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_json_schemas(Path(sys.argv[1] if len(sys.argv) > 1 else "schemas/census")):
        print(written)
