"""OpenLineage in (https://openlineage.io/spec): turn a job's run event into catalog lineage.

Pipelines already report what they read and wrote as OpenLineage RunEvents; taking them in
keeps the ledger's lineage true without operators typing it twice. Only a COMPLETE event
changes lineage (a started, running, failed or aborted run proves nothing about the data);
other event types are validated and acknowledged, and are not stored.

For each output dataset of a COMPLETE event, every input becomes a `Derivation` (source =
the input's code, job = "<job namespace>/<job name>", since = eventTime), with the column
mappings of the output's `columnLineage` facet. A dataset that the output is already derived
from keeps its derivation: `since` moves only earlier, new column mappings are added, `job`
and `until` stay. Sending the same event again changes nothing (no version bump).

eventTime must be a date-time (RFC 3339; one without an offset is taken as UTC). Datasets
named only in an output's column lineage count as inputs too. A derivation that was closed
(`until`) is not reopened by later events.

Dataset names: in the catalog namespace (``irs`` unless configured) the OpenLineage name IS
the catalog code; any other (namespace, name) — ``postgres://db:5432`` + ``app.public.t`` —
maps to the stable code ``OL-`` + the first 16 hex digits of sha256("namespace/name").
Datasets the ledger does not know become unregistered placeholders owned by the posting
department (not shared, not open, so they never leak), listed for their owners to claim.
A placeholder output is graded as strictly as its strictest source. The ledger's rules still
hold for the merged result: since placeholders are 不予共享, a 无条件共享 dataset cannot be
derived from one until its owner claims and classifies it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import random
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from catalog.ledger import Ledger
from catalog.lineage import GRADE_ORDER, Lineage
from catalog.model import (
    Dataset,
    DatasetField,
    Derivation,
    FieldMapping,
    FieldType,
    Grade,
    Kind,
    OpenType,
    SharingType,
    UpdateCycle,
)
from catalog.principal import Principal, Role
from catalog.problems import Conflict, FieldIssue, Forbidden, Problem, ValidationFailed
from catalog.rules import GENERIC_CODE, MAX_NAME, validate_entity

CATALOG_NAMESPACE = "irs"
MAX_DATASETS = 200  # inputs, and outputs, of one event
MAX_COLUMNS = 2000  # schema fields, and column-lineage entries, of one dataset
MAX_TEXT = 1000  # namespaces, names, columns
UNKNOWN_FIELD = "未知"
PLACEHOLDER_CONDITION = "占位资源，未登记，暂不共享"
_RETRIES = 30


class EventType(StrEnum):
    """The run state transition an event reports."""

    START = "START"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    ABORT = "ABORT"
    FAIL = "FAIL"
    OTHER = "OTHER"


class InvalidEvent(ValidationFailed):
    """The body is not a well-formed OpenLineage RunEvent; each issue names its JSON path."""

    code = "INVALID_EVENT"


class DepartmentRequired(Problem):
    """Placeholders must be created but no (known) owning department was given."""

    code = "DEPARTMENT_REQUIRED"

    def __init__(self, given: str | None) -> None:
        super().__init__(
            f"需要指定占位资源的所属部门（{given or '未指定'} 不是已登记的部门）",
            f"a department must own the placeholders ({given or 'none given'} is not a "
            "registered department)",
        )
        self.given = given


@dataclass(frozen=True)
class ColumnSource:
    """One input column of an output column (columnLineage `inputFields[]`)."""

    code: str
    namespace: str
    name: str
    field: str


@dataclass(frozen=True)
class EventDataset:
    """An input or output of the event, with its catalog code."""

    namespace: str
    name: str
    code: str
    columns: tuple[DatasetField, ...] = ()
    lineage: tuple[tuple[str, tuple[ColumnSource, ...]], ...] = ()


@dataclass(frozen=True)
class RunEvent:
    """The parts of an OpenLineage RunEvent the ledger uses."""

    event_type: EventType | None
    event_time: datetime
    run_id: str
    job_namespace: str
    job_name: str
    inputs: tuple[EventDataset, ...]
    outputs: tuple[EventDataset, ...]

    @property
    def job(self) -> str:
        return f"{self.job_namespace}/{self.job_name}"


@dataclass(frozen=True)
class DerivationChange:
    """A derivation written: new (`added`), or given an earlier since / more columns."""

    dataset: str
    derivation: Derivation
    added: bool


@dataclass(frozen=True)
class IntakeResult:
    """What one event did: which placeholders were created and which derivations written."""

    event: RunEvent
    applied: bool
    created: tuple[str, ...] = ()
    derivations: tuple[DerivationChange, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.created or self.derivations)


def dataset_code(namespace: str, name: str, *, catalog_namespace: str = CATALOG_NAMESPACE) -> str:
    """The catalog code of an OpenLineage dataset (see the module docstring)."""
    if namespace == catalog_namespace:
        return name
    digest = hashlib.sha256(f"{namespace}/{name}".encode()).hexdigest()
    return "OL-" + digest[:16].upper()


def static_event_kind(body: object) -> str | None:
    """ "JobEvent" or "DatasetEvent" when the body says it is one (by its schemaURL)."""
    schema = body.get("schemaURL") if isinstance(body, dict) else None
    if isinstance(schema, str):
        for kind in ("JobEvent", "DatasetEvent"):
            if schema.endswith(f"/{kind}"):
                return kind
    return None


# -- parsing --------------------------------------------------------------------------------


def _issue(path: str, code: str, zh: str, en: str) -> FieldIssue:
    return FieldIssue(path, code, zh, en)


class _Reader:
    """Reads JSON values, collecting every problem with its path instead of stopping."""

    def __init__(self, catalog_namespace: str) -> None:
        self.issues: list[FieldIssue] = []
        self.catalog_namespace = catalog_namespace

    def obj(self, value: object, path: str, *, required: bool = True) -> dict[str, Any] | None:
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            self.issues.append(_issue(path, "NOT_AN_OBJECT", "应为 JSON 对象", "must be an object"))
            return None
        return value

    def list(self, value: object, path: str, limit: int) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.issues.append(_issue(path, "NOT_AN_ARRAY", "应为 JSON 数组", "must be an array"))
            return []
        if len(value) > limit:
            self.issues.append(
                _issue(path, "TOO_MANY", f"最多 {limit} 项", f"at most {limit} entries")
            )
            return []
        return value

    def text(self, value: object, path: str, *, required: bool = True) -> str:
        if value is None and not required:
            return ""
        if not isinstance(value, str) or (required and not value.strip()):
            self.issues.append(
                _issue(path, "REQUIRED", "应为非空字符串", "must be a non-empty string")
            )
            return ""
        if len(value) > MAX_TEXT:
            self.issues.append(
                _issue(
                    path,
                    "TOO_LONG",
                    f"不能超过 {MAX_TEXT} 个字符",
                    f"at most {MAX_TEXT} characters",
                )
            )
            return ""
        return value

    def code(self, namespace: str, name: str, path: str) -> str:
        code = dataset_code(namespace, name, catalog_namespace=self.catalog_namespace)
        if namespace == self.catalog_namespace and name and not GENERIC_CODE.match(code):
            self.issues.append(
                _issue(
                    path,
                    "NOT_A_CATALOG_CODE",
                    f"命名空间 {namespace} 中的 name 必须是资源代码"
                    "（字母、数字和 . _ / -，2–64 位）",
                    f"in namespace {namespace} the name must be a catalog code "
                    "(2–64 letters, digits and . _ / -)",
                )
            )
        return code

    def dataset(self, value: object, path: str, *, output: bool) -> EventDataset | None:
        item = self.obj(value, path)
        if item is None:
            return None
        namespace = self.text(item.get("namespace"), f"{path}.namespace")
        name = self.text(item.get("name"), f"{path}.name")
        code = self.code(namespace, name, f"{path}.name")
        facets = self.obj(item.get("facets"), f"{path}.facets", required=False) or {}
        columns = self.schema(facets.get("schema"), f"{path}.facets.schema")
        lineage = (
            self.column_lineage(facets.get("columnLineage"), f"{path}.facets.columnLineage")
            if output
            else ()
        )
        return EventDataset(namespace, name, code, columns, lineage)

    def schema(self, value: object, path: str) -> tuple[DatasetField, ...]:
        facet = self.obj(value, path, required=False)
        if facet is None:
            return ()
        columns: dict[str, DatasetField] = {}
        for i, raw in enumerate(self.list(facet.get("fields"), f"{path}.fields", MAX_COLUMNS)):
            column = self.obj(raw, f"{path}.fields[{i}]")
            if column is None:
                continue
            name = self.text(column.get("name"), f"{path}.fields[{i}].name")
            kind = self.text(column.get("type"), f"{path}.fields[{i}].type", required=False)
            about = self.text(
                column.get("description"), f"{path}.fields[{i}].description", required=False
            )
            if name and name not in columns:
                columns[name] = DatasetField(
                    name=name, data_type=field_type(kind), description=about
                )
        return tuple(columns.values())

    def column_lineage(
        self, value: object, path: str
    ) -> tuple[tuple[str, tuple[ColumnSource, ...]], ...]:
        facet = self.obj(value, path, required=False)
        if facet is None:
            return ()
        columns = self.obj(facet.get("fields"), f"{path}.fields")
        if columns is None:
            return ()
        if len(columns) > MAX_COLUMNS:
            self.issues.append(
                _issue(
                    f"{path}.fields", "TOO_MANY", f"最多 {MAX_COLUMNS} 项", f"at most {MAX_COLUMNS}"
                )
            )
            return ()
        out: list[tuple[str, tuple[ColumnSource, ...]]] = []
        for target, raw in columns.items():
            at = f"{path}.fields[{json.dumps(target, ensure_ascii=False)}]"
            self.text(target, at)
            entry = self.obj(raw, at)
            if entry is None:
                continue
            sources: list[ColumnSource] = []
            items = self.list(entry.get("inputFields"), f"{at}.inputFields", MAX_COLUMNS)
            for j, src in enumerate(items):
                p = f"{at}.inputFields[{j}]"
                field = self.obj(src, p)
                if field is None:
                    continue
                ns = self.text(field.get("namespace"), f"{p}.namespace")
                name = self.text(field.get("name"), f"{p}.name")
                column = self.text(field.get("field"), f"{p}.field")
                sources.append(ColumnSource(self.code(ns, name, f"{p}.name"), ns, name, column))
            out.append((target, tuple(sources)))
        return tuple(out)

    def time(self, value: object, path: str) -> datetime:
        text = self.text(value, path)
        try:
            if len(text) <= 10:  # a date alone is not a date-time
                raise ValueError(text)
            parsed = datetime.fromisoformat(text)
        except ValueError:
            if text:
                self.issues.append(
                    _issue(
                        path,
                        "NOT_A_DATE_TIME",
                        "应为 RFC 3339 日期时间，如 2024-05-01T10:00:00+08:00",
                        "must be an RFC 3339 date-time such as 2024-05-01T10:00:00+08:00",
                    )
                )
            return datetime.min.replace(tzinfo=UTC)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # naive: taken as UTC


def parse_run_event(body: object, *, catalog_namespace: str = CATALOG_NAMESPACE) -> RunEvent:
    """Check a decoded JSON body against the RunEvent shape; every problem at once."""
    r = _Reader(catalog_namespace)
    event = r.obj(body, "$")
    if event is None:
        raise InvalidEvent(r.issues)
    event_time = r.time(event.get("eventTime"), "eventTime")
    r.text(event.get("producer"), "producer")
    r.text(event.get("schemaURL"), "schemaURL")
    raw_type = event.get("eventType")
    event_type: EventType | None = None
    if raw_type is not None:
        if raw_type in EventType.__members__:
            event_type = EventType(raw_type)
        else:
            r.issues.append(
                _issue(
                    "eventType",
                    "UNKNOWN_EVENT_TYPE",
                    "应为 START、RUNNING、COMPLETE、ABORT、FAIL 或 OTHER",
                    "must be START, RUNNING, COMPLETE, ABORT, FAIL or OTHER",
                )
            )
    run = r.obj(event.get("run"), "run") or {}
    run_id = r.text(run.get("runId"), "run.runId")
    if run_id:
        try:
            uuid.UUID(run_id)
        except ValueError:
            r.issues.append(_issue("run.runId", "NOT_A_UUID", "应为 UUID", "must be a UUID"))
    job = r.obj(event.get("job"), "job") or {}
    job_namespace = r.text(job.get("namespace"), "job.namespace")
    job_name = r.text(job.get("name"), "job.name")
    sides: dict[str, list[EventDataset]] = {"inputs": [], "outputs": []}
    for side, found in sides.items():
        for i, raw in enumerate(r.list(event.get(side), side, MAX_DATASETS)):
            parsed = r.dataset(raw, f"{side}[{i}]", output=side == "outputs")
            if parsed is not None:
                found.append(parsed)
    if r.issues:
        raise InvalidEvent(r.issues)
    return RunEvent(
        event_type,
        event_time,
        run_id,
        job_namespace,
        job_name,
        tuple(sides["inputs"]),
        tuple(sides["outputs"]),
    )


_TYPES = {
    FieldType.INTEGER: ("INT", "INTEGER", "BIGINT", "SMALLINT", "TINYINT", "LONG", "SHORT"),
    FieldType.DECIMAL: ("DECIMAL", "NUMERIC", "NUMBER", "FLOAT", "DOUBLE", "REAL", "MONEY"),
    FieldType.DATE: ("DATE",),
    FieldType.DATETIME: ("TIMESTAMP", "TIMESTAMPTZ", "DATETIME", "TIMESTAMP_NTZ"),
    FieldType.BOOLEAN: ("BOOL", "BOOLEAN"),
    FieldType.BINARY: ("BINARY", "VARBINARY", "BLOB", "BYTEA", "BYTES"),
}
_TYPE_OF = {word: kind for kind, words in _TYPES.items() for word in words}


def field_type(ol_type: str) -> FieldType:
    """The catalog field type closest to a schema facet type ("varchar(20)" → STRING)."""
    word = ol_type.strip().upper().split("(")[0].split(" ")[0]
    return _TYPE_OF.get(word, FieldType.STRING)


# -- merging --------------------------------------------------------------------------------


def additions(event: RunEvent) -> dict[str, list[Derivation]]:
    """Per output code, the derivations the event proves (sources in order, no self-loops).

    Datasets named only in an output's column lineage count as inputs as well."""
    out: dict[str, list[Derivation]] = {}
    for output in event.outputs:
        mappings: dict[str, list[FieldMapping]] = {i.code: [] for i in event.inputs}
        for target, sources in output.lineage:
            for s in sources:
                mapping = FieldMapping(source_field=s.field, target_field=target)
                found = mappings.setdefault(s.code, [])
                if mapping not in found:
                    found.append(mapping)
        derived = out.setdefault(output.code, [])
        for source, fields in mappings.items():
            if source != output.code:
                derived.append(
                    Derivation(
                        source=source, job=event.job, since=event.event_time, fields=tuple(fields)
                    )
                )
    return out


