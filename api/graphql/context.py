"""The typed per-request context every resolver receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

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
    backend_error: Callable[[str], None] = field(default=lambda _backend: None)


Info = StrawberryInfo[Context, None]
