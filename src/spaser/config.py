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
    secrets_dir: Path | None = Field(
        default=None,
        description="Folder of the platform's keys (master key wrapping the consultations' bid keys, audit "
        "chain key, receipt signing key); default <data dir>/secrets. Keep it off the database server and "
        "out of database backups: with the database alone, sealed bids stay unreadable.",
    )
    files_dir: Path | None = Field(
        default=None,
        description="File store of consultation documents and sealed bid envelopes; default <data dir>/files.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Address of the platform as users reach it, used in the links of e-mails.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="SMTP server for the outbox (smtp://user:password@host:port, smtps:// for TLS); unset: "
        "messages stay in the outbox, readable by `spaser outbox list`.",
    )
    mail_from: str = Field(default="spaser <no-reply@localhost>", description="Sender of the outbox messages.")
    session_hours: int = Field(default=12, description="Lifetime of a login session, in hours.")
    login_max_failures: int = Field(
        default=5, description="Failed logins allowed per e-mail address within `login_window_minutes`.")
    login_max_failures_per_client: int = Field(
        default=30, description="Failed logins allowed per client address within `login_window_minutes`.")
    login_window_minutes: int = Field(default=15, description="Window of the login rate limit, in minutes.")
    max_document_mb: int = Field(default=50, description="Largest consultation document accepted, in MB.")
    max_bid_file_mb: int = Field(default=200, description="Largest bid file accepted, in MB.")
    ingest_platform_after_award: bool = Field(
        default=False,
        description="Ingest the platform's DECP feed into the warehouse right after each contract notification "
        "(otherwise run `spaser ingest --source platform`).",
    )

    @property
    def platform_secrets_dir(self) -> Path:
        return self.secrets_dir or self.data_dir / "secrets"

    @property
    def platform_files_dir(self) -> Path:
        return self.files_dir or self.data_dir / "files"

    @property
    def warehouse_dir(self) -> Path:
        return self.data_dir / "warehouse"

    @property
    def platform_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'platform.sqlite3').resolve()}"
