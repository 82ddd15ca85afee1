"""Entities to and from flat property maps, the form the graph port stores.

The conversion follows each dataclass's type hints, compiled once per class into a list of
per-field converters, so adding a field to a domain type needs no change here and bulk loads
do not pay for reflection on every value. Unknown keys in stored props are ignored.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")
Convert = Callable[[Any], Any]


def to_props(entity: object) -> dict[str, Any]:
    """A JSON-compatible dict of every field of a domain dataclass."""
    return {name: dump(getattr(entity, name)) for name, dump in _dumpers(type(entity))}  # type: ignore[arg-type]


def from_props(cls: type[T], props: dict[str, Any]) -> T:
    """Rebuild a domain dataclass from stored props (or from already-typed values)."""
    return cls(**load_fields(cls, props))


def load_fields(cls: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    """Convert the given fields of `cls` to their domain types; unknown keys are dropped."""
    return {name: load(values[name]) for name, load in _loaders(cls) if name in values}  # type: ignore[arg-type]


def _identity(value: Any) -> Any:
    return value


def _hints(cls: type[Any]) -> list[tuple[str, Any]]:
    hints = get_type_hints(cls)
    return [(f.name, hints[f.name]) for f in dataclasses.fields(cls)]


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
        return lambda v: None if v is None else convert(v)
    if get_origin(hint) is tuple:
        item = _loader(get_args(hint)[0])
        return lambda v: tuple(item(x) for x in v)
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint
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