def merge(
    current: Dataset, new: Sequence[Derivation], grades: Mapping[str, Grade] | None = None
) -> Dataset:
    """`current` with `new` derivations folded in (the same object when nothing changes).

    An existing derivation keeps its job and until, takes the earlier since and gains
    missing column mappings. An unregistered placeholder also gains the target columns it
    lacks and is raised to its strictest source's grade."""
    derived = {d.source: d for d in current.derived_from}
    for d in new:
        old = derived.get(d.source)
        if old is None:
            derived[d.source] = d
            continue
        since = old.since if old.since is None or d.since is None else min(old.since, d.since)
        fields = old.fields + tuple(f for f in d.fields if f not in old.fields)
        if since != old.since or fields != old.fields:
            derived[d.source] = dataclasses.replace(old, since=since, fields=fields)
    changes: dict[str, Any] = {}
    if tuple(derived.values()) != current.derived_from:
        changes["derived_from"] = tuple(derived.values())
    if current.unregistered:
        names = {f.name for f in current.fields}
        targets = {m.target_field: None for d in new for m in d.fields}
        missing = [DatasetField(name=t) for t in targets if t not in names]
        if missing:
            kept = () if current.fields == _UNKNOWN else current.fields
            changes["fields"] = kept + tuple(missing)
        known = grades or {}
        strictest = max(
            [current.grade, *(known.get(d.source, Grade.GENERAL) for d in new)],
            key=GRADE_ORDER.__getitem__,
        )
        if strictest != current.grade:
            changes["grade"] = strictest
    return dataclasses.replace(current, **changes) if changes else current


