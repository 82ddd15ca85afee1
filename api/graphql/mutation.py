"""Write side: register, patch and move resources. Each returns the resource or a problem."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeAlias

import strawberry

from api.graphql import inputs
from api.graphql.context import Info
from api.graphql.enums import Lifecycle
from api.graphql.nodes import (
    CertificateType,
    Component,
    DataElement,
    Dataset,
    Department,
    Matter,
    OneThing,
    System,
    to_node,
)
from api.graphql.problems import AnyProblem, attempt
from catalog import model
from catalog.model import Entity, Kind, Stored

DepartmentResult: TypeAlias = Annotated[
    Department | AnyProblem, strawberry.union("DepartmentResult")
]
SystemResult: TypeAlias = Annotated[System | AnyProblem, strawberry.union("SystemResult")]
ComponentResult: TypeAlias = Annotated[Component | AnyProblem, strawberry.union("ComponentResult")]
DatasetResult: TypeAlias = Annotated[Dataset | AnyProblem, strawberry.union("DatasetResult")]
DataElementResult: TypeAlias = Annotated[
    DataElement | AnyProblem, strawberry.union("DataElementResult")
]
CertificateTypeResult: TypeAlias = Annotated[
    CertificateType | AnyProblem, strawberry.union("CertificateTypeResult")
]
MatterResult: TypeAlias = Annotated[Matter | AnyProblem, strawberry.union("MatterResult")]
OneThingResult: TypeAlias = Annotated[OneThing | AnyProblem, strawberry.union("OneThingResult")]


def _run(info: Info, action: Callable[[], Stored[Entity]]) -> Any:
    return attempt(lambda: to_node(action()), backend_error=info.context.backend_error)


def _register(info: Info, cls: type[Any], value: Any) -> Any:
    def act() -> Stored[Entity]:
        entity = inputs.to_entity(cls, value)
        return info.context.ledger.register(principal=info.context.principal, entity=entity)

    return _run(info, act)


def _update(info: Info, kind: Kind, code: str, patch: Any, expected_version: int | None) -> Any:
    def act() -> Stored[Entity]:
        changes = inputs.to_patch(model.TYPE_OF[kind], patch)
        return info.context.ledger.update(
            principal=info.context.principal,
            kind=kind,
            code=code,
            changes=changes,
            expected_version=expected_version,
        )

    return _run(info, act)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Register a department (admins).")
    def register_department(self, info: Info, input: inputs.DepartmentInput) -> DepartmentResult:
        return _register(info, model.Department, input)

    @strawberry.mutation
    def update_department(
        self,
        info: Info,
        code: str,
        patch: inputs.DepartmentPatch,
        expected_version: int | None = None,
    ) -> DepartmentResult:
        return _update(info, Kind.DEPARTMENT, code, patch, expected_version)

    @strawberry.mutation(description="Register an application system of your department.")
    def register_system(self, info: Info, input: inputs.SystemInput) -> SystemResult:
        return _register(info, model.System, input)

    @strawberry.mutation
    def update_system(
        self, info: Info, code: str, patch: inputs.SystemPatch, expected_version: int | None = None
    ) -> SystemResult:
        return _update(info, Kind.SYSTEM, code, patch, expected_version)

    @strawberry.mutation(
        description="Move a system forward: PLANNED → DEVELOPING → OPERATING → DECOMMISSIONED."
    )
    def move_system_lifecycle(
        self,
        info: Info,
        code: str,
        to: Lifecycle,
        note: str = "",
        expected_version: int | None = None,
        force: bool = False,
    ) -> SystemResult:
        return _run(
            info,
            lambda: info.context.ledger.move_lifecycle(
                principal=info.context.principal,
                code=code,
                to=model.Lifecycle(to),
                note=note,
                expected_version=expected_version,
                force=force,
            ),
        )

    @strawberry.mutation
    def register_component(self, info: Info, input: inputs.ComponentInput) -> ComponentResult:
        return _register(info, model.Component, input)

    @strawberry.mutation
    def update_component(
        self,
        info: Info,
        code: str,
        patch: inputs.ComponentPatch,
        expected_version: int | None = None,
    ) -> ComponentResult:
        return _update(info, Kind.COMPONENT, code, patch, expected_version)

    @strawberry.mutation(description="Register a catalog entry (信息资源) with its fields.")
    def register_dataset(self, info: Info, input: inputs.DatasetInput) -> DatasetResult:
        return _register(info, model.Dataset, input)

    @strawberry.mutation
    def update_dataset(
        self, info: Info, code: str, patch: inputs.DatasetPatch, expected_version: int | None = None
    ) -> DatasetResult:
        return _update(info, Kind.DATASET, code, patch, expected_version)

    @strawberry.mutation
    def register_data_element(
        self, info: Info, input: inputs.DataElementInput
    ) -> DataElementResult:
        return _register(info, model.DataElement, input)

    @strawberry.mutation
    def update_data_element(
        self,
        info: Info,
        code: str,
        patch: inputs.DataElementPatch,
        expected_version: int | None = None,
    ) -> DataElementResult:
        return _update(info, Kind.DATA_ELEMENT, code, patch, expected_version)

    @strawberry.mutation
    def register_certificate_type(
        self, info: Info, input: inputs.CertificateTypeInput
    ) -> CertificateTypeResult:
        return _register(info, model.CertificateType, input)

    @strawberry.mutation
    def update_certificate_type(
        self,
        info: Info,
        code: str,
        patch: inputs.CertificateTypePatch,
        expected_version: int | None = None,
    ) -> CertificateTypeResult:
        return _update(info, Kind.CERTIFICATE_TYPE, code, patch, expected_version)

    @strawberry.mutation
    def register_matter(self, info: Info, input: inputs.MatterInput) -> MatterResult:
        return _register(info, model.Matter, input)

    @strawberry.mutation
    def update_matter(
        self, info: Info, code: str, patch: inputs.MatterPatch, expected_version: int | None = None
    ) -> MatterResult:
        return _update(info, Kind.MATTER, code, patch, expected_version)

    @strawberry.mutation
    def register_one_thing(self, info: Info, input: inputs.OneThingInput) -> OneThingResult:
        return _register(info, model.OneThing, input)

    @strawberry.mutation
    def update_one_thing(
        self,
        info: Info,
        code: str,
        patch: inputs.OneThingPatch,
        expected_version: int | None = None,
    ) -> OneThingResult:
        return _update(info, Kind.ONE_THING, code, patch, expected_version)
