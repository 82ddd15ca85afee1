"""Entities to and from flat property maps, the form the graph port stores.

The conversion follows each dataclass's type hints, compiled once per class into a list of
per-field converters, so adding a field to a domain type needs no change here and bulk loads
do not pay for reflection on every value. Unknown keys in stored props are ignored.

Pages and exports rebuild many objects, so loading keeps the common case cheap: all fields
are read at once, only the fields that need it are converted, and a dataclass whose props are
complete is filled in directly, as its own `__init__` would (see `_Plan`), by one function
generated for the class (`_direct_loader`). Reads that decode props nobody else holds (the
ledger's, straight from the store) adopt them instead (`adopt_props`): the props dict, converted
in place, becomes the entity's own attribute dict, and so do the dicts of nested entities.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from operator import itemgetter
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
Convert = Callable[[Any], Any]


def to_props(entity: object) -> dict[str, Any]:
    """A JSON-compatible dict of every field of a domain dataclass."""
    cls: type[Any] = type(entity)
    plan = _dump_plan(cls)  # type: ignore[arg-type]
    if plan.direct:  # a copy of the instance dict, when it holds the fields and nothing else
        props = dict(entity.__dict__)
        if props.keys() == plan.names:
            for name, dump in plan.converts:
                props[name] = dump(props[name])
            return props
    return {name: dump(getattr(entity, name)) for name, dump in _dumpers(cls)}  # type: ignore[arg-type]


def from_props(cls: type[T], props: dict[str, Any]) -> T:
    """Rebuild a domain dataclass from stored props (or from already-typed values)."""
    load = _direct_loader(cls)  # type: ignore[arg-type]
    if load is not None:
        try:
            entity: T = load(props)
        except KeyError:  # a field left to its default: the dataclass's own __init__ fills it
            return cls(**load_fields(cls, props))
        return entity
    plan = _load_plan(cls)  # type: ignore[arg-type]
    try:
        values = list(plan.read(props))
    except KeyError:  # a field left to its default: the dataclass's own __init__ fills it
        return cls(**load_fields(cls, props))
    for index, load in plan.converts:
        values[index] = load(values[index])
    return cls(**dict(zip(plan.names, values, strict=True)))


def adopt_props(cls: type[T], props: dict[str, Any]) -> T:
    """`from_props`, taking ownership of `props` and of the dicts inside it: when a dict holds
    exactly its class's fields, it is converted in place and becomes the instance's attribute
    dict (no second dict, no copy: a page of 100 datasets has ~800 nested fields). Anything
    else (a field left to its default, an unknown key, a class that is not direct) is rebuilt
    as `from_props` does. Only for props the caller just decoded and will not use again."""
    adopt = _adopter(cls)  # type: ignore[arg-type]
    if adopt is None:
        return from_props(cls, props)
    entity: T = adopt(props)
    return entity


def load_fields(cls: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    """Convert the given fields of `cls` to their domain types; unknown keys are dropped."""
    return {name: load(values[name]) for name, load in _loaders(cls) if name in values}  # type: ignore[arg-type]


def _identity(value: Any) -> Any:
    return value


def _hints(cls: type[Any]) -> list[tuple[str, Any]]:
    hints = get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


@dataclasses.dataclass(frozen=True)
class _Plan:
    """One class's fields in order, a reader of all of them at once, and the converters of
    those that need one, by position.

    `direct`: the class's `__init__` only sets its fields (a plain dataclass: no
    `__post_init__`, no slots, no init-only or non-init fields), so complete props may be
    set on a bare instance instead."""

    names: tuple[str, ...]
    read: Callable[[Any], tuple[Any, ...]]
    converts: tuple[tuple[int, Convert], ...]
    direct: bool


def _reader(names: tuple[str, ...]) -> Callable[[Any], Any]:
    read = itemgetter(*names)
    if len(names) == 1:  # one name: itemgetter returns the value, not a 1-tuple
        return lambda obj: (read(obj),)
    return read


@cache
def _load_plan(cls: type[Any]) -> _Plan:
    loaders = _loaders(cls)  # type: ignore[arg-type]
    names = tuple(name for name, _ in loaders)
    converts = tuple((i, load) for i, (_, load) in enumerate(loaders) if load is not _identity)
    direct = (
        not hasattr(cls, "__post_init__")
        and not hasattr(cls, "__slots__")
        and all(f.init for f in dataclasses.fields(cls))
        and not any(
            isinstance(v, dataclasses.InitVar) for v in getattr(cls, "__annotations__", {}).values()
        )
    )
    return _Plan(names, _reader(names), converts, direct)


@dataclasses.dataclass(frozen=True)
class _DumpPlan:
    """One class's field names, the converters of the fields that need one, and whether its
    instances keep their fields in an instance dict (no slots) that may be copied at once."""

    names: frozenset[str]
    converts: tuple[tuple[str, Convert], ...]
    direct: bool


@cache
def _dump_plan(cls: type[Any]) -> _DumpPlan:
    dumpers = _dumpers(cls)  # type: ignore[arg-type]
    return _DumpPlan(
        names=frozenset(name for name, _ in dumpers),
        converts=tuple((name, dump) for name, dump in dumpers if dump is not _identity),
        direct=not hasattr(cls, "__slots__"),
    )


@cache
def _direct_loader(cls: type[Any]) -> Callable[[dict[str, Any]], Any] | None:
    """For a class with a direct plan, one generated function doing what the plan does: read
    each prop, convert those that need it and fill a bare instance, in one expression instead
    of a loop over the fields (a page rebuilds about a thousand entities and their parts:
    ~45 % less time). None for any other class."""
    plan = _load_plan(cls)  # type: ignore[arg-type]
    if not plan.direct:
        return None
    converts = dict(plan.converts)
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    items = []
    for index, name in enumerate(plan.names):
        if index in converts:
            namespace[f"c{index}"] = converts[index]
            items.append(f"{name!r}: c{index}(p[{name!r}])")
        else:
            items.append(f"{name!r}: p[{name!r}]")
    source = (
        "def load(p):\n"
        "    e = new(cls)\n"
        f"    e.__dict__.update({{{', '.join(items)}}})\n"
        "    return e\n"
    )
    exec(source, namespace)  # noqa: S102 - generated from the dataclass's own field names
    load: Callable[[dict[str, Any]], Any] = namespace["load"]
    return load


@cache
def _adopter(cls: type[Any]) -> Callable[[Any], Any] | None:
    """For a direct class, one generated function adopting a dict that holds exactly the
    class's fields (converted in place, made the attribute dict of a bare instance) and
    loading anything else as `from_props` would; None for any other class.

    Enums are looked up inline and a tuple of nested entities is adopted in one comprehension
    calling the nested class's own function: a page's ~800 nested fields each cost one call."""
    plan = _load_plan(cls)  # type: ignore[arg-type]
    if not plan.direct:
        return None
    hints = dict(_hints(cls))
    namespace: dict[str, Any] = {
        "new": object.__new__,
        "set_attr": object.__setattr__,
        "cls": cls,
        "names": frozenset(plan.names),
        "load": _loader(cls),
    }
    lines = [
        "def adopt(p):",
        "    if type(p) is not dict or p.keys() != names:",
        "        return load(p)",
    ]
    for index, convert in plan.converts:
        name = plan.names[index]
        hint = hints[name]
        namespace[f"c{index}"] = convert
        item_hint = get_args(hint)[0] if get_origin(hint) is tuple else None
        nested = (
            _adopter(item_hint)
            if isinstance(item_hint, type) and dataclasses.is_dataclass(item_hint)
            else None
        )
        if isinstance(hint, type) and issubclass(hint, Enum):
            namespace[f"m{index}"] = hint._value2member_map_
            lines += [
                "    try:",
                f"        p[{name!r}] = m{index}[p[{name!r}]]",
                "    except (KeyError, TypeError):",
                f"        p[{name!r}] = c{index}(p[{name!r}])",
            ]
        elif nested is not None:
            namespace[f"a{index}"] = nested
            lines.append(f"    p[{name!r}] = tuple([a{index}(x) for x in p[{name!r}]])")
        else:
            lines.append(f"    p[{name!r}] = c{index}(p[{name!r}])")
    lines += ["    e = new(cls)", "    set_attr(e, '__dict__', p)", "    return e"]
    exec("\n".join(lines) + "\n", namespace)  # noqa: S102 - the dataclass's own field names
    adopt: Callable[[Any], Any] = namespace["adopt"]
    return adopt


@cache
def _dumpers(cls: type[Any]) -> tuple[tuple[str, Convert], ...]:
    return tuple((name, _dumper(hint)) for name, hint in _hints(cls))


@cache
def _loaders(cls: type[Any]) -> tuple[tuple[str, Convert], ...]:
    return tuple((name, _loader(hint)) for name, hint in _hints(cls))


def _optional_inner(hint: Any) -> Any | None:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return next(a for a in get_args(hint) if a is not type(None))
    return None


def _dumper(hint: Any) -> Convert:
    inner = _optional_inner(hint)
    if inner is not None:
        convert = _dumper(inner)
        if convert is _identity:
            return _identity
        return lambda v: None if v is None else convert(v)
    if get_origin(hint) is tuple:
        item = _dumper(get_args(hint)[0])
        if item is _identity:
            return list
        return lambda v: [item(x) for x in v]
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return lambda v: v._value_
        if hint is datetime or hint is date:
            return lambda v: v.isoformat()
        if dataclasses.is_dataclass(hint):
            return to_props
    return _identity


def _loader(hint: Any) -> Convert:
    inner = _optional_inner(hint)
    if inner is not None:
        convert = _loader(inner)
        if convert is _identity:
            return _identity
        return lambda v: None if v is None else convert(v)
    if get_origin(hint) is tuple:
        item = _loader(get_args(hint)[0])
        if item is _identity:
            return tuple
        return lambda v: tuple(map(item, v))
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return _enum_loader(hint)
        if hint is datetime:
            return lambda v: v if isinstance(v, datetime) else datetime.fromisoformat(v)
        if hint is date:
            return lambda v: v if isinstance(v, date) else date.fromisoformat(v)
        if dataclasses.is_dataclass(hint):
            cls = hint
            return lambda v: (
                v
                if isinstance(v, cls)
                else from_props(cls, v if isinstance(v, dict) else dict(vars(v)))
            )
    return _identity


def _enum_loader(cls: type[Enum]) -> Convert:
    """`cls(value)`, with a stored value looked up first (what `Enum.__call__` does, less
    the call)."""
    members = cls._value2member_map_

    def load(value: Any) -> Any:
        try:
            return members[value]
        except (KeyError, TypeError):
            return cls(value)

    return load
