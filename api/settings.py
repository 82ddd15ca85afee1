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


class Settings(BaseSettings):
    """Everything that differs between a laptop and a city's production deployment."""

    model_config = SettingsConfigDict(env_prefix="IRS_", extra="ignore")

    mode: Mode = Mode.DEVELOPMENT
    data_dir: Path = Path(".irs-data")
    graph_url: str = ""
    records_url: str = ""
    host: str = "127.0.0.1"
    port: int = 8000
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.graph_url:
            self.graph_url = str(self.data_dir / "graph.db")
        if not self.records_url:
            self.records_url = f"sqlite:///{self.data_dir / 'records.db'}"
        return self

    @property
    def graphiql(self) -> bool:
        return self.mode is Mode.DEVELOPMENT
