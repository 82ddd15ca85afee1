"""Census over GraphQL: spreadsheet upload for department operators, and 应用查重 for admins."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Annotated, Any, TypeAlias

import strawberry
from strawberry.file_uploads import Upload

from api.graphql.connection import forbidden
from api.graphql.context import Info
from api.graphql.nodes import System, to_node
from api.graphql.problems import AnyProblem, as_problem
from catalog.census.duplicates import find_duplicate_systems
from catalog.census.importer import import_files
from catalog.census.report import ImportReport
from catalog.ledger import Ledger
from catalog.model import Kind
from catalog.model import System as SystemEntity
from catalog.principal import Role
from catalog.problems import FieldIssue, Forbidden, ValidationFailed

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
SUFFIXES = (".xlsx", ".csv")


def all_systems(ledger: Ledger) -> list[SystemEntity]:
    """Every system of the ledger."""
    return [s for s in ledger.all(kind=Kind.SYSTEM) if isinstance(s, SystemEntity)]


@strawberry.type(description="Two systems that look like one system registered twice (应用查重).")
class DuplicateSystemPair:
    first_code: str
    second_code: str
    score: float
    reason: str
    reason_en: str

    @strawberry.field
    async def first(self, info: Info) -> System | None:
        stored = await info.context.loaders.entity.load((Kind.SYSTEM, self.first_code))
        return None if stored is None else to_node(stored)

    @strawberry.field
    async def second(self, info: Info) -> System | None:
        stored = await info.context.loaders.entity.load((Kind.SYSTEM, self.second_code))
        return None if stored is None else to_node(stored)


@strawberry.type(description="One problem in an uploaded census file, and how to fix it.")
class CensusProblem:
    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    code: str
    message: str
    message_en: str
    fix: str
    fix_en: str


@strawberry.type(
    description="What a census upload did: nothing is written unless every row is valid."
)
class CensusImport:
    files: list[str]
    rows: int
    entities: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    written: bool
    problems: list[CensusProblem]
    duplicates: list[DuplicateSystemPair]

    @classmethod
    def of(cls, report: ImportReport) -> CensusImport:
        return cls(
            files=report.files,
            rows=report.rows,
            entities=report.entities,
            created=report.created,
            updated=report.updated,
            unchanged=report.unchanged,
            skipped=report.skipped,
            written=report.written,
            problems=[
                CensusProblem(
                    file=p.file,
                    sheet=p.sheet,
                    row=p.row,
                    column=p.column,
                    value=p.value,
                    code=p.code,
                    message=p.message,
                    message_en=p.message_en,
                    fix=p.fix,
                    fix_en=p.fix_en,
                )
                for p in report.problems
            ],
            duplicates=[
                DuplicateSystemPair(
                    first_code=d.first,
                    second_code=d.second,
                    score=d.score,
                    reason=d.reason,
                    reason_en=d.reason_en,
                )
                for d in report.duplicates
            ],
        )


CensusImportResult: TypeAlias = Annotated[
    CensusImport | AnyProblem, strawberry.union("CensusImportResult")
]


@strawberry.type
class CensusQuery:
    @strawberry.field(description="Near-duplicate systems across the ledger (admins and auditors).")
    def duplicate_systems(self, info: Info, threshold: float = 0.6) -> list[DuplicateSystemPair]:
        if info.context.principal.role not in (Role.ADMIN, Role.AUDITOR):
            raise forbidden(
                "仅管理员和审计人员可查看应用查重结果",
                "only admins and auditors list duplicate systems",
            )
        pairs = find_duplicate_systems(all_systems(info.context.ledger), threshold=threshold)
        return [
            DuplicateSystemPair(
                first_code=p.first,
                second_code=p.second,
                score=p.score,
                reason=p.reason,
                reason_en=p.reason_en,
            )
            for p in pairs
        ]


@strawberry.type
class CensusMutation:
    @strawberry.mutation(description="Import census spreadsheets (.xlsx/.csv) of your department.")
    async def import_census(
        self, info: Info, files: list[Upload], skip_invalid: bool = False
    ) -> CensusImportResult:
        principal = info.context.principal
        try:
            if principal.role not in (Role.ADMIN, Role.DEPARTMENT):
                raise Forbidden(
                    "只有部门和管理员可以导入普查表",
                    "only departments and admins import census files",
                )
            with tempfile.TemporaryDirectory() as tmp:
                paths = [await _save(upload, Path(tmp), i) for i, upload in enumerate(files)]
                report = await asyncio.to_thread(
                    import_files,
                    paths,
                    ledger=info.context.ledger,
                    principal=principal,
                    skip_invalid=skip_invalid,
                )
            return CensusImport.of(report)
        except Exception as exc:
            return as_problem(exc, backend_error=info.context.backend_error)
        finally:
            for upload in files:  # the request's spooled files; ours to close
                close = getattr(upload, "close", None)
                if close is not None:
                    await close()


async def _save(upload: Any, folder: Path, index: int) -> Path:
    name = Path(str(getattr(upload, "filename", "") or f"upload-{index}")).name
    if not name.lower().endswith(SUFFIXES):
        raise ValidationFailed(
            [
                FieldIssue(
                    f"files[{index}]",
                    "FILE_TYPE",
                    "只接受 .xlsx 或 .csv 文件",
                    "only .xlsx or .csv files are accepted",
                )
            ]
        )
    data = await upload.read()
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed(
            [
                FieldIssue(
                    f"files[{index}]",
                    "TOO_LARGE",
                    "单个文件不能超过 50 MB",
                    "a file may not exceed 50 MB",
                )
            ]
        )
    path = folder / f"{index}-{name}"
    path.write_bytes(data)
    return path
