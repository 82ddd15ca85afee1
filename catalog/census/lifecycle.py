"""A system's lifecycle on import: the history a sheet gives, or the one the ledger keeps.

A 生命周期记录 sheet, when given for a system, is its whole history and must be a chain ending
in the system's 生命周期. Without one, the stored history is kept; a forward move appends an
event (who imported it, when); a new system starts with one 普查登记 event. The lifecycle never
moves backward, on import as in the API.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from catalog.census.assemble import Origin, Parsed, cell_problem
from catalog.census.cells import CellError
from catalog.census.report import RowProblem
from catalog.census.sheets import LIFECYCLE_EVENTS, SYSTEMS
from catalog.census.vocab import label
from catalog.model import LIFECYCLE_ORDER, Lifecycle, LifecycleEvent, System
from catalog.principal import Principal

REGISTERED_NOTE = "普查登记"
MOVED_NOTE = "普查导入"


def reconcile_system(
    item: Parsed, stored: System | None, *, principal: Principal, now: datetime
) -> tuple[System, list[RowProblem]]:
    """The system to write (with its lifecycle history) and any lifecycle problems."""
    system = item.entity
    assert isinstance(system, System)
    problems: list[RowProblem] = []
    if stored is not None and _order(system.lifecycle) < _order(stored.lifecycle):
        problems.append(_backward(item.main, stored.lifecycle, system.lifecycle))
    rows = item.children.get("lifecycle_events")
    if rows:
        return system, problems + _check_history(system, item.main, rows)
    if stored is None:
        first = LifecycleEvent(
            from_state=None, to_state=system.lifecycle, at=now, by=principal.name,
            note=REGISTERED_NOTE,
        )  # fmt: skip
        return dataclasses.replace(system, lifecycle_events=(first,)), problems
    events = stored.lifecycle_events
    if _order(system.lifecycle) > _order(stored.lifecycle):
        move = LifecycleEvent(
            from_state=stored.lifecycle, to_state=system.lifecycle, at=now, by=principal.name,
            note=MOVED_NOTE,
        )  # fmt: skip
        events = (*events, move)
    return dataclasses.replace(system, lifecycle_events=events), problems


def _order(state: Lifecycle) -> int:
    return LIFECYCLE_ORDER.index(state)


def _backward(origin: Origin, stored: Lifecycle, wanted: Lifecycle) -> RowProblem:
    return cell_problem(
        origin,
        SYSTEMS.column("lifecycle"),
        CellError(
            "LIFECYCLE_BACKWARD",
            f"生命周期只能向前推进：台账中为“{label(stored)}”，不能改为“{label(wanted)}”",
            f"lifecycle only moves forward: the ledger has {stored.value}, not {wanted.value}",
            f"请填写“{label(stored)}”或之后的状态",
            f"use {stored.value} or a later state",
        ),
    )


def _check_history(system: System, main: Origin, rows: list[Origin]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    events = system.lifecycle_events
    for k in range(1, len(events)):
        before, event = events[k - 1], events[k]
        if event.from_state != before.to_state:
            problems.append(
                cell_problem(
                    rows[k],
                    LIFECYCLE_EVENTS.column("fromState"),
                    CellError(
                        "LIFECYCLE_CHAIN",
                        f"原状态应为上一条记录的新状态“{label(before.to_state)}”",
                        f"the previous state must be the last record's new state "
                        f"{before.to_state.value}",
                        "请按时间顺序逐条填写状态变更",
                        "list the changes in order, each starting where the last ended",
                    ),
                )
            )
        elif event.at < before.at:
            problems.append(
                cell_problem(
                    rows[k],
                    LIFECYCLE_EVENTS.column("at"),
                    CellError(
                        "LIFECYCLE_TIME",
                        "变更时间早于上一条记录",
                        "the change is dated before the previous one",
                        "请核对时间，记录须按时间先后排列",
                        "check the time; records must be in time order",
                    ),
                )
            )
    if events and events[-1].to_state is not system.lifecycle:
        problems.append(
            cell_problem(
                main,
                SYSTEMS.column("lifecycle"),
                CellError(
                    "LIFECYCLE_HISTORY",
                    f"生命周期与生命周期记录的最后状态“{label(events[-1].to_state)}”不一致",
                    f"lifecycle differs from the last recorded state {events[-1].to_state.value}",
                    "请使两者一致",
                    "make them agree",
                ),
            )
        )
    return problems
