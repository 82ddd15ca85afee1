"""The census commands end to end on the embedded stores: template, import, export."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
import typer
from rdflib import Graph
from typer.testing import CliRunner

from api.census_cli import register
from catalog.census.writer import export_workbook
from catalog.demo import demo_entities


def cli() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """The `irs` app, for the census commands only."""

    register(app)
    return app


def test_template_import_and_exports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IRS_DATA_DIR", str(tmp_path / "data"))
    for name in ("IRS_GRAPH_URL", "IRS_RECORDS_URL"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()
    app = cli()
    result = runner.invoke(app, ["template", str(tmp_path / "tpl")])
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "tpl").glob("*.xlsx"))) == 8

    export_workbook(demo_entities(), tmp_path / "demo.xlsx")
    result = runner.invoke(app, ["import", str(tmp_path / "demo.xlsx")])
    assert result.exit_code == 0, result.output
    assert "534 created" in result.output
    assert "SYS-350200-0015 ~ SYS-350200-0020" in result.output

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "系统编码,系统名称,所属部门统一社会信用代码,生命周期\nX-1,某系统,123,运维\n", "utf-8"
    )
    result = runner.invoke(app, ["import", str(bad), "--report", str(tmp_path / "r.csv")])
    assert result.exit_code == 1
    assert "USCC_LENGTH" in (tmp_path / "r.csv").read_text("utf-8-sig")

    out = tmp_path / "shared.xlsx"
    result = runner.invoke(
        app,
        [
            "export",
            "excel",
            "--kind",
            "datasets",
            "--sharing-type",
            "无条件共享",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out)["信息资源"]
    column = [c.value for c in sheet[1]].index("共享类型")
    assert {row[column] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"无条件共享"}

    ttl = tmp_path / "catalog.ttl"
    result = runner.invoke(app, ["export", "dcat", "--format", "turtle", "--out", str(ttl)])
    assert result.exit_code == 0, result.output
    assert len(Graph().parse(ttl, format="turtle")) > 100
