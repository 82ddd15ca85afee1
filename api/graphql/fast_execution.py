"""A graphql-core execution context that completes plain selections without the generic path.

Why: a 100-item catalog page has ~3,000 fields, and almost all of them are attributes read
straight off a strawberry object (no resolver, no arguments, no directives). graphql-core
gives each one a resolve-info object, a strawberry resolver call, awaitable checks and a
recursive `complete_value`; that was most of the page's time. Here each selection set gets a
plan once per request (`fast_plan`): a scalar or enum is read with `getattr` and coerced
inline, an object or a list of objects is read the same way and its own selection executed
from its plan, and a field declaring a context resolver is resolved by calling it directly.

The answer, errors (located, with the same path and message, and null propagation to the
nearest nullable parent), null handling and the order of keys are those of the generic path,
which every other field still takes; anything unusual met on a plain field (an awaitable, an
exception value, an object that is not a strawberry type, an unknown scalar) is handed to it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from typing import Any

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
)
from graphql.execution.collect_fields import FieldDetailsList, GroupedFieldSet
from graphql.execution.executor import invalid_return_type_error
from graphql.pyutils import AwaitableOrValue, Path, Undefined, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from api.graphql.fast_leaves import LeafReader, ListReader, compile_leaves
from api.graphql.fast_plan import GENERIC, LEAF, LIST, OBJECT, Step, classify, plain_type_check

_MIN_INT, _MAX_INT = -(2**31), 2**31 - 1
_CAST = TYPE_CAST_ATTRIBUTE
# values that are never awaitable, so the awaitable check can be skipped
_DONE = frozenset((str, bool, int, float, dict, list, type(None)))


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's execution context with planned completion of plain selections."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # by the grouped field set's id; the entry keeps the set alive, so the id stays its own
        self._plans: dict[int, tuple[GraphQLObjectType, GroupedFieldSet, list[Step]]] = {}
        # classes whose instances are completed directly: strawberry types, not awaitable
        self._plain_classes: dict[type, bool] = {}
        self._leaf_readers: dict[int, tuple[LeafReader, ListReader] | None] = {}

    def build_response(self, data: dict[str, Any] | None) -> Any:
        """The response; then this request's plans, readers and collected sub-fields (all
        caches) are dropped. The context sits in reference cycles (graphql-core keeps its own
        bound methods), so what it holds waits for the collector: ~170 objects a page, a
        young collection (~5 ms here) every few dozen pages. Dropped, they are freed at once
        (~50 are left); work still running (incremental delivery) fills them again."""
        response = super().build_response(data)
        relevant = getattr(self, "_relevant_sub_fields", None)  # graphql-core's own memo
        if isinstance(relevant, dict):
            relevant.clear()
        self._plans.clear()
        self._leaf_readers.clear()
        self._plain_classes.clear()
        return response

    # planning

    def _plan(self, parent_type: GraphQLObjectType, fields: GroupedFieldSet) -> list[Step]:
        cached = self._plans.get(id(fields))
        if cached is not None and cached[0] is parent_type and cached[1] is fields:
            return cached[2]
        plan: list[Step] = []
        self._plans[id(fields)] = (parent_type, fields, plan)
        has_middleware = bool(self.middleware_manager and self.middleware_manager.middlewares)
        for name, details in fields.items():
            step = Step(name, details)
            schema_field = self.schema.get_field(parent_type, details[0].node.name.value)
            object_type = classify(step, schema_field, parent_type, has_middleware)
            if object_type is not None:
                sub_plan = self._sub_plan(object_type, details)
                if sub_plan is None:
                    step.kind = GENERIC
                else:
                    step.plan = sub_plan
                    self._set_leaf_readers(step)
            plan.append(step)
        return plan

    def _sub_plan(
        self, object_type: GraphQLObjectType, details: FieldDetailsList
    ) -> list[Step] | None:
        """The plan of an object's selection, or None when it defers anything."""
        grouped_field_set, new_defer_usages, _forbidden = self.collect_subfields(
            object_type, details
        )
        if new_defer_usages:
            return None
        return self._plan(object_type, grouped_field_set)

    def _set_leaf_readers(self, step: Step) -> None:
        """The compiled readers of a plan of plain leaves (`fast_leaves`), made once per
        plan."""
        key = id(step.plan)  # plans stay alive in `_plans`, so the id stays theirs
        if key not in self._leaf_readers:
            self._leaf_readers[key] = compile_leaves(step.plan)
        readers = self._leaf_readers[key]
        step.leaves, step.leaves_all = readers if readers is not None else (None, None)

    def _is_plain(self, value: Any) -> bool:
        """Whether `value` is of a class whose instances graphql-core would complete by just
        executing the selection on them: a strawberry type or another dataclass, neither an
        exception nor awaitable, with ordinary attribute access."""
        cls = type(value)
        plain = self._plain_classes.get(cls)
        if plain is None:
            plain = (
                (hasattr(cls, "__strawberry_definition__") or dataclasses.is_dataclass(cls))
                and not isinstance(value, BaseException)
                and not self.is_awaitable(value)
                and not hasattr(cls, "__await__")
                and not hasattr(cls, "__getattr__")
                and cls.__getattribute__ is object.__getattribute__
            )
            self._plain_classes[cls] = plain
        return plain

    # execution

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: GroupedFieldSet,
        position_context: Any,
    ) -> AwaitableOrValue[dict[str, Any]]:
        """As graphql-core's, with each field completed by its planned step."""
        if position_context is not None:  # incremental delivery: the generic path
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        return self._execute_plan(
            self._plan(parent_type, grouped_field_set), parent_type, source_value, path
        )

    def _execute_plan(
        self, plan: list[Step], parent_type: GraphQLObjectType, source: Any, path: Path | None
    ) -> AwaitableOrValue[dict[str, Any]]:
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for step in plan:
                kind = step.kind
                if kind == LEAF:  # the common cases inline; the rest in `_finish_leaf`
                    try:
                        value = getattr(source, step.attr)
                    except Exception as raw_error:
                        self._field_error(raw_error, step, Path(path, step.name, parent_type.name))
                        results[step.name] = None
                        continue
                    cls = type(value)
                    if cls is step.plain_type:
                        results[step.name] = value
                        continue
                    if cls is step.enum_type:
                        name = step.enum_names.get(value)
                        if name is not None:
                            results[step.name] = name
                            continue
                    value = self._finish_leaf(step, parent_type, path, value)
                elif kind == OBJECT:
                    value = self._complete_object_field(step, parent_type, source, path)
                elif kind == LIST:
                    value = self._complete_list_field(step, parent_type, source, path)
                else:
                    field_path = Path(path, step.name, parent_type.name)
                    value = self.execute_field(parent_type, source, step.details, field_path, None)
                    if value is Undefined:
                        continue
                results[step.name] = value
                if type(value) not in _DONE and is_awaitable(value):
                    awaitable_fields.append(step.name)
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

    def _read(self, step: Step, source: Any) -> Any:
        """The field's value from `source`; None for null or Undefined, which a non-null
        field refuses (TypeError, reported as the field's error)."""
        resolve = step.resolve
        value = (
            getattr(source, step.attr) if resolve is None else resolve(source, self.context_value)
        )
        if value is None or value is Undefined:
            if step.non_null:
                raise TypeError(f"Cannot return null for non-nullable field {step.label}.")
            return None
        return value

    def _finish_leaf(
        self, step: Step, parent_type: GraphQLObjectType, path: Path | None, value: Any
    ) -> Any:
        """The value graphql-core's `execute_field` would give a plain leaf field that read
        `value`."""
        try:
            kind = step.leaf_kind
            cls = type(value)
            if value is None:
                if step.non_null:
                    raise TypeError(f"Cannot return null for non-nullable field {step.label}.")
                return None
            if (
                (kind == 1 and cls is str)
                or (kind == 2 and cls is bool)
                or (kind == 3 and cls is int and _MIN_INT <= value <= _MAX_INT)
            ):
                return value
            if kind == 4 and cls is step.enum_type:
                assert step.leaf is not None
                name = self.complete_leaf_value(step.leaf, value)
                step.enum_names[value] = name
                return name
        except Exception as raw_error:
            self._field_error(raw_error, step, Path(path, step.name, parent_type.name))
            return None
        # anything unusual: complete it exactly as graphql-core would, from the read value
        return self._complete_generic(
            step, parent_type, Path(path, step.name, parent_type.name), value
        )

    def _complete_object_field(
        self, step: Step, parent_type: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        """An object field: read, then its selection executed from its plan."""
        field_path = None  # made when needed: an object of plain leaves needs none
        try:
            value = self._read(step, source)
            if value is None:
                return None
            plain = self._plain_classes.get(type(value))
            if not (self._is_plain(value) if plain is None else plain):
                field_path = Path(path, step.name, parent_type.name)
                return self._complete_generic(step, parent_type, field_path, value)
            assert step.object_type is not None
            if step.type_check is not None and not self._type_ok(step, value):
                raise invalid_return_type_error(step.object_type, value, step.details)
            if step.leaves is not None:
                done = step.leaves(value)
                if done is not None:
                    return done
            field_path = Path(path, step.name, parent_type.name)
            completed = self._execute_plan(step.plan, step.object_type, value, field_path)
        except Exception as raw_error:
            self._field_error(
                raw_error, step, field_path or Path(path, step.name, parent_type.name)
            )
            return None
        if isinstance(completed, dict):
            return completed
        return self._await_field(completed, step, field_path)

    @staticmethod
    def _type_ok(step: Step, value: Any) -> bool:
        """The type's `is_type_of(value)`. Without a cast (`strawberry.cast`, an attribute of
        the instance) strawberry's answer depends only on the value's class, so it is kept
        per class for instances that carry none (a page checks a hundred datasets)."""
        cls = type(value)
        known = step.type_ok.get(cls)
        if known is not None and _CAST not in value.__dict__:
            return known
        assert step.type_check is not None
        ok = bool(step.type_check(value, None))
        if (
            known is None
            and not hasattr(cls, _CAST)
            and isinstance(getattr(value, "__dict__", None), dict)
            and _CAST not in value.__dict__
        ):
            step.type_ok[cls] = ok
        return ok

    def _complete_list_field(
        self, step: Step, parent_type: GraphQLObjectType, source: Any, path: Path | None
    ) -> Any:
        """A list-of-objects field: read, then each item completed from the item plan (a
        list of plain leaves at once, needing no path unless it falls back)."""
        field_path = None
        try:
            value = self._read(step, source)
            if value is None:
                return None
            leaves_all = step.leaves_all
            if leaves_all is not None and step.type_check is None and type(value) is list:
                done = leaves_all(value, self._is_plain)
                if done is not None:
                    return done
            field_path = Path(path, step.name, parent_type.name)
            if type(value) not in (list, tuple):
                return self._complete_generic(step, parent_type, field_path, value)
            completed = self._complete_items(step, parent_type, None, field_path, value)
        except Exception as raw_error:
            self._field_error(
                raw_error, step, field_path or Path(path, step.name, parent_type.name)
            )
            return None
        if isinstance(completed, list):
            return completed
        return self._await_field(completed, step, field_path)

    def _field_error(self, raw_error: Exception, step: Step, path: Path) -> None:
        assert step.return_type is not None
        self.handle_field_error(raw_error, step.return_type, step.details, path)

    async def _await_field(self, completed: Awaitable[Any], step: Step, path: Path) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self._field_error(raw_error, step, path)
            return None

    def _complete_generic(
        self, step: Step, parent_type: GraphQLObjectType, path: Path, result: Any
    ) -> AwaitableOrValue[Any]:
        """The rest of graphql-core's `execute_field` after the resolver returned `result`."""
        details = step.details
        assert step.field_def is not None
        assert step.return_type is not None
        return_type = step.return_type
        info = self.build_resolve_info(step.field_def, [d.node for d in details], parent_type, path)
        try:
            if self.is_awaitable(result):
                return self.complete_awaitable_value(return_type, details, info, path, result, None)
            completed = self.complete_value(return_type, details, info, path, result, None)
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
        """A list or tuple of objects (of a type whose `is_type_of` needs no resolve info, no
        `@stream`) is completed item by item from the items' plan; anything else as
        graphql-core does."""
        item_type = return_type.of_type
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if (
            position_context is not None
            or type(result) not in (list, tuple)
            or not isinstance(object_type, GraphQLObjectType)
            or any(d.node.directives for d in field_details_list)
        ):
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        usable, check = plain_type_check(object_type)
        plan = self._sub_plan(object_type, field_details_list) if usable else None
        if plan is None:
            return super().complete_list_value(
                return_type, field_details_list, info, path, result, position_context
            )
        step = Step(info.field_name, field_details_list)
        step.kind = LIST
        step.object_type = object_type
        step.item_type = item_type
        step.item_non_null = item_type is not object_type
        step.type_check = check
        step.plan = plan
        self._set_leaf_readers(step)
        step.label = f"{info.parent_type.name}.{info.field_name}"
        return self._complete_items(step, info.parent_type, info, path, result)

    def _complete_items(
        self,
        step: Step,
        parent_type: GraphQLObjectType,
        info: GraphQLResolveInfo[Any] | None,
        path: Path,
        items: list[Any] | tuple[Any, ...],
    ) -> AwaitableOrValue[list[Any]]:
        """What graphql-core's `complete_iterable_value` gives for these items; plain objects
        are executed straight from the plan, anything else item by item as it would be."""
        object_type = step.object_type
        item_type = step.item_type
        assert object_type is not None
        assert item_type is not None
        plan = step.plan
        leaves = step.leaves
        type_check = step.type_check
        details = step.details
        is_plain = self._is_plain
        if step.leaves_all is not None and type_check is None:
            all_done = step.leaves_all(items, is_plain)  # all plain: one call for them all
            if all_done is not None:
                return all_done
        plain_classes = self._plain_classes
        execute_plan = self._execute_plan
        completed_results: list[Any] = []
        append = completed_results.append
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                plain = plain_classes.get(type(item))
                if plain is None:
                    plain = is_plain(item)
                if plain and leaves is not None and type_check is None:
                    done = leaves(item)  # plain leaves: no path needed unless it falls back
                    if done is not None:
                        append(done)
                        continue
                item_path = Path(path, index, None)
                if plain:
                    try:
                        if type_check is not None and not self._type_ok(step, item):
                            raise invalid_return_type_error(object_type, item, details)
                        if leaves is not None and type_check is not None:
                            done = leaves(item)
                            if done is not None:
                                append(done)
                                continue
                        completed = execute_plan(plan, object_type, item, item_path)
                    except Exception as raw_error:
                        self.handle_field_error(raw_error, item_type, details, item_path)
                        append(None)
                        continue
                    if type(completed) is dict:
                        append(completed)
                    else:
                        append(self._await_item(completed, item_type, details, item_path))
                        awaitable_indices.append(index)
                    continue
                if item is None and step.item_non_null:
                    try:
                        raise TypeError(f"Cannot return null for non-nullable field {step.label}.")
                    except TypeError as raw_error:
                        self.handle_field_error(raw_error, item_type, details, item_path)
                    append(None)
                    continue
                if item is None:
                    append(None)
                    continue
                # anything else: exactly graphql-core's per-item completion
                if info is None:
                    assert step.field_def is not None
                    info = self.build_resolve_info(
                        step.field_def, [d.node for d in details], parent_type, path
                    )
                if self.is_awaitable(item):
                    append(
                        self.complete_awaitable_list_item_value(
                            item, item_type, details, info, item_path, None
                        )
                    )
                    awaitable_indices.append(index)
                elif self.complete_list_item_value(
                    item, completed_results, item_type, details, info, item_path, None
                ):
                    awaitable_indices.append(index)
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
