"""Entities to and from flat property maps, the form the graph port stores.

The conversion follows each dataclass's type hints, so adding a field to a domain type needs no
change here. Unknown keys in stored props are ignored (forward compatibility).
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


def to_props(entity: object) -> dict[str, Any]:
    """A JSON-compatible dict of every field of a domain dataclass."""
    return {f.name: _dump(getattr(entity, f.name)) for f in dataclasses.fields(entity)}  # type: ignore[arg-type]


def _dump(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_props(value)
    return value


def from_props(cls: type[T], props: dict[str, Any]) -> T:
    """Rebuild a domain dataclass from stored props (or from already-typed values)."""
    return cls(**load_fields(cls, props))


def load_fields(cls: type[Any], values: dict[str, Any]) -> dict[str, Any]:
    """Convert the given fields of `cls` to their domain types; unknown keys are dropped."""
    hints = _hints(cls)
    return {name: _load(hints[name], values[name]) for name in hints if name in values}


@cache
def _hints(cls: type[Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in get_type_hints(cls).items() if k in names}


def _load(hint: Any, value: Any) -> Any:
    origin = get_origin(hint)
    if origin is Union or origin is types.UnionType:
        if value is None:
            return None
        inner = [a for a in get_args(hint) if a is not type(None)]
        return _load(inner[0], value)
    if origin is tuple:
        (item, _ellipsis) = get_args(hint)
        return tuple(_load(item, v) for v in value)
    if isinstance(hint, type):
        if isinstance(value, hint):
            return value
        if issubclass(hint, Enum):
            return hint(value)
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if dataclasses.is_dataclass(hint):
            return from_props(hint, value if isinstance(value, dict) else vars(value))
    return value
