"""The typed per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

from access.audit.log import AuditLog
from access.elicenses.calls import LicensedCalls
from access.elicenses.consent import Consents
from access.elicenses.issuance import ELicenses
from access.elicenses.status import StatusLists
from access.elicenses.trust import Trust
from access.sharing import Sharing
from api.graphql.loaders import Loaders
from catalog.ledger import Ledger
from catalog.lineage import Lineage
from catalog.once_only import OnceOnly
from catalog.principal import Principal


@dataclass
class Context:
    """Who is asking, the use cases, and this request's batch loaders."""

    principal: Principal
    ledger: Ledger
    loaders: Loaders
    sharing: Sharing
    lineage: Lineage
    once_only: OnceOnly
    elicenses: ELicenses
    consents: Consents
    calls: LicensedCalls
    status: StatusLists
    trust: Trust
    audit: AuditLog
    backend_error: Callable[[str], None] = field(default=lambda _backend: None)


Info = StrawberryInfo[Context, None]
