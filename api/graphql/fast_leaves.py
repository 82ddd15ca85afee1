"""Compiled completion of a selection made only of plain leaves (a dataset's fields, an
owner's name): one generated function per such plan reads every attribute at once
(`operator.attrgetter`) and builds the answer in one expression when every value is of the
expected kind. A page has hundreds of such objects.

It only runs on instances of classes whose attributes are plain reads (no property or other
descriptor), so reading them all first has no effect the step-by-step path would not have;
whenever a value is unusual (null, an unknown enum member, a number out of range, a failing
read) it returns None and the caller completes the object step by step, which reads again and
reports exactly what graphql-core would.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import lru_cache
from operator import attrgetter
from typing import Any

from api.graphql.fast_plan import LEAF, Step

LeafReader = Callable[[Any], "dict[str, Any] | None"]

_ABSENT = object()
_CONDITIONS = {
    str: "type({v}) is str",
    bool: "type({v}) is bool",
    int: "(type({v}) is int and -2147483648 <= {v} <= 2147483647)",
}


def compile_leaves(plan: list[Step]) -> LeafReader | None:
    """A reader for `plan` when it is made only of leaves with a shortcut, else None."""
    if not plan or any(step.kind != LEAF or step.leaf_kind not in (1, 2, 3, 4) for step in plan):
        return None
    names: dict[str, Any] = {}
    conditions: list[str] = []
    lookups: list[str] = []
    items: list[str] = []
    for i, step in enumerate(plan):
        v = f"v{i}"
        if step.leaf_kind == 4:
            names[f"E{i}"] = step.enum_type
            names[f"N{i}"] = step.enum_names
            condition = f"type({v}) is E{i}"
            lookup = f"n{i} = N{i}.get({v})"
            if not step.non_null:
                condition = f"({v} is None or {condition})"
                lookup = f"n{i} = None if {v} is None else N{i}.get({v})"
            lookups.append(
                f"{lookup}\n            if n{i} is None and {v} is not None: return None"
            )
            conditions.append(condition)
            items.append(f"{step.name!r}: n{i}")
            continue
        kind = {1: str, 2: bool, 3: int}[step.leaf_kind]
        condition = _CONDITIONS[kind].format(v=v)
        conditions.append(condition if step.non_null else f"({v} is None or {condition})")
        items.append(f"{step.name!r}: {v}")
    values = ", ".join(f"v{i}" for i in range(len(plan)))
    body = "\n            ".join(lookups)
    source = f"""
def make(read, pure, check_class, {", ".join(names) or "_"}):
    def reader(source):
        cls = type(source)
        ok = pure.get(cls)
        if ok is None:
            ok = pure[cls] = check_class(cls)
        if not ok:
            return None
        try:
            ({values},) = {"(read(source),)" if len(plan) == 1 else "read(source)"}
        except Exception:
            return None
        if {" and ".join(conditions)}:
            {body or "pass"}
            return {{{", ".join(items)}}}
        return None
    return reader
"""
    attrs = [step.attr for step in plan]
    pure: dict[type, bool] = {}

    def check_class(cls: type) -> bool:
        return all(_plain_read(cls, attr) for attr in attrs)

    reader: LeafReader = _maker(source)(
        attrgetter(*attrs), pure, check_class, *(names.values() or [None])
    )
    return reader


@lru_cache(maxsize=512)
def _maker(source: str) -> Callable[..., LeafReader]:
    """The compiled `make` of a generated source; the same selection gives the same source in
    every request, so it is compiled once."""
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - generated from the plan's own names only
    maker: Callable[..., LeafReader] = namespace["make"]
    return maker


def _plain_read(cls: type, attr: str) -> bool:
    """Whether reading `attr` of an instance of `cls` is a plain lookup (no descriptor)."""
    found = inspect.getattr_static(cls, attr, _ABSENT)
    return found is _ABSENT or not hasattr(type(found), "__get__")
