"""The domain enums, exposed to GraphQL under their own names (UPPER_CASE values)."""

from __future__ import annotations

import strawberry

from catalog import model

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
