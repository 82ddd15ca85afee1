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
# (items, is_plain) -> the completed items, or None: complete them one by one instead
ListReader = Callable[[Any, Callable[[Any], bool]], "list[Any] | None"]

_ABSENT = object()
_CONDITIONS = {
    str: "type({v}) is str",
    bool: "type({v}) is bool",
    int: "(type({v}) is int and -2147483648 <= {v} <= 2147483647)",
}


def compile_leaves(plan: list[Step]) -> tuple[LeafReader, ListReader] | None:
    """Readers for `plan` when it is made only of leaves with a shortcut, else None: one for
    an object, one for a whole list of them (one call for the list instead of one per item;
    it gives up on the first item that is not plain, and nothing has happened by then that
    the step-by-step path would not do again: plain reads have no effects)."""
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
            lookups.append(f"{lookup}\n{{indent}}if n{i} is None and {v} is not None: return None")
            conditions.append(condition)
            items.append(f"{step.name!r}: n{i}")
            continue
        kind = {1: str, 2: bool, 3: int}[step.leaf_kind]
        condition = _CONDITIONS[kind].format(v=v)
        conditions.append(condition if step.non_null else f"({v} is None or {condition})")
        items.append(f"{step.name!r}: {v}")
    values = ", ".join(f"v{i}" for i in range(len(plan)))
    read = "(read(source),)" if len(plan) == 1 else "read(source)"
    condition = " and ".join(conditions)
    answer = f"{{{', '.join(items)}}}"

    def body(indent: str) -> str:
        return f"\n{indent}".join(lookups).replace("{indent}", indent) or "pass"

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
            ({values},) = {read}
        except Exception:
            return None
        if {condition}:
            {body("            ")}
            return {answer}
        return None

    def read_all(items, is_plain):
        out = []
        append = out.append
        known = None
        for source in items:
            cls = type(source)
            if cls is not known:
                ok = pure.get(cls)
                if ok is None:
                    ok = pure[cls] = check_class(cls)
                if not ok or not is_plain(source):
                    return None
                known = cls
            try:
                ({values},) = {read}
            except Exception:
                return None
            if not ({condition}):
                return None
            {body("            ")}
            append({answer})
        return out

    return reader, read_all
"""
    attrs = [step.attr for step in plan]
    pure: dict[type, bool] = {}

    def check_class(cls: type) -> bool:
        return all(_plain_read(cls, attr) for attr in attrs)

    readers: tuple[LeafReader, ListReader] = _maker(source)(
        attrgetter(*attrs), pure, check_class, *(names.values() or [None])
    )
    return readers


@lru_cache(maxsize=512)
def _maker(source: str) -> Callable[..., tuple[LeafReader, ListReader]]:
    """The compiled `make` of a generated source; the same selection gives the same source in
    every request, so it is compiled once."""
    namespace: dict[str, Any] = {}
    exec(source, namespace)  # noqa: S102 - generated from the plan's own names only
    maker: Callable[..., tuple[LeafReader, ListReader]] = namespace["make"]
    return maker


def _plain_read(cls: type, attr: str) -> bool:
    """Whether reading `attr` of an instance of `cls` is a plain lookup (no descriptor)."""
    found = inspect.getattr_static(cls, attr, _ABSENT)
    return found is _ABSENT or not hasattr(type(found), "__get__")
