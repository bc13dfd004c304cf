"""Data-quality figures of the warehouse, per source and per buyer (``spaser quality``).

Why: a Région's observatory is only as good as what its buyers publish; this tells each source and each buyer
which defects its records carry (the quality flags of ``docs/ingestion.md``), which fields it leaves empty and
how late it publishes (the code requires the essential data within two months of notification, R2196-1).

Per source, every loaded record version counts (what that channel published); per buyer, the deduplicated
contracts count (a contract republished by three channels is one contract of the buyer).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb

from spaser.decp.normalise import COMPLETENESS_FIELDS

#: Publication delay buckets, in days after notification (the legal limit is two months).
DELAY_BUCKETS = (("negatif", None, -1), ("0-30", 0, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-365", 91, 365),
                 ("plus_d_un_an", 366, None))
LATE_AFTER_DAYS = 61  # later than two months


@dataclass
class GroupQuality:
    key: str
    label: str | None
    records: int
    flags: dict[str, int] = field(default_factory=dict)
    completeness: dict[str, float] = field(default_factory=dict)  # share of records with the field filled
    delay: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "records": self.records, "flags": self.flags,
                "completeness": self.completeness, "delai_publication": self.delay}


@dataclass
class QualityReport:
    generated_at: str
    sources: list[GroupQuality]
    acheteurs: list[GroupQuality]

    def to_json(self) -> dict[str, Any]:
        return {"generated_at": self.generated_at, "sources": [g.to_json() for g in self.sources],
                "acheteurs": [g.to_json() for g in self.acheteurs]}

    def long_rows(self) -> Iterator[tuple[str, str, str, str, float | int | None]]:
        """(scope, key, metric, name, value): one flat row per figure, for CSV."""
        for scope, groups in (("source", self.sources), ("acheteur", self.acheteurs)):
            for g in groups:
                yield scope, g.key, "records", "", g.records
                for name, count in g.flags.items():
                    yield scope, g.key, "flag", name, count
                for name, share in g.completeness.items():
                    yield scope, g.key, "completeness", name, share
                for name, value in g.delay.items():
                    if isinstance(value, dict):
                        for bucket, count in value.items():
                            yield scope, g.key, "delai_publication", f"{name}:{bucket}", count
                    else:
                        yield scope, g.key, "delai_publication", name, value


def quality_report(con: duckdb.DuckDBPyConnection, limit_acheteurs: int | None = None) -> QualityReport:
    sources = _groups(con, "records", "source_name", "NULL", None)
    acheteurs = _groups(con, "contracts", "acheteur_id", "any_value(acheteur_nom)", limit_acheteurs)
    return QualityReport(dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), sources, acheteurs)


def _groups(con: duckdb.DuckDBPyConnection, table: str, key: str, label: str, limit: int | None) -> list[GroupQuality]:
    if not _has_table(con, table):
        return []
    filled = ", ".join(f"avg(({column} IS NOT NULL)::INT) AS {column}" for column in COMPLETENESS_FIELDS)
    limit_sql = f"LIMIT {int(limit)}" if limit else ""
    rows = con.execute(
        f"SELECT coalesce({key}, '(inconnu)') AS k, {label} AS label, count(*) AS n, {filled} "
        f"FROM {table} GROUP BY k ORDER BY n DESC, k {limit_sql}").fetchall()
    groups = {row[0]: GroupQuality(row[0], row[1], int(row[2]),
                                   completeness={c: round(float(v), 4) for c, v in zip(COMPLETENESS_FIELDS, row[3:],
                                                                                       strict=True)})
              for row in rows}
    keys = list(groups)
    if not keys:
        return []
    for k, flag, count in con.execute(
            f"SELECT coalesce({key}, '(inconnu)') AS k, flag, count(*) FROM "
            f"(SELECT {key}, unnest(quality_flags) AS flag FROM {table}) "
            f"WHERE list_contains(?, coalesce({key}, '(inconnu)')) GROUP BY ALL ORDER BY 1, 3 DESC, 2", [keys]
    ).fetchall():
        groups[k].flags[flag] = int(count)
    buckets = ", ".join(_bucket_sql(name, low, high) for name, low, high in DELAY_BUCKETS)
    for row in con.execute(
            f"""SELECT coalesce({key}, '(inconnu)') AS k, count(delay) AS n, median(delay), quantile_cont(delay, 0.9),
                       avg((delay >= {LATE_AFTER_DAYS})::INT), {buckets}
                FROM (SELECT {key}, date_diff('day', date_notification, date_publication_donnees) AS delay
                      FROM {table})
                WHERE list_contains(?, coalesce({key}, '(inconnu)')) GROUP BY k""", [keys]
    ).fetchall():
        k, n, median, p90, late = row[:5]
        groups[k].delay = {
            "n": int(n),
            "mediane_jours": None if median is None else float(median),
            "p90_jours": None if p90 is None else round(float(p90), 1),
            "part_au_dela_de_2_mois": None if late is None else round(float(late), 4),
            "repartition": {name: int(count) for (name, _, _), count in zip(DELAY_BUCKETS, row[5:], strict=True)},
        }
    return [groups[k] for k in keys]


def _bucket_sql(name: str, low: int | None, high: int | None) -> str:
    conditions = [c for c in (f"delay >= {low}" if low is not None else "",
                              f"delay <= {high}" if high is not None else "") if c]
    return f"count(*) FILTER (WHERE {' AND '.join(conditions)}) AS \"{name}\""


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()
    return bool(row and row[0])
