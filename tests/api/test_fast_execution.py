"""The fast execution context gives exactly what graphql-core's generic execution gives:
data, errors (message, path, locations) and null propagation, for plain and unusual fields."""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import pytest
import strawberry

from api.graphql.fast_execution import FastExecutionContext


@strawberry.enum
class Colour(enum.Enum):
    RED = "red"
    GREEN = "green"


@strawberry.type
class Leafy:
    text: str
    maybe_text: str | None
    flag: bool
    number: int
    maybe_number: int | None
    colour: Colour
    ratio: float
    ident: strawberry.ID

    @strawberry.field
    def doubled(self) -> int:
        return self.number * 2

    @strawberry.field
    def boom(self) -> str | None:
        raise ValueError("resolver failed")


class Broken:
    """An object strawberry will read attributes from, some of which misbehave."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)

    @property
    def explodes(self) -> str:
        raise RuntimeError("property failed")


@strawberry.type
class Strict:
    text: str
    number: int
    colour: Colour
    explodes: str | None
    must: str


@strawberry.type
class Holder:
    items: list[Leafy]
    maybe_items: list[Leafy | None]
    stricts: list[Strict]
    strict: Strict | None
    async_leaf: str

    @strawberry.field
    async def later(self) -> list[Leafy]:
        await asyncio.sleep(0)
        return self.items


def leafy(i: int, **overrides: Any) -> Leafy:
    values: dict[str, Any] = {
        "text": f"t{i}",
        "maybe_text": None if i % 2 else "x",
        "flag": bool(i % 2),
        "number": i,
        "maybe_number": None,
        "colour": Colour.RED if i % 2 else Colour.GREEN,
        "ratio": i / 3,
        "ident": strawberry.ID(str(i)),
    }
    values.update(overrides)
    return Leafy(**values)


async def _coro() -> str:
    return "awaited"


class HolderSource(Broken):
    """Makes the awaitable leaf only when it is read, so none is left un-awaited."""

    @property
    def async_leaf(self) -> Any:
        return _coro()


def holder() -> Holder:
    items = [leafy(i) for i in range(5)]
    return HolderSource(  # type: ignore[return-value]
        items=[*items, leafy(9, number=2**40), leafy(10, text=None)],
        maybe_items=[items[0], None, leafy(7, colour=None)],
        stricts=[
            Strict(text="a", number=1, colour=Colour.RED, explodes=None, must="m"),
            Broken(text="b", number=True, colour=Colour.GREEN, must=None),
        ],
        strict=Broken(text=3, number=2, colour="nope", must="m"),
    )


@strawberry.type
class Query:
    @strawberry.field
    def holder(self) -> Holder:
        return holder()

    @strawberry.field
    def holders(self) -> list[Holder]:
        return [holder(), holder()]


LEAVES = "text maybeText flag number maybeNumber colour ratio ident doubled boom"
QUERIES = [
    f"{{ holder {{ items {{ {LEAVES} }} }} }}",
    f"{{ holder {{ maybeItems {{ {LEAVES} }} }} }}",
    "{ holder { stricts { text number colour explodes must } } }",
    "{ holder { strict { text number colour explodes must } } }",
    "{ holder { asyncLeaf } }",
    f"{{ holder {{ later {{ {LEAVES} }} }} }}",
    f"{{ holders {{ items {{ a: text b: text number @include(if: true) {LEAVES} }} }} }}",
    "{ holders { items { __typename text ...F } } } fragment F on Leafy { colour flag }",
]


def _run(schema: strawberry.Schema, query: str) -> dict[str, Any]:
    result = asyncio.run(schema.execute(query))
    errors = sorted((str(e.path), e.message, str(e.locations)) for e in result.errors or [])
    return {"data": result.data, "errors": errors}


@pytest.mark.parametrize("query", QUERIES)
def test_same_answer_as_graphql_core(query: str) -> None:
    stock = strawberry.Schema(query=Query)
    fast = strawberry.Schema(query=Query, execution_context_class=FastExecutionContext)
    expected = _run(stock, query)
    assert _run(fast, query) == expected


def test_the_cases_above_do_produce_errors_and_nulls() -> None:
    """Guard against the comparison passing vacuously."""
    fast = strawberry.Schema(query=Query, execution_context_class=FastExecutionContext)
    answer = _run(fast, QUERIES[0])
    assert answer["data"] is None  # a null in a non-null list item propagates to the root
    messages = " ".join(m for _p, m, _l in answer["errors"])
    assert "resolver failed" in messages
    assert "non-integer" in messages or "Int cannot represent" in messages
    stricts = " ".join(m for _p, m, _l in _run(fast, QUERIES[2])["errors"])
    assert "Cannot return null for non-nullable field Strict.must" in stricts
    assert "property failed" in stricts
    maybe = _run(fast, QUERIES[1])["data"]["holder"]["maybeItems"]
    assert maybe[0]["colour"] == "GREEN" and maybe[1] is None and maybe[2] is None
    strict = _run(fast, QUERIES[3])
    assert strict["data"] == {"holder": {"strict": None}}
    assert _run(fast, QUERIES[4])["data"] == {"holder": {"asyncLeaf": "awaited"}}
