"""Demo mode: the Xiamen demo catalog and ready-made tokens, one per role."""

from __future__ import annotations

from dataclasses import dataclass

from api.demo_elicenses import seed_demo_consent, seed_demo_elicenses
from api.services import Services
from catalog.demo import demo_entities
from catalog.ledger import ListFilter
from catalog.model import Kind
from catalog.principal import SYSTEM_PRINCIPAL, Role

MARKET_REGULATION = "市市场监管局"
# Published in the README on purpose; demo mode is refused in production.
DEMO_SECRET = "xiamen-demo-2024"  # noqa: S105


@dataclass(frozen=True)
class DemoToken:
    """A demo client's role, department and token, printed at start-up."""

    role: Role
    name: str
    department: str | None
    token: str


def load_demo(services: Services) -> int:
    """Load the demo catalog unless the store already holds departments; returns how many."""
    if services.ledger.count(kind=Kind.DEPARTMENT, filter=ListFilter()) > 0:
        return 0
    return services.ledger.load(principal=SYSTEM_PRINCIPAL, entities=demo_entities())


def demo_department_code(services: Services) -> str:
    """The code of the demo's market-regulation bureau (the department token's owner)."""
    page = services.ledger.page(
        kind=Kind.DEPARTMENT, filter=ListFilter(name_contains="市场监督管理局"), after=None, first=1
    )
    if not page.items:
        raise RuntimeError("demo catalog has no market regulation bureau")
    return page.items[0].entity.code


def demo_tokens(services: Services) -> list[DemoToken]:
    """Create (or re-create) the demo clients with fixed, documented tokens."""
    scjg = demo_department_code(services)
    wanted = [
        (Role.ADMIN, "demo-admin", "市数据管理局 管理员", None),
        (Role.DEPARTMENT, "demo-scjg", f"{MARKET_REGULATION} 业务员", scjg),
        (Role.INTEGRATOR, "demo-integrator", "集成商 示例", None),
        (Role.AUDITOR, "demo-auditor", "审计 示例", None),
        (Role.HOLDER_APP, "demo-holder-app", "i厦门 持证人应用", None),
    ]
    tokens = []
    for role, client_id, name, dept in wanted:
        issued = services.clients.create(
            name=name, role=role, department=dept, client_id=client_id, secret=DEMO_SECRET
        )
        tokens.append(DemoToken(role, name, dept, issued.token))
    _seed_sharing(services, {t.role: t.token for t in tokens})
    return tokens


def _seed_sharing(services: Services, tokens: dict[Role, str]) -> None:
    """Demo e-licenses, the demo integrator's grants and the demo doctor's consent."""
    integrator = services.clients.authenticate(tokens[Role.INTEGRATOR])
    holder_app = services.clients.authenticate(tokens[Role.HOLDER_APP])
    assert integrator is not None
    assert holder_app is not None
    seed_demo_elicenses(services, integrator)
    seed_demo_consent(services, holder_app, integrator.client_id)
