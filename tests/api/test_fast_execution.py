"""The fast execution context gives exactly what graphql-core's generic execution gives:
data, errors (message, path, locations) and null propagation, for plain and unusual fields."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
from typing import Any, ClassVar

import pytest
import strawberry

from api.graphql.fast_execution import FastExecutionContext
from api.graphql.fast_plan import GENERIC, LEAF, LIST, OBJECT, context_resolver


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


def _run(
    schema: strawberry.Schema, query: str, context: dict[str, Any] | None = None
) -> dict[str, Any]:
    result = asyncio.run(schema.execute(query, context_value=context))
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


# Objects and lists of objects completed from the plan, context resolvers, interfaces


@strawberry.interface
class Named:
    label: str


@strawberry.type
class Part(Named):
    size: int
    colour: Colour | None
    must: str


@strawberry.type
class Other(Named):
    size: int


@strawberry.type
class Bare:
    """A type with no interface: graphql-core accepts any object for it."""

    size: int
    must: str


@dataclasses.dataclass(frozen=True)
class BareRecord:
    """A plain dataclass served as `Bare` (as domain records are): completed from the plan."""

    size: Any
    must: Any


class PartLike:
    """Not a strawberry type: completed as `Bare` by the generic path as well."""

    def __init__(self, size: Any, must: Any) -> None:
        self.size = size
        self.must = must


@strawberry.type
class Box:
    label: str
    part: Part | None
    strict_part: Part
    parts: list[Part]
    maybe_parts: list[Part | None] | None
    bares: list[Bare]
    inner: Box | None
    shared: Part | None


def _context_part(source: Any, context: dict[str, Any]) -> Any:
    mode = context["mode"]
    if mode == "raise":
        raise LookupError("context resolver failed")
    if mode == "later":

        async def later() -> Part:
            await asyncio.sleep(0)
            return source.strict_box.part

        return later()
    if mode == "none":
        return None
    return source.strict_box.part


@strawberry.type
class Shelf:
    boxes: list[Box | None]
    maybe_box: Box | None
    strict_box: Box
    generator_parts: list[Part]

    @strawberry.field(metadata=context_resolver(_context_part))
    async def found(self, info: strawberry.Info) -> Part | None:
        value = _context_part(self, info.context)
        return await value if asyncio.iscoroutine(value) else value

    @strawberry.field(metadata=context_resolver(_context_part))
    async def found_strict(self, info: strawberry.Info) -> Part:
        value = _context_part(self, info.context)
        return await value if asyncio.iscoroutine(value) else value


def part(i: int, **overrides: Any) -> Part:
    values: dict[str, Any] = {"label": f"p{i}", "size": i, "colour": Colour.RED, "must": "m"}
    values.update(overrides)
    return Part(**values)


def box(i: int, **overrides: Any) -> Box:
    values: dict[str, Any] = {
        "label": f"b{i}",
        "part": part(i),
        "strict_part": part(i + 1),
        "parts": [part(j) for j in range(3)],
        "maybe_parts": [part(1), None],
        "bares": [Bare(size=1, must="m"), PartLike(2, "m"), BareRecord(3, "m")],
        "inner": None,
        "shared": None,
    }
    values.update(overrides)
    return Box(**values)


class Later:
    """An awaitable object value: completed after it is awaited, as graphql-core does."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        yield from asyncio.sleep(0).__await__()
        return self.value


def shelf() -> Shelf:
    common = part(7)
    return Shelf(
        boxes=[
            box(0, inner=box(10, inner=box(20)), shared=common),
            box(1, part=None, shared=common),
            box(2, part=Bare(size=1, must="m")),  # not a Part (nor a Named)
            box(3, strict_part=None),  # null in a non-null field: the box becomes null
            box(4, parts=[part(1), None]),  # null in a non-null list item: the box too
            box(5, maybe_parts=None, bares=[PartLike(None, "m"), PartLike(3, None)]),
            box(6, part=part(6, must=None), maybe_parts=[part(2, must=None), part(3)]),
            box(7, parts=(part(4), part(5)), part=Later(part(8))),  # type: ignore[arg-type]
            box(8, bares=[Bare(size="nan", must="m")]),  # type: ignore[arg-type]
            box(9, parts=Later([part(9)]), maybe_parts=[ValueError("item")]),  # type: ignore[arg-type,list-item]
            box(13, bares=[BareRecord(4, None)]),
            # a Part cast to another type, after Parts whose type check was kept per class
            box(14, part=strawberry.cast(Other, part(14)), parts=[strawberry.cast(Other, part(1))]),
        ],
        maybe_box=box(11, strict_part=Bare(size=2, must="m")),
        strict_box=box(12),
        generator_parts=(part(i) for i in range(2)),  # type: ignore[arg-type]
    )


