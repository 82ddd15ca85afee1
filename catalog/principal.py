"""Who is asking: the authenticated principal every use case receives."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a client is for; a client has one role."""

    ADMIN = "admin"
    DEPARTMENT = "department"
    INTEGRATOR = "integrator"
    AUDITOR = "auditor"
    HOLDER_APP = "holder_app"  # the city's real-name app acting for e-license holders (亮证)


@dataclass(frozen=True)
class Principal:
    """An authenticated client: its id, display name, role and (for operators) department."""

    client_id: str
    name: str
    role: Role
    department: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    def owns(self, department: str | None) -> bool:
        """Whether this principal may maintain resources of `department`."""
        return self.is_admin or (
            self.role is Role.DEPARTMENT
            and department is not None
            and department == self.department
        )


SYSTEM_PRINCIPAL = Principal(client_id="system", name="IRS", role=Role.ADMIN)