_UNKNOWN = (DatasetField(name=UNKNOWN_FIELD),)


def placeholder(dataset: EventDataset, *, department: str, extra_columns: Sequence[str]) -> Dataset:
    """An unregistered, unshared catalog entry standing for a dataset only OpenLineage knows."""
    columns = list(dataset.columns)
    names = {c.name for c in columns}
    columns += [DatasetField(name=c) for c in dict.fromkeys(extra_columns) if c not in names]
    label = f"{dataset.namespace}/{dataset.name}"
    name = dataset.name if len(dataset.name) <= MAX_NAME else dataset.name[: MAX_NAME - 1] + "…"
    return Dataset(
        code=dataset.code,
        name=name,
        department=department,
        summary=f"由 OpenLineage 事件自动创建的占位资源（{label}），待所属部门认领",
        fields=tuple(columns) or _UNKNOWN,
        sharing_type=SharingType.NOT_SHARED,
        sharing_condition=PLACEHOLDER_CONDITION,
        open_type=OpenType.NOT_OPEN,
        update_cycle=UpdateCycle.IRREGULAR,
        tags=("openlineage", f"ol:{label}"),
        unregistered=True,
    )


# -- the use case ---------------------------------------------------------------------------


class OpenLineageIntake:
    """Applies OpenLineage RunEvents to the ledger on behalf of an admin or a department.

    Everything is checked before anything is written (ownership, the ledger's rules and
    classification along lineage for the merged result); then placeholders are registered
    and each output's derivations are merged into its newest version, only if they differ.
    """

    def __init__(
        self,
        *,
        ledger: Ledger,
        lineage: Lineage,
        catalog_namespace: str = CATALOG_NAMESPACE,
    ) -> None:
        self._ledger = ledger
        self._lineage = lineage
        self.catalog_namespace = catalog_namespace

    def parse(self, body: object) -> RunEvent:
        """The RunEvent in a decoded JSON body; raises `InvalidEvent` naming each bad path."""
        return parse_run_event(body, catalog_namespace=self.catalog_namespace)

    @staticmethod
    def authorize(principal: Principal, department: str | None = None) -> None:
        """Admins and department operators may post; a department only for itself."""
        if principal.role not in (Role.ADMIN, Role.DEPARTMENT):
            raise Forbidden(
                "只有管理员和部门操作员可以报送血缘事件",
                "only admins and department operators may post lineage events",
            )
        if principal.role is Role.DEPARTMENT and department not in (None, principal.department):
            raise Forbidden(
                f"部门操作员只能为本部门报送血缘（不能指定部门 {department}）",
                f"a department operator posts lineage for its own department only "
                f"(not for {department})",
            )

    def apply(
        self, *, principal: Principal, event: RunEvent, department: str | None = None
    ) -> IntakeResult:
        """Turn a COMPLETE event into derivations (other event types change nothing).

        `department` owns the placeholders an admin's event creates; a department
        operator's placeholders are its own."""
        self.authorize(principal, department)
        if event.event_type is not EventType.COMPLETE:
            return IntakeResult(event, applied=False)
        wanted = additions(event)
        seen = named_datasets(event)
        stored = self._ledger.get_many(refs=[(Kind.DATASET, c) for c in seen])
        current = {
            code: s.entity for (_k, code), s in stored.items() if isinstance(s.entity, Dataset)
        }
        for code in wanted:
            owner = current[code].department if code in current else None
            if owner is not None and not principal.owns(owner):
                raise Forbidden(
                    f"无权为其他部门的信息资源报送血缘（{code} 属于 {owner}）",
                    f"you may not write lineage into another department's dataset "
                    f"({code} belongs to {owner})",
                )
        missing = [c for c in seen if c not in current]
        owner_code = self._owner(principal, department) if missing else ""
        used = _source_columns(event)
        new = {
            c: placeholder(seen[c], department=owner_code, extra_columns=used.get(c, []))
            for c in missing
        }
        planned: dict[str, Dataset] = {**current, **new}
        grades = {c: d.grade for c, d in planned.items()}
        self._check(event, wanted, planned, grades)
        created = [c for c in missing if self._create(principal, new[c])]
        changes: list[DerivationChange] = []
        for code, derivations in wanted.items():
            changes += self._write(principal, code, derivations, grades)
        return IntakeResult(event, True, tuple(created), tuple(changes))

    def _owner(self, principal: Principal, department: str | None) -> str:
        code = principal.department if principal.role is Role.DEPARTMENT else department
        if not code or self._ledger.get(kind=Kind.DEPARTMENT, code=code) is None:
            raise DepartmentRequired(code)
        return code

    def _check(
        self,
        event: RunEvent,
        wanted: Mapping[str, Sequence[Derivation]],
        planned: Mapping[str, Dataset],
        grades: Mapping[str, Grade],
    ) -> None:
        final = {c: merge(planned[c], wanted[c], grades) for c in wanted}
        batch = {**planned, **final}
        issues: list[FieldIssue] = []
        for j, output in enumerate(event.outputs):
            ds = final.pop(output.code, None)  # each output once, at its first path
            if ds is None or ds is planned[output.code]:
                continue
            prefix = f"outputs[{j}]."
            issues += validate_entity(ds, prefix=prefix).issues
            issues += [
                FieldIssue(prefix + x.path, x.code, x.message, x.message_en)
                for x in self._lineage.classification_issues([ds], batch)
            ]
        if issues:
            raise ValidationFailed(issues)

    def _create(self, principal: Principal, entity: Dataset) -> bool:
        try:
            self._ledger.register(principal=principal, entity=entity)
        except Conflict:  # registered meanwhile by someone else: it is no longer missing
            return False
        return True

    def _write(
        self,
        principal: Principal,
        code: str,
        derivations: Sequence[Derivation],
        grades: Mapping[str, Grade],
    ) -> list[DerivationChange]:
        for attempt in range(_RETRIES):
            stored = self._ledger.get(kind=Kind.DATASET, code=code)
            before = stored.entity if stored is not None else None
            if stored is None or not isinstance(before, Dataset):
                return []  # deleted meanwhile: nothing to derive into
            after = merge(before, derivations, grades)
            if after is before:
                return []
            patch = {
                name: getattr(after, name)
                for name in ("derived_from", "fields", "grade")
                if getattr(after, name) != getattr(before, name)
            }
            try:
                self._ledger.update(
                    principal=principal,
                    kind=Kind.DATASET,
                    code=code,
                    changes=patch,
                    expected_version=stored.version,
                )
            except Conflict:  # written meanwhile: merge again into the newer version
                time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))  # noqa: S311
                continue
            old = {d.source: d for d in before.derived_from}
            return [
                DerivationChange(code, d, added=d.source not in old)
                for d in after.derived_from
                if old.get(d.source) != d
            ]
        raise Conflict("并发修改过于频繁，请稍后重试", "too many concurrent updates; retry later")


def named_datasets(event: RunEvent) -> dict[str, EventDataset]:
    """Every dataset the event names, by code: outputs, inputs, then column-lineage sources."""
    seen: dict[str, EventDataset] = {}
    for d in (*event.outputs, *event.inputs):
        seen.setdefault(d.code, d)
    for output in event.outputs:
        for _target, sources in output.lineage:
            for s in sources:
                seen.setdefault(s.code, EventDataset(s.namespace, s.name, s.code))
    return seen


def _source_columns(event: RunEvent) -> dict[str, list[str]]:
    """Per source code, the columns the event's column lineage reads from it."""
    used: dict[str, list[str]] = {}
    for output in event.outputs:
        for _target, sources in output.lineage:
            for s in sources:
                used.setdefault(s.code, []).append(s.field)
    return used
