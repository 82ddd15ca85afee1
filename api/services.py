"""The composition root: builds every store and use case from one `Settings` object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from access.audit.log import AuditLog, open_audit_log
from access.audit.logkey import LOG_KEY_FILE
from access.catalog_audit import AuditedLedger
from access.clients import ClientRegistry
from access.crypto.keyfiles import KeyStoreError
from access.crypto.keys import KeyRing
from access.elicenses.calls import LicensedCalls
from access.elicenses.consent import Consents
from access.elicenses.issuance import ELicenses
from access.elicenses.status import StatusLists
from access.elicenses.trust import Trust
from access.policy import PolicyEngine
from access.records import migrate, records_engine
from access.sharing import Sharing
from api.settings import Mode, Settings
from catalog.ledger import Ledger
from catalog.lineage import Lineage
from catalog.once_only import OnceOnly
from graph.port import GraphStore
from graph.sqlite_store import SqliteGraphStore


class ConfigurationError(ValueError):
    """Settings that cannot work (unknown backend URL, default secrets in production)."""


@dataclass
class Services:
    """Everything a request or a CLI command needs, built once per process."""

    settings: Settings
    store: GraphStore
    records: Engine
    ledger: Ledger
    clients: ClientRegistry
    policy: PolicyEngine
    sharing: Sharing
    lineage: Lineage
    once_only: OnceOnly
    keys: KeyRing
    audit: AuditLog
    elicenses: ELicenses
    consents: Consents
    status: StatusLists
    calls: LicensedCalls
    trust: Trust

    def close(self) -> None:
        self.calls.close()
        self.clients.close()
        self.store.close()
        self.records.dispose()
        self.policy.close()


NEO4J_SCHEMES = ("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://", "neo4j+s://", "neo4j+ssc://")


def open_graph_store(settings: Settings) -> GraphStore:
    """The graph adapter for `settings.graph_url`: bolt:// or neo4j:// selects Neo4j, a file
    path the embedded store."""
    url = settings.graph_url
    if url.startswith(NEO4J_SCHEMES):
        from graph.neo4j_store import Neo4jGraphStore

        return Neo4jGraphStore(
            url,
            user=settings.neo4j_user,
            password=settings.neo4j_password,
            database=settings.neo4j_database,
            timeout_s=settings.neo4j_timeout_s,
        )
    if "://" in url:
        raise ConfigurationError(
            f"unknown graph URL scheme in {url!r}; use bolt://, neo4j:// or a local path / "
            "无法识别的图数据库地址，请使用 bolt://、neo4j:// 或本地路径"
        )
    return SqliteGraphStore(Path(url))


def build_services(settings: Settings) -> Services:
    """Open the stores named by `settings` (nothing happens at import time)."""
    store = open_graph_store(settings)
    engine = records_engine(settings.records_url)
    migrate(engine)
    keys = open_keys(settings)
    assert settings.key_dir is not None
    audit = open_audit_log(engine, settings.key_dir, origin=settings.audit_origin)
    ledger = AuditedLedger(store=store, audit=audit)
    policy = open_policy_engine(settings)
    sharing = Sharing(engine=engine, ledger=ledger, policy=policy, audit=audit)
    elicenses = ELicenses(engine=engine, ledger=ledger, keys=keys, audit=audit)
    status = StatusLists(engine=engine, keys=keys, issuer=settings.public_url)
    return Services(
        settings=settings,
        store=store,
        records=engine,
        ledger=ledger,
        clients=ClientRegistry(engine=engine),
        policy=policy,
        sharing=sharing,
        lineage=Lineage(store=store),
        once_only=OnceOnly(store=store),
        keys=keys,
        audit=audit,
        elicenses=elicenses,
        consents=Consents(engine=engine, elicenses=elicenses, audit=audit),
        status=status,
        calls=LicensedCalls(
            engine=engine,
            policy=policy,
            elicenses=elicenses,
            audit=audit,
            keys=keys,
            status=status,
            issuer=settings.public_url,
        ),
        trust=Trust(engine=engine, keys=keys, issuer=settings.public_url),
    )


def open_keys(settings: Settings) -> KeyRing:
    """The key ring. Development makes one on first run; production never invents keys (each
    replica would sign with its own): they must exist, made once by `irs keys init`."""
    assert settings.key_dir is not None
    if settings.mode is not Mode.PRODUCTION:
        return KeyRing.load_or_create(settings.key_dir)
    if not (settings.key_dir / LOG_KEY_FILE).exists():
        raise ConfigurationError(
            f"no keys in {settings.key_dir}: run `irs keys init` once and share the folder "
            "with every replica / 生产模式不会自动生成密钥：请先运行 `irs keys init`，"
            "并让所有副本共用该目录"
        )
    try:
        return KeyRing.load(settings.key_dir)
    except KeyStoreError as exc:
        raise ConfigurationError(f"{exc.message_en} / {exc.message}") from exc


def open_policy_engine(settings: Settings) -> PolicyEngine:
    """The OPA server when `IRS_OPA_URL` is set, else the same Rego evaluated in-process."""
    if settings.opa_url:
        from access.policy_opa import OpaPolicyEngine

        return OpaPolicyEngine(url=settings.opa_url, timeout=settings.opa_timeout_s)
    from access.policy_inprocess import InProcessPolicyEngine

    return InProcessPolicyEngine()