@strawberry.type
class ShelfQuery:
    @strawberry.field
    def shelf(self) -> Shelf:
        return shelf()

    @strawberry.field
    def boxes(self) -> list[Box]:
        return [b for b in shelf().boxes if b is not None][:3]

    @strawberry.field
    def named(self) -> list[Named]:
        return [part(1), Other(label="o", size=2)]


PART = "label size colour must"
BOX = f"""label part {{ {PART} }} strictPart {{ {PART} }} parts {{ {PART} }}
    maybeParts {{ {PART} }} bares {{ size must }}"""
OBJECT_QUERIES = [
    f"{{ shelf {{ boxes {{ {BOX} }} }} }}",
    f"{{ boxes {{ {BOX} }} }}",
    f"{{ shelf {{ boxes {{ inner {{ label inner {{ {BOX} }} }} shared {{ __typename {PART} }} }} }} }}",
    f"{{ shelf {{ maybeBox {{ {BOX} }} strictBox {{ label part {{ {PART} }} }} }} }}",
    "{ shelf { strictBox { strictPart { label } } maybeBox { strictPart { size } } } }",
    "{ shelf { generatorParts { label size } } }",
    """{ shelf { boxes { a: label b: part { c: size d: label } ...B } } }
    fragment B on Box { parts { ... on Part { colour } ...P } }
    fragment P on Named { label }""",
    "{ shelf { boxes { part { label ... on Named { __typename } } } } }",
    "{ named { __typename label ... on Part { size } ... on Other { size } } }",
    "{ shelf { boxes { parts @include(if: true) { label } part @skip(if: false) { size } } } }",
]
CONTEXT_QUERIES = [
    "{ shelf { found { label size } } }",
    "{ shelf { foundStrict { label size } } }",
    "{ shelf { found { label } foundStrict { size } boxes { label } } }",
]
CASES = [(q, "value") for q in OBJECT_QUERIES] + [
    (q, mode) for q in CONTEXT_QUERIES for mode in ("value", "later", "none", "raise")
]


@pytest.mark.parametrize(("query", "mode"), CASES)
def test_objects_and_lists_same_answer_as_graphql_core(query: str, mode: str) -> None:
    stock = strawberry.Schema(query=ShelfQuery)
    fast = strawberry.Schema(query=ShelfQuery, execution_context_class=FastExecutionContext)
    expected = _run(stock, query, context={"mode": mode})
    assert _run(fast, query, context={"mode": mode}) == expected


