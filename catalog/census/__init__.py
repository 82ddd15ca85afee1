"""Census import and export (资源普查): Excel/CSV templates, validated bulk import, Excel
export of catalog lists, and duplicate-system detection (应用查重).

Modules: `sheets` (the sheet descriptions everything else follows), `vocab` (Chinese labels of
the enums), `cells` (one cell to a value and back), `reader`/`xlsx` (files to rows),
`assemble` (rows to entities), `issues` (rule paths to cells), `lifecycle`, `importer` (the
use case), `report`, `writer` (templates and exports), `schema` (JSON Schemas), `duplicates`.
"""

from catalog.census.duplicates import DEFAULT_THRESHOLD, DuplicatePair, find_duplicate_systems
from catalog.census.importer import import_files
from catalog.census.report import ImportReport, RowProblem, write_report
from catalog.census.writer import export_csv, export_workbook, write_templates

__all__ = [
    "DEFAULT_THRESHOLD",
    "DuplicatePair",
    "ImportReport",
    "RowProblem",
    "export_csv",
    "export_workbook",
    "find_duplicate_systems",
    "import_files",
    "write_report",
    "write_templates",
]
