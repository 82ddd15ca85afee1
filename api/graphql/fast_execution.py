"""A graphql-core execution context that completes plain fields without the generic machinery.

Why: a 100-item catalog page has ~3,000 fields, and most of them are scalars or enums read
straight off a strawberry object (no resolver, no arguments, no directives). graphql-core gives
each one a resolve-info object, a strawberry resolver call, two awaitable checks and a
recursive `complete_value`; that is most of the page's time. Here such a leaf is read with
`getattr` and coerced inline, and lists of objects are completed without the per-item dispatch.

The answer, errors (located, with the same path and propagation), null handling and the order of
keys are those of the generic path, which every other field still takes; anything unusual on a
plain field (an awaitable, an exception value, an unknown type) is handed to it as well.
"""

from __future__ import annotations

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
    GraphQLResolveInfo,
    GraphQLString,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

_BACKREF = "strawberry-definition"
_MIN_INT, _MAX_INT = -(2**31), 2**31 - 1
_STR_TYPES = (GraphQLString, GraphQLID)
_PLAIN = frozenset((str, bool, int, type(None)))


class _Leaf:
    """How to read and coerce one plain leaf field of one parent type."""

    __slots__ = (
        "attr",
        "details",
        "enum_names",
        "field_def",
        "kind",
        "leaf",
        "non_null",
        "wrapped",
    )

    def __init__(
        self, attr: str, field_def: GraphQLField, leaf: GraphQLLeafType, details: FieldDetailsList
    ) -> None:
        self.attr = attr
        self.field_def = field_def
        self.non_null = is_non_null_type(field_def.type)
        self.leaf = leaf
        self.details = details
        # 1 str, 2 bool, 3 int, 4 enum, 0 anything else (coerced by the type)
        self.kind = (
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
        self.wrapped: type | None = getattr(leaf, "wrapped_cls", None)
        self.enum_names: dict[Enum, Any] = {}


# a grouped field set's plan: per response name, a _Leaf or None (take the generic path)
_Plan = list[tuple[str, FieldDetailsList, "_Leaf | None"]]


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with a fast path for plain leaves and object lists."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # by the grouped field set's id; the entry keeps the set alive, so the id stays its own
        self._plans: dict[int, tuple[GraphQLObjectType, GroupedFieldSet, _Plan]] = {}

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> _Plan:
        cached = self._plans.get(id(fields))
        if cached is not None and cached[0] is parent_type and cached[1] is fields:
            return cached[2]
        plan: _Plan = [
            (name, details, self._leaf(parent_type, details)) for name, details in fields.items()
        ]
        self._plans[id(fields)] = (parent_type, fields, plan)
        return plan

    def _leaf(self, parent_type: GraphQLObjectType, details: FieldDetailsList) -> _Leaf | None:
        """A `_Leaf` when the field is a plain attribute read of a scalar or enum."""
        if self.middleware_manager is not None and self.middleware_manager.middlewares:
            return None
        node = details[0].node
        if node.arguments or any(d.node.directives for d in details):
            return None
        field_def = self.schema.get_field(parent_type, node.name.value)
        if field_def is None or field_def.args:
            return None
        if not getattr(field_def.resolve, "_is_default", False):
            return None
        definition = (field_def.extensions or {}).get(_BACKREF)
        if not isinstance(definition, StrawberryField) or not definition.is_basic_field:
            return None
        if definition.default_resolver is not getattr:
            return None
        inner = field_def.type
        if isinstance(inner, GraphQLNonNull):
            inner = inner.of_type
        if not is_leaf_type(inner):
            return None
        return _Leaf(definition.python_name, field_def, inner, details)

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """As graphql-core's, with plain leaves read and coerced in place."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, details, leaf in self._plan(parent_type, grouped_field_set):
                if leaf is not None:
                    results[response_name] = self._complete_leaf(
                        leaf, parent_type, source_value, path, response_name, position_context
                    )
                    value = results[response_name]
                    if type(value) not in _PLAIN and is_awaitable(value):
                        awaitable_fields.append(response_name)
                    continue
                field_path = Path(path, response_name, parent_type.name)
                result = self.execute_field(
                    parent_type, source_value, details, field_path, position_context
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[f] for f in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def _complete_leaf(
        self,
        leaf: _Leaf,
        parent_type: GraphQLObjectType,
        source: Any,
        path: Path | None,
        response_name: str,
        position_context: Any,
    ) -> Any:
        """The value graphql-core's `execute_field` would give a plain leaf field."""
        try:
            value = getattr(source, leaf.attr)
            kind = leaf.kind
            cls = type(value)
            if value is None:
                if leaf.non_null:
                    raise TypeError(
                        "Cannot return null for non-nullable field"
                        f" {parent_type}.{leaf.details[0].node.name.value}."
                    )
                return None
            if (
                (kind == 1 and cls is str)
                or (kind == 2 and cls is bool)
                or (kind == 3 and cls is int and _MIN_INT <= value <= _MAX_INT)
            ):
                return value
            if kind == 4 and cls is leaf.wrapped:
                name = leaf.enum_names.get(value)
                if name is None:
                    name = self.complete_leaf_value(leaf.leaf, value)
                    leaf.enum_names[value] = name
                return name
        except Exception as raw_error:
            field_path = Path(path, response_name, parent_type.name)
            self.handle_field_error(raw_error, leaf.field_def.type, leaf.details, field_path)
            return None
        # anything unusual: complete it exactly as graphql-core would, from the read value
        return self._complete_generic(
            leaf, parent_type, Path(path, response_name, parent_type.name), value, position_context
        )

    def _complete_generic(
        self,
        leaf: _Leaf,
        parent_type: GraphQLObjectType,
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[Any]:
        """The rest of graphql-core's `execute_field` after the resolver returned `result`."""
        details = leaf.details
        return_type = leaf.field_def.type
        info = self.build_resolve_info(leaf.field_def, [d.node for d in details], parent_type, path)
        try:
            if self.is_awaitable(result):
                return self.complete_awaitable_value(
                    return_type, details, info, path, result, position_context
                )
            completed = self.complete_value(
                return_type, details, info, path, result, position_context
            )
            if self.is_awaitable(completed):

                async def await_completed() -> Any:
                    try:
                        return await completed
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, return_type, details, path)
                        return None

                return await_completed()
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, details, path)
            return None
        return completed

    def complete_list_value(
        self,
        return_type: GraphQLList[GraphQLOutputType],
        field_details_list: FieldDetailsList,
        info: GraphQLResolveInfo[Any],
        path: Path,
        result: Any,
        position_context: Any,
    ) -> AwaitableOrValue[list[Any]]:
        """A list or tuple of plain objects (no `is_type_of`, no `@stream`) is completed item
        by item straight into the object's fields; anything else as graphql-core does."""
        item_type = return_type.of_type
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            type(result) not in (list, tuple)
            or not is_object_type(object_type)
            or object_type.is_type_of is not None
            or any(d.node.directives for d in field_details_list)
        ):
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        non_null = item_type is not object_type
        is_awaitable = self.is_awaitable
        # what `collect_and_execute_subfields` does per item, with the field set collected once
        grouped_field_set, new_defer_usages, _forbidden = self.collect_subfields(
            object_type, field_details_list
        )
        execute_fields = self.execute_fields
        deferring = bool(new_defer_usages) or position_context is not None

        def complete_object(item: Any, item_path: Path) -> Any:
            if deferring:
                return self.collect_and_execute_subfields(
                    object_type, field_details_list, item_path, item, position_context
                )
            return execute_fields(object_type, item, item_path, grouped_field_set, None)

        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(result):
                item_path = Path(path, index, None)
                if is_awaitable(item):
                    append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, field_details_list, info, item_path, position_context
                        )
                    )
                    awaitable_indices.append(index)
                    continue
                try:
                    if isinstance(item, Exception):
                        raise item
                    if item is None or item is Undefined:
                        if non_null:
                            raise TypeError(
                                "Cannot return null for non-nullable field"
                                f" {info.parent_type}.{info.field_name}."
                            )
                        append(None)
                        continue
                    completed = complete_object(item, item_path)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    append(None)
                    continue
                if is_awaitable(completed):
                    append(self._await_item(completed, item_type, field_details_list, item_path))
                    awaitable_indices.append(index)
                else:
                    append(completed)
        except Exception:
            if awaitable_indices:
                self.settle_in_background([completed_results[i] for i in awaitable_indices])
            raise

        if not awaitable_indices:
            return completed_results

        async def get_completed_results() -> list[Any]:
            awaited = await gather_with_cancel(*(completed_results[i] for i in awaitable_indices))
            for i, value in zip(awaitable_indices, awaited, strict=True):
                completed_results[i] = value
            return completed_results

        return get_completed_results()

    async def _await_item(
        self,
        completed: Any,
        item_type: GraphQLOutputType,
        field_details_list: FieldDetailsList,
        item_path: Path,
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            return None
