"""Census commands of the `irs` CLI: templates, import, DCAT and Excel export.

Registered on the main app by `register(app)`: ``irs template DIR``, ``irs import FILE…``,
``irs export dcat`` and ``irs export excel``.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.settings import Settings

if TYPE_CHECKING:
    from catalog.census.report import ImportReport
    from catalog.principal import Principal

export_app = typer.Typer(no_args_is_help=True, help="Export the catalog (DCAT-AP, Excel)")
SHOWN_PROBLEMS = 30
DEFAULT_REPORT = Path("导入问题清单.xlsx")

KINDS = {
    "departments": "Department",
    "components": "Component",
    "systems": "System",
    "data-elements": "DataElement",
    "datasets": "Dataset",
    "certificate-types": "CertificateType",
    "matters": "Matter",
    "one-things": "OneThing",
}


class RdfFormat(StrEnum):
    JSONLD = "jsonld"
    TURTLE = "turtle"
    XML = "xml"


def register(app: typer.Typer) -> None:
    """Add the census commands to the `irs` app."""
    app.command("template")(template)
    app.command("import")(import_census)
    app.add_typer(export_app, name="export")


def template(
    directory: Annotated[Path, typer.Argument(help="Folder to write the .xlsx templates into")],
) -> None:
    """Write the census templates (普查模板): one workbook per kind, with instructions."""
    from catalog.census.writer import write_templates

    for path in write_templates(directory):
        typer.echo(f"wrote {path}")


def import_census(
    files: Annotated[list[Path], typer.Argument(help=".xlsx or .csv census files")],
    skip_invalid: Annotated[
        bool, typer.Option(help="Import the valid rows, report the rest / 跳过有问题的行")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write the problems to this .xlsx or .csv file")
    ] = None,
    department: Annotated[
        str | None,
        typer.Option(help="Import as this department's operator (统一社会信用代码); default admin"),
    ] = None,
) -> None:
    """Import census files into the ledger: all rows valid, or nothing written."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from api.services import build_services
    from catalog.census.importer import import_files

    if report is None and skip_invalid:
        report = DEFAULT_REPORT
    services = build_services(Settings())
    stages = {"read": "读取 reading", "check": "校验 checking", "write": "写入 writing"}
    try:
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed} 行/rows"),
            TimeElapsedColumn(),
            transient=True,
        ) as bar:
            tasks = {k: bar.add_task(v, total=None, start=k == "read") for k, v in stages.items()}

            def progress(stage: str, advance: int) -> None:
                bar.start_task(tasks[stage])
                bar.advance(tasks[stage], advance)

            outcome = import_files(
                files,
                ledger=services.ledger,
                principal=_principal(department),
                skip_invalid=skip_invalid,
                progress=progress,
                report_path=report,
            )
    finally:
        services.close()
    _print(outcome)
    if outcome.problems and not outcome.written:
        raise typer.Exit(1)


def _principal(department: str | None) -> Principal:
    from catalog.principal import SYSTEM_PRINCIPAL, Principal, Role

    if department is None:
        return SYSTEM_PRINCIPAL
    return Principal(
        client_id="cli", name=f"{department} 普查导入", role=Role.DEPARTMENT, department=department
    )


def _print(outcome: ImportReport) -> None:
    for notice in outcome.notices:
        typer.echo(f"注意 / note: {notice}")
    for problem in outcome.problems[:SHOWN_PROBLEMS]:
        typer.echo(problem.line(), err=True)
    hidden = len(outcome.problems) - SHOWN_PROBLEMS
    if hidden > 0:
        typer.echo(f"…另有 {hidden} 处问题 / {hidden} more problems", err=True)
    for pair in outcome.duplicates:
        typer.echo(f"疑似重复系统 / possible duplicate: {pair.first} ~ {pair.second} "
                   f"({pair.score:.2f}) {pair.reason}")  # fmt: skip
    if outcome.report_path is not None:
        typer.echo(f"问题清单 / report: {outcome.report_path}")
    typer.echo(outcome.summary())


@export_app.command("dcat")
def export_dcat(
    format: Annotated[RdfFormat, typer.Option(help="jsonld | turtle | xml")] = RdfFormat.TURTLE,
    out: Annotated[Path | None, typer.Option(help="File to write (default: stdout)")] = None,
    base_url: Annotated[
        str, typer.Option(help="Public address of this IRS; IRIs are minted under it")
    ] = "http://localhost:8000/",
) -> None:
    """Publish the open catalog (无条件/有条件开放 datasets) as DCAT-AP 3."""
    from api.services import build_services
    from catalog.dcat import open_catalog, serialize, to_dcat

    services = build_services(Settings())
    try:
        datasets, departments = open_catalog(services.ledger)
    finally:
        services.close()
    fmt = {"jsonld": "json-ld", "turtle": "turtle", "xml": "xml"}[format.value]
    text = serialize(to_dcat(datasets, departments, base_url=base_url), fmt)
    if out is None:
        typer.echo(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {len(datasets)} datasets to {out}", err=True)


@export_app.command("excel")
def export_excel(
    kind: Annotated[str, typer.Option(help=" | ".join(KINDS))],
    out: Annotated[Path, typer.Option(help="The .xlsx file to write")],
    department: Annotated[str | None, typer.Option(help="Owner's 统一社会信用代码")] = None,
    sharing_type: Annotated[
        str | None, typer.Option(help="无条件共享 | 有条件共享 | 不予共享")
    ] = None,
    open_type: Annotated[
        str | None, typer.Option(help="无条件开放 | 有条件开放 | 不予开放")
    ] = None,
    grade: Annotated[str | None, typer.Option(help="一般 | 重要 | 核心")] = None,
    update_cycle: Annotated[str | None, typer.Option(help="实时 | 每日 | … | 不定期")] = None,
    lifecycle: Annotated[str | None, typer.Option(help="谋划 | 开发 | 运维 | 注销")] = None,
    name_contains: Annotated[str | None, typer.Option(help="Part of the name")] = None,
) -> None:
    """Export a filtered catalog list as a filled census workbook (re-importable)."""
    from api.services import build_services
    from catalog.census.vocab import parse_enum
    from catalog.census.writer import export_workbook
    from catalog.ledger import ListFilter
    from catalog.model import Grade, Kind, Lifecycle, OpenType, SharingType, UpdateCycle

    if kind not in KINDS:
        _fail(f"未知的类型 {kind} / unknown kind; use one of: {', '.join(KINDS)}")
    if out.suffix.lower() != ".xlsx":
        _fail("输出文件应为 .xlsx / --out must be an .xlsx file")
    equals: dict[str, str | int | bool] = {}
    given = {"sharing_type": (sharing_type, SharingType), "open_type": (open_type, OpenType),
             "grade": (grade, Grade), "update_cycle": (update_cycle, UpdateCycle),
             "lifecycle": (lifecycle, Lifecycle)}  # fmt: skip
    for prop, (text, enum) in given.items():
        if text is None:
            continue
        value = parse_enum(enum, text)
        if value is None:
            _fail(f"--{prop.replace('_', '-')} {text}：不是可选值 / not a valid choice")
        else:
            equals[prop] = value.value
    flt = ListFilter(department=department, equals=equals, name_contains=name_contains)
    services = build_services(Settings())
    try:
        entities = services.ledger.all(kind=Kind(KINDS[kind]), filter=flt)
    finally:
        services.close()
    rows = export_workbook(entities, out)
    typer.echo(f"wrote {len(entities)} {kind} ({rows} rows) to {out}")


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(2)
