"""The census import use case: files in, one atomic ledger write (or none), a full report.

Every row is read and checked before anything is written: cell types and choices, the
ledger's rules, references (to the store or to other rows of the same import), ownership,
lifecycle direction. With problems, nothing is written — unless `skip_invalid`, which writes
the valid entities (and whatever does not depend on an invalid one) in one `Ledger.load`.
Entities equal to what the ledger holds are not written, so re-importing a file changes no
version; a changed row updates its entity in place.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from catalog.census.assemble import Parsed, assemble, cell_problem
from catalog.census.cells import CellError
from catalog.census.duplicates import DEFAULT_THRESHOLD, find_duplicate_systems
from catalog.census.issues import fix_for, issue_problem
from catalog.census.lifecycle import reconcile_system
from catalog.census.reader import RawSheet, UnreadableFile, read_file
from catalog.census.report import DuplicateFlag, ImportReport, RowProblem, write_report
from catalog.ledger import MAX_BULK, Ledger, utc_now
from catalog.model import KIND_OF, Department, Entity, Kind, Stored, System
from catalog.principal import Principal
from catalog.problems import FieldIssue, ValidationFailed
from catalog.relations import owner_of, references
from catalog.rules import validate_entity

Progress = Callable[[str, int], None]
"""Told (stage, how many more done): stages are "read", "check", "write"."""

_LOOKUP_CHUNK = 2000
_MAX_ROUNDS = 20


def import_files(
    paths: Sequence[Path],
    *,
    ledger: Ledger,
    principal: Principal,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    report_path: Path | None = None,
    clock: Callable[[], datetime] = utc_now,
    duplicate_threshold: float = DEFAULT_THRESHOLD,
) -> ImportReport:
    """Import census files (.xlsx, .csv) into the ledger as one batch; see the module doc."""
    tell = progress or (lambda _stage, _n: None)
    report = ImportReport(files=[p.name for p in paths])
    sheets: list[RawSheet] = []
    for path in paths:
        try:
            sheets += read_file(path, progress=lambda n: tell("read", n))
        except UnreadableFile as err:
            report.problems.append(_file_problem(path.name, "UNREADABLE", err.message,
                                                 err.message_en))  # fmt: skip
        except OSError as err:
            report.problems.append(
                _file_problem(path.name, "UNREADABLE", f"无法读取文件（{err.strerror}）",
                              f"cannot read the file ({err.strerror})")
            )  # fmt: skip
    batch = assemble(sheets)
    report.rows, report.entities = batch.rows, len(batch.items)
    report.problems += batch.problems
    report.notices += batch.notices
    tell("check", 0)
    items = batch.items
    invalid = {i for i, item in enumerate(items) if item.bad}
    if len(items) > MAX_BULK:
        report.problems.append(_file_problem("", "TOO_MANY", f"一次最多导入 {MAX_BULK} 项资源，"
                                             "请分批导入", f"at most {MAX_BULK} resources at "
                                             "once; split the files"))  # fmt: skip
        invalid = set(range(len(items)))
    stored = _stored(ledger, [item.entity for item in items])
    for i, item in enumerate(items):
        problems = _prepare(item, stored.get(_key(item)), principal, clock())
        if problems:
            report.problems += problems
            invalid.add(i)
    changed = [i for i, item in enumerate(items) if _differs(item, stored)]
    unchanged = {i for i in range(len(items))} - set(changed)
    if report.problems:
        # Complete the report: the rules and references of every row that would be written.
        check = sorted(set(changed) | invalid)
        for index, problem in _dry_run(ledger, items, check, _problem_keys(report)):
            report.problems.append(problem)
            if index is not None:
                invalid.add(index)
    tell("check", len(items))
    kept = len(unchanged - invalid)
    if report.problems and not skip_invalid:
        return _finish(report, items, ledger, invalid, kept, report_path, duplicate_threshold)
    write = [i for i in changed if i not in invalid]
    for _round in range(_MAX_ROUNDS):
        if not write:
            break
        subset = [items[i] for i in write]
        try:
            ledger.load(principal=principal, entities=[item.entity for item in subset])
        except ValidationFailed as failed:
            located = [issue_problem(subset, issue) for issue in failed.issues]
            report.problems += [problem for _index, problem in located]
            rejected = {write[index] for index, _problem in located if index is not None}
            invalid |= rejected
            if not skip_invalid or not rejected:
                return _finish(report, items, ledger, invalid, kept, report_path,
                               duplicate_threshold)  # fmt: skip
            # skip_invalid: drop what failed (it may have depended on a skipped row) and retry.
            write = [i for i in write if i not in rejected]
            continue
        report.written = True
        report.created = sum(1 for i in write if _key(items[i]) not in stored)
        report.updated = len(write) - report.created
        break
    else:
        report.problems.append(_file_problem("", "GAVE_UP", "依赖无效行的资源过多，未写入",
                                             "too many rows depend on invalid ones; nothing "
                                             "written"))  # fmt: skip
    tell("write", len(write))
    return _finish(report, items, ledger, invalid, kept, report_path, duplicate_threshold)


def _prepare(
    item: Parsed, found: Stored[Entity] | None, principal: Principal, now: datetime
) -> list[RowProblem]:
    """Ownership checks, and a system's lifecycle history settled against the stored one."""
    problems = _authorize(item, principal, found)
    if isinstance(item.entity, System):
        previous = found.entity if found else None
        assert previous is None or isinstance(previous, System)
        item.entity, more = reconcile_system(item, previous, principal=principal, now=now)
        problems += more
    return problems


