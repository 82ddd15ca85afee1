"""The domain enums, exposed to GraphQL under their own names (UPPER_CASE values).

`strawberry.enum` returns the class it is given, so type checkers see the domain enums.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import strawberry

from catalog import model

__all__ = [
    "CollectionMode",
    "DataFormat",
    "FieldType",
    "Grade",
    "HolderKind",
    "Lifecycle",
    "OpenType",
    "ResourceKind",
    "SharingMethod",
    "SharingType",
    "UpdateCycle",
]

if TYPE_CHECKING:
    from catalog.model import CollectionMode as CollectionMode
    from catalog.model import DataFormat as DataFormat
    from catalog.model import FieldType as FieldType
    from catalog.model import Grade as Grade
    from catalog.model import HolderKind as HolderKind
    from catalog.model import Kind as ResourceKind
    from catalog.model import Lifecycle as Lifecycle
    from catalog.model import OpenType as OpenType
    from catalog.model import SharingMethod as SharingMethod
    from catalog.model import SharingType as SharingType
    from catalog.model import UpdateCycle as UpdateCycle
else:
    ResourceKind = strawberry.enum(model.Kind, name="ResourceKind")
    Lifecycle = strawberry.enum(model.Lifecycle, name="Lifecycle")
    SharingType = strawberry.enum(model.SharingType, name="SharingType")
    OpenType = strawberry.enum(model.OpenType, name="OpenType")
    Grade = strawberry.enum(model.Grade, name="Grade")
    UpdateCycle = strawberry.enum(model.UpdateCycle, name="UpdateCycle")
    SharingMethod = strawberry.enum(model.SharingMethod, name="SharingMethod")
    DataFormat = strawberry.enum(model.DataFormat, name="DataFormat")
    FieldType = strawberry.enum(model.FieldType, name="FieldType")
    HolderKind = strawberry.enum(model.HolderKind, name="HolderKind")
    CollectionMode = strawberry.enum(model.CollectionMode, name="CollectionMode")
