"""Where the demo's base libraries and themed profiles get their data (数据血缘).

Real-looking flows of Xiamen's data authority: the population and legal-person base libraries
gather from the registering departments, 一人一档/一企一档 from the base libraries and the
social-insurance records, the e-license library from the issuing departments. One flow has
stopped (`until`), so "as of" questions have something to show.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from catalog.model import Dataset, Derivation, Entity, FieldMapping

# derived dataset ← (source, job, since, until or None)
FLOWS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("350200-SJJ-00001", "350200-GA-00001", "人口库归集（公安户籍）", "2021-03-01", None),
    ("350200-SJJ-00001", "350200-GA-00005", "人口库归集（新生儿落户）", "2022-07-01", None),
    ("350200-SJJ-00001", "350200-GA-00004", "人口库归集（户口注销）", "2022-07-01", None),
    ("350200-SJJ-00002", "350200-SCJG-00001", "法人库归集（市场主体登记）", "2021-03-01", None),
    ("350200-SJJ-00003", "350200-SJJ-00001", "一人一档画像", "2023-01-01", None),
    ("350200-SJJ-00003", "350200-RS-00001", "一人一档画像（社保）", "2023-01-01", None),
    ("350200-SJJ-00003", "350200-YB-00001", "一人一档画像（医保）", "2023-01-01", None),
    ("350200-SJJ-00003", "350200-GJJ-00001", "一人一档画像（公积金）", "2023-01-01", "2024-06-30"),
    ("350200-SJJ-00004", "350200-SJJ-00002", "一企一档画像", "2023-01-01", None),
    ("350200-SJJ-00004", "350200-RS-00003", "一企一档画像（单位参保）", "2023-04-01", None),
    ("350200-SJJ-00004", "350200-SCJG-00007", "一企一档画像（经营异常）", "2023-04-01", None),
    ("350200-SJJ-00005", "350200-SCJG-00001", "电子证照归集（营业执照）", "2021-09-01", None),
    ("350200-SJJ-00005", "350200-SCJG-00002", "电子证照归集（食品经营许可证）", "2021-09-01", None),
    ("350200-SJJ-00005", "350200-WJ-00001", "电子证照归集（出生医学证明）", "2022-01-01", None),
    ("350200-SJJ-00006", "350200-SJJ-00005", "用证记录汇聚", "2022-01-01", None),
)


def _time(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=0, tzinfo=UTC)


def with_lineage(entities: list[Entity]) -> list[Entity]:
    """The entities with the demo's derivations attached to the derived datasets, column
    mappings included wherever source and target share a field name."""
    datasets = {e.code: e for e in entities if isinstance(e, Dataset)}
    derived: dict[str, list[Derivation]] = {}
    for target, source, job, since, until in FLOWS:
        if target not in datasets or source not in datasets:
            continue
        shared = sorted(
            {f.name for f in datasets[target].fields} & {f.name for f in datasets[source].fields}
        )
        derived.setdefault(target, []).append(
            Derivation(
                source=source,
                job=job,
                since=_time(since),
                until=_time(until) if until else None,
                fields=tuple(FieldMapping(source_field=n, target_field=n) for n in shared),
            )
        )
    return [
        dataclasses.replace(e, derived_from=tuple(derived[e.code]))
        if isinstance(e, Dataset) and e.code in derived
        else e
        for e in entities
    ]