def test_the_object_cases_do_produce_errors_and_nulls() -> None:
    """Guard against the comparison passing vacuously."""
    fast = strawberry.Schema(query=ShelfQuery, execution_context_class=FastExecutionContext)
    answer = _run(fast, OBJECT_QUERIES[0], context={"mode": "value"})
    boxes = answer["data"]["shelf"]["boxes"]
    assert boxes[0]["part"]["label"] == "p0"
    assert boxes[1]["part"] is None
    assert boxes[2]["part"] is None  # not a Part
    assert boxes[3] is None  # a null in a non-null field makes the box null
    assert boxes[4] is None  # so does a null in a non-null list item
    assert boxes[5] is None  # and a null non-null leaf of an item of a non-null list
    assert boxes[6]["part"] is None
    assert boxes[6]["maybeParts"][0] is None
    assert boxes[6]["maybeParts"][1]["label"] == "p3"
    assert boxes[7]["part"]["label"] == "p8"  # an awaitable object
    assert [p["label"] for p in boxes[7]["parts"]] == ["p4", "p5"]  # a tuple
    assert boxes[8] is None
    assert boxes[9]["parts"][0]["label"] == "p9"  # an awaitable list
    assert boxes[9]["maybeParts"] == [None]  # an exception as an item
    messages = [m for _p, m, _l in answer["errors"]]
    assert "Expected value of type 'Part' but got: <Bare instance>." in messages
    assert "Cannot return null for non-nullable field Box.strictPart." in messages
    assert "Cannot return null for non-nullable field Box.parts." in messages
    assert "Cannot return null for non-nullable field Part.must." in messages
    assert "Cannot return null for non-nullable field Bare.size." in messages
    assert "Int cannot represent non-integer value: 'nan'" in messages
    assert "item" in messages
    assert boxes[10] is None  # a plain dataclass item with a null non-null leaf
    assert boxes[0]["bares"][2] == {"size": 3, "must": "m"}
    assert boxes[11] is None  # the cast Part in its non-null list is not a Part
    assert "Expected value of type 'Part' but got: <Part instance>." in messages
    strict = _run(fast, OBJECT_QUERIES[4], context={"mode": "value"})
    assert strict["data"] == {
        "shelf": {"strictBox": {"strictPart": {"label": "p13"}}, "maybeBox": None}
    }
    raised = _run(fast, CONTEXT_QUERIES[1], context={"mode": "raise"})
    assert raised["data"] is None  # Shelf.foundStrict and Query.shelf are both non-null
    assert raised["errors"][0][1] == "context resolver failed"
    later = _run(fast, CONTEXT_QUERIES[0], context={"mode": "later"})
    assert later["data"] == {"shelf": {"found": {"label": "p12", "size": 12}}}


class _Recording(FastExecutionContext):
    """Records each planned step's kind, to show which path the cases above took."""

    seen: ClassVar[set[tuple[str, str, int]]] = set()
    compiled: ClassVar[set[tuple[str, str]]] = set()

    def _plan(self, parent_type: Any, fields: Any) -> Any:
        plan = super()._plan(parent_type, fields)
        _Recording.seen.update((parent_type.name, step.name, step.kind) for step in plan)
        _Recording.compiled.update(
            (parent_type.name, step.name) for step in plan if step.leaves is not None
        )
        return plan


def test_the_object_cases_take_the_planned_steps() -> None:
    recording = strawberry.Schema(query=ShelfQuery, execution_context_class=_Recording)
    for query in [*OBJECT_QUERIES, *CONTEXT_QUERIES]:
        _run(recording, query, context={"mode": "value"})
    seen = _Recording.seen
    assert ("Shelf", "boxes", LIST) in seen
    assert ("Box", "part", OBJECT) in seen
    assert ("Box", "bares", LIST) in seen
    assert ("Part", "label", LEAF) in seen
    assert ("Shelf", "found", OBJECT) in seen  # the context resolver
    assert ("Box", "parts", GENERIC) in seen  # with a directive
    assert ("Shelf", "generatorParts", LIST) in seen  # a generator: completed generically
    assert ("Box", "bares") in _Recording.compiled  # made only of plain leaves
    assert ("Box", "part") in _Recording.compiled


@dataclasses.dataclass
class CountedRecord:
    """Served as `Bare`, with a property that counts its reads."""

    size: int
    reads: list[int] = dataclasses.field(default_factory=list)

    @property
    def must(self) -> str:
        self.reads.append(1)
        return "m"


def test_a_property_is_read_once_as_graphql_core_reads_it() -> None:
    records = [CountedRecord(1), CountedRecord(2)]

    @strawberry.type
    class RecordQuery:
        @strawberry.field
        def bares(self) -> list[Bare]:
            return records  # type: ignore[return-value]

    fast = strawberry.Schema(query=RecordQuery, execution_context_class=FastExecutionContext)
    answer = _run(fast, "{ bares { size must } }")
    assert answer["data"] == {"bares": [{"size": 1, "must": "m"}, {"size": 2, "must": "m"}]}
    assert [len(r.reads) for r in records] == [1, 1]
