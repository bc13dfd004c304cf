"""One typed Settings object; nothing happens at import time."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting, with its help text (``spaser settings`` lists them)."""

    model_config = SettingsConfigDict(env_prefix="SPASER_", extra="ignore")

    data_dir: Path = Field(
        default=Path("data"),
        description="Folder holding the warehouse snapshots and the platform database.",
    )
    database_url: str | None = Field(
        default=None,
        description="Platform database URL; defaults to a SQLite file in the data folder.",
    )
    ingest_workers: int = Field(
        default=0,
        description="Worker processes for ingestion; 0: one per CPU core (inline below 2 MB of input); "
        "-1: always inline, in the calling process.",
    )
    ingest_batch_records: int = Field(
        default=4000,
        description="Records per normalisation batch sent to a worker.",
    )
    duckdb_memory_limit: str = Field(
        default="1GB",
        description="Memory DuckDB may use while building a snapshot (it spills to disk beyond); keeps the "
        "ingestion's peak memory bounded whatever the data size.",
    )
    montant_aberrant: float = Field(
        default=1e9,
        description="Amounts (EUR HT) at or above this value are flagged as aberrant and excluded "
        "from value indicators.",
    )
    ocds_prefix: str = Field(
        default="ocds-spaser",
        description="OCDS ocid prefix of `spaser export ocds` (ocid = <prefix>-<contract key>). The default is "
        "not registered: a real publisher registers its own prefix with the Open Contracting Partnership.",
    )
    ocds_publisher_name: str = Field(
        default="spaser",
        description="Publisher name written in the OCDS release package (`publisher.name`).",
    )
    ocds_license: str | None = Field(
        default="https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
        description="Licence URL of the OCDS release package (DECP are published under the Licence Ouverte "
        "2.0); empty: not written.",
    )
    ocds_package_uri: str | None = Field(
        default=None,
        description="URL where the OCDS release package will be published (package `uri`); unset: not written.",
    )
    ocds_publication_policy: str | None = Field(
        default=None,
        description="URL of the publication policy (package `publicationPolicy`); unset: not written.",
    )

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def platform_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'platform.sqlite3').resolve()}"