def _differs(item: Parsed, stored: dict[tuple[Kind, str], Stored[Entity]]) -> bool:
    found = stored.get(_key(item))
    return found is None or found.entity != item.entity


def _finish(
    report: ImportReport,
    items: Sequence[Parsed],
    ledger: Ledger,
    invalid: set[int],
    unchanged: int,
    report_path: Path | None,
    threshold: float,
) -> ImportReport:
    report.skipped = len(invalid)
    report.unchanged = unchanged
    report.duplicates = _duplicates(ledger, items, threshold)
    if report_path is not None:
        report.report_path = write_report(report, report_path)
    return report


def _key(item: Parsed) -> tuple[Kind, str]:
    return KIND_OF[type(item.entity)], item.entity.code


def _stored(ledger: Ledger, entities: Sequence[Entity]) -> dict[tuple[Kind, str], Stored[Entity]]:
    refs = list(dict.fromkeys((KIND_OF[type(e)], e.code) for e in entities if e.code))
    out: dict[tuple[Kind, str], Stored[Entity]] = {}
    for start in range(0, len(refs), _LOOKUP_CHUNK):
        out.update(ledger.get_many(refs=refs[start : start + _LOOKUP_CHUNK]))
    return out


def _authorize(
    item: Parsed, principal: Principal, found: Stored[Entity] | None
) -> list[RowProblem]:
    """The principal may import this row: admins anything, operators their own department's."""
    entity = item.entity
    spec = item.main.spec
    fix, fix_en = fix_for("FORBIDDEN")
    if isinstance(entity, Department):
        if principal.is_admin:
            return []
        error = CellError("FORBIDDEN", "只有管理员可以导入部门", "only an admin may import "
                          "departments", fix, fix_en)  # fmt: skip
        return [cell_problem(item.main, spec.columns[0], error)]
    owners = [owner_of(entity)] + ([owner_of(found.entity)] if found else [])
    for owner in owners:
        if not principal.owns(owner):
            error = CellError(
                "FORBIDDEN",
                f"无权维护其他部门的资源（{entity.code} 属于 {owner}）",
                f"you may not maintain another department's resource ({entity.code} belongs "
                f"to {owner})",
                fix,
                fix_en,
            )
            return [cell_problem(item.main, spec.column("department"), error)]
    return []


def _problem_keys(report: ImportReport) -> set[tuple[str, str, int | None, str]]:
    return {(p.file, p.sheet, p.row, p.column) for p in report.problems}


def _dry_run(
    ledger: Ledger,
    items: Sequence[Parsed],
    indexes: Sequence[int],
    reported: set[tuple[str, str, int | None, str]],
) -> list[tuple[int | None, RowProblem]]:
    """The ledger's rules and reference checks over `indexes`, without writing.

    A problem at a cell that already has one (an unreadable value left a placeholder) is not
    repeated.
    """
    entities = [items[i].entity for i in indexes]
    known = {_key(item) for item in items}
    issues: list[FieldIssue] = []
    wanted: list[tuple[str, Kind, str]] = []
    for position, entity in enumerate(entities):
        prefix = f"[{position}]."
        issues += validate_entity(entity, prefix=prefix).issues
        wanted += [
            (prefix + r.path, r.kind, r.code)
            for r in references(entity)
            if (r.kind, r.code) not in known and r.code
        ]
    broken = {issue.path for issue in issues}
    wanted = [w for w in wanted if w[0] not in broken]
    present: set[tuple[Kind, str]] = set()
    refs = list(dict.fromkeys((kind, code) for _path, kind, code in wanted))
    for start in range(0, len(refs), _LOOKUP_CHUNK):
        present |= set(ledger.get_many(refs=refs[start : start + _LOOKUP_CHUNK]))
    for path, kind, code in wanted:
        if (kind, code) not in present:
            issues.append(_unknown(path, kind, code))
    subset = [items[i] for i in indexes]
    out: list[tuple[int | None, RowProblem]] = []
    for issue in issues:
        at, problem = issue_problem(subset, issue)
        if (problem.file, problem.sheet, problem.row, problem.column) in reported:
            continue
        out.append((None if at is None else indexes[at], problem))
    return out


def _unknown(path: str, kind: Kind, code: str) -> FieldIssue:
    from catalog.model import KIND_LABEL_ZH

    return FieldIssue(
        path,
        f"UNKNOWN_{kind.name}",
        f"{KIND_LABEL_ZH[kind]} {code} 不存在，请先登记或核对编码",
        f"{kind.value} {code} does not exist; register it first or check the code",
    )


def _file_problem(name: str, code: str, message: str, message_en: str) -> RowProblem:
    fix, fix_en = fix_for(code)
    return RowProblem(name, "", None, "", "", code, message, message_en, fix, fix_en)


def _duplicates(ledger: Ledger, items: Sequence[Parsed], threshold: float) -> list[DuplicateFlag]:
    """Near-duplicate pairs involving an imported system, against the whole ledger."""
    mine = {item.entity.code: item.entity for item in items if isinstance(item.entity, System)}
    if not mine:
        return []
    systems = {s.code: s for s in ledger.all(kind=Kind.SYSTEM) if isinstance(s, System)}
    systems.update(mine)
    pairs = find_duplicate_systems(list(systems.values()), threshold=threshold, focus=set(mine))
    return [DuplicateFlag(p.first, p.second, p.score, p.reason, p.reason_en) for p in pairs]
