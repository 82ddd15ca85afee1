"""Settings from `IRS_*` environment variables: one object the composition root reads."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Mode(StrEnum):
    """development: GraphiQL and introspection on; production: off, no default secrets."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


DEV_NEO4J_PASSWORD = "irs-dev-password"  # noqa: S105 - the documented dev default, refused in production
DEV_RECORDS_PASSWORD = "irs-dev-password"  # noqa: S105


class InsecureSettings(ValueError):
    """Production mode with a default secret or a development-only feature."""


class Settings(BaseSettings):
    """Everything that differs between a laptop and a city's production deployment."""

    model_config = SettingsConfigDict(env_prefix="IRS_", extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path(".irs-data")
    graph_url: str = ""
    records_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    neo4j_user: str = "neo4j"
    neo4j_password: str = DEV_NEO4J_PASSWORD
    neo4j_database: str | None = None
    neo4j_timeout_s: float = 30.0
    opa_url: str = ""
    opa_timeout_s: float = 0.5
    key_dir: Path | None = None
    public_url: str = ""  # where verifiers reach this hub (issuer id, status lists)
    audit_origin: str = "irs.xm.gov.cn/audit"
    checkpoint_interval_s: float = 30.0
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.graph_url:
            self.graph_url = str(self.data_dir / "graph.db")
        if self.key_dir is None:
            self.key_dir = self.data_dir / "keys"
        self.public_url = (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
        if not self.records_url:
            self.records_url = f"sqlite:///{self.data_dir / 'records.db'}"
        if self.mode is Mode.PRODUCTION:
            self._refuse_defaults()
        return self

    def _refuse_defaults(self) -> None:
        uses_neo4j = self.graph_url.startswith(("bolt", "neo4j"))
        if uses_neo4j and self.neo4j_password == DEV_NEO4J_PASSWORD:
            raise InsecureSettings(
                "production mode refuses the default Neo4j password: set IRS_NEO4J_PASSWORD / "
                "生产模式不允许使用默认的 Neo4j 密码，请设置 IRS_NEO4J_PASSWORD"
            )
        if DEV_RECORDS_PASSWORD in self.records_url:
            raise InsecureSettings(
                "production mode refuses the default database password in IRS_RECORDS_URL / "
                "生产模式不允许在 IRS_RECORDS_URL 中使用默认数据库密码"
            )

    @property
    def graphiql(self) -> bool:
        return self.mode is Mode.DEVELOPMENT
