"""How `FastExecutionContext` completes each field of a selection set: its plan.

A plan is made once per request for each (object type, grouped field set) pair. Each response
name gets a `Step` saying how its value is read and completed:

- `LEAF`: a scalar or enum read with `getattr`, coerced inline;
- `OBJECT`: an object read with `getattr` (or a context resolver, below) whose own fields are
  then executed from their plan;
- `LIST`: a list of such objects;
- `GENERIC`: everything else, which graphql-core's `execute_field` handles.

A field takes a fast step only when nothing could observe the difference: no arguments, no
directives, no middleware, no permission classes or field extensions, a default (attribute)
resolver or a declared context resolver, and an object type whose `is_type_of` is either
absent or strawberry's own (which never reads the resolve info).

A context resolver is a field's resolver restated as a plain function of the source and the
request context (see `context_resolver`); the field's own resolver must call the same
function, so that stock execution and this one give the same answer.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLField,
    GraphQLID,
    GraphQLInt,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList
from strawberry.types.field import StrawberryField

FAST_RESOLVER = "irs.context_resolver"
_BACKREF = "strawberry-definition"
_STR_TYPES = (GraphQLString, GraphQLID)

GENERIC, LEAF, OBJECT, LIST = 0, 1, 2, 3


class _Never:
    """A type no read value has: a leaf step without a shortcut for its values."""


ContextResolver = Callable[[Any, Any], Any]
TypeCheck = Callable[[Any, Any], Any]


def context_resolver(resolve: ContextResolver) -> dict[str, ContextResolver]:
    """Field metadata declaring `resolve(source, context)` as the field's resolver, for the
    fast execution path; the field's strawberry resolver must give the same value."""
    return {FAST_RESOLVER: resolve}


class Step:
    """How one response name of a selection set is read and completed."""

    __slots__ = (
        "attr",
        "details",
        "enum_names",
        "enum_type",
        "field_def",
        "item_non_null",
        "item_type",
        "kind",
        "label",
        "leaf",
        "leaf_kind",
        "leaves",
        "leaves_all",
        "name",
        "non_null",
        "object_type",
        "plain_type",
        "plan",
        "resolve",
        "return_type",
        "type_check",
        "type_ok",
    )

    def __init__(self, name: str, details: FieldDetailsList) -> None:
        self.name = name
        self.details = details
        self.kind = GENERIC
        self.attr = ""
        self.resolve: ContextResolver | None = None
        self.field_def: GraphQLField | None = None
        self.return_type: GraphQLOutputType | None = None
        self.non_null = False
        self.label = ""
        # leaves: 1 str, 2 bool, 3 int, 4 enum, 0 anything else (coerced by the type)
        self.leaf: GraphQLLeafType | None = None
        self.leaf_kind = 0
        self.plain_type: type = _Never  # values of this type are returned as they are
        self.enum_type: type = _Never  # members of this enum are returned by their name
        self.enum_names: dict[Enum, Any] = {}
        # objects and lists of objects
        self.object_type: GraphQLObjectType | None = None
        self.item_type: GraphQLOutputType | None = None
        self.item_non_null = False
        self.type_check: TypeCheck | None = None
        self.type_ok: dict[type, bool] = {}  # its answers by class (see `_type_ok`)
        self.plan: list[Step] = []
        # the plan's compiled reader when it is made only of plain leaves (`fast_leaves`)
        self.leaves: Callable[[Any], dict[str, Any] | None] | None = None
        # and its reader of a whole list of such objects
        self.leaves_all: Callable[[Any, Callable[[Any], bool]], list[Any] | None] | None = None


def plain_type_check(object_type: GraphQLObjectType) -> tuple[bool, TypeCheck | None]:
    """(usable, check): the type's `is_type_of` when it may be called without resolve info
    (absent, or strawberry's own); not usable for any other."""
    check = object_type.is_type_of
    if check is None:
        return True, None
    qualname = getattr(check, "__qualname__", "")
    if getattr(check, "__module__", "") == "strawberry.schema.schema_converter" and (
        qualname.endswith("_get_is_type_of.<locals>.is_type_of")
    ):
        return True, check
    return False, None


def classify(
    step: Step,
    schema_field: GraphQLField | None,
    parent_type: GraphQLObjectType,
    has_middleware: bool,
) -> GraphQLObjectType | None:
    """Fill in `step` for a field of `parent_type`; returns the object type whose selection
    the caller must plan when the step is `OBJECT` or `LIST` (else None)."""
    details = step.details
    node = details[0].node
    if has_middleware or schema_field is None or schema_field.args or node.arguments:
        return None
    if any(d.node.directives for d in details):
        return None
    definition = (schema_field.extensions or {}).get(_BACKREF)
    if not isinstance(definition, StrawberryField):
        return None
    if definition.permission_classes or definition.extensions:
        return None
    metadata: Mapping[str, Any] = definition.metadata or {}
    resolve = metadata.get(FAST_RESOLVER)
    if resolve is None and not (
        getattr(schema_field.resolve, "_is_default", False)
        and definition.is_basic_field
        and definition.default_resolver is getattr
    ):
        return None
    return_type = schema_field.type
    non_null = isinstance(return_type, GraphQLNonNull)
    inner = return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
    step.attr = definition.python_name
    step.resolve = resolve
    step.field_def = schema_field
    step.return_type = return_type
    step.non_null = non_null
    step.label = f"{parent_type.name}.{node.name.value}"
    if is_leaf_type(inner) and resolve is None:
        _leaf(step, inner)
        return None
    if isinstance(inner, GraphQLList):
        item_type = inner.of_type
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        kind = LIST
        step.item_type = item_type
        step.item_non_null = is_non_null_type(item_type)
    else:
        object_type = inner
        kind = OBJECT
    if not is_object_type(object_type):
        return None
    assert isinstance(object_type, GraphQLObjectType)
    usable, check = plain_type_check(object_type)
    if not usable:
        return None
    step.kind = kind
    step.object_type = object_type
    step.type_check = check
    return object_type


def _leaf(step: Step, leaf: Any) -> None:
    step.kind = LEAF
    step.leaf = leaf
    step.leaf_kind = (
        1
        if leaf in _STR_TYPES
        else 2
        if leaf is GraphQLBoolean
        else 3
        if leaf is GraphQLInt
        else 4
        if isinstance(leaf, GraphQLEnumType)
        else 0
    )
    if step.leaf_kind == 1:
        step.plain_type = str
    elif step.leaf_kind == 2:
        step.plain_type = bool
    elif step.leaf_kind == 4:
        step.enum_type = getattr(leaf, "wrapped_cls", None) or _Never
        step.enum_names = _enum_names(leaf, step.enum_type)


_ENUM_NAMES: weakref.WeakKeyDictionary[GraphQLEnumType, dict[Enum, Any]] = (
    weakref.WeakKeyDictionary()
)


def _enum_names(leaf: GraphQLEnumType, enum_type: type) -> dict[Enum, Any]:
    """The names of an enum's members as graphql-core's `complete_leaf_value` gives them,
    found once per enum type (else every request would find them again, falling back to the
    generic path for the first item of each member); members it would refuse are left out
    (completed, and refused, as before). Shared by the steps of every request: a name added
    later is the same one."""
    names = _ENUM_NAMES.get(leaf)
    if names is None:
        names = {}
        members: list[Enum] = list(enum_type) if issubclass(enum_type, Enum) else []
        for member in members:
            try:
                name = leaf.coerce_output_value(member)
            except Exception:  # noqa: S112 - completed (and refused) as before
                continue
            if isinstance(name, str):
                names[member] = name
        _ENUM_NAMES[leaf] = names
    return names
