"""Supplier article matrices in the store: ``matrices/<supplier slug>.parquet``, one file per supplier.

Why one file per supplier, replaced whole: a supplier sends its full catalogue again when it changes, so the new
file is the truth and an article it dropped must disappear. The supplier's name (as purchase lines write it in
``fournisseur``), the file's SHA-256 and its name are kept in the Parquet metadata, so an empty matrix still
says whose it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from spaser.errors import InputError
from spaser.indicators.egalim.cells import LineError
from spaser.indicators.egalim.matrices import (
    MATRIX_OPTIONAL,
    MATRIX_REQUIRED,
    Article,
    ArticleConflict,
    Matrices,
    article_key,
    build_matrix,
    supplier_key,
    supplier_slug,
)
from spaser.indicators.egalim.read import open_table
from spaser.indicators.egalim.store import EgalimStore

MATRIX_SCHEMA: Final = pa.schema([
    ("code_article", pa.string()), ("libelle", pa.string()), ("famille_produits", pa.string()),
    ("categories_egalim", pa.list_(pa.string())), ("origine", pa.string()), ("est_circuit_court", pa.bool_()),
    ("est_local", pa.bool_()), ("definition_local", pa.string()), ("definition_local_km", pa.int32()),
])
_META: Final = ("supplier", "sha256", "file", "loaded_at")


@dataclass(frozen=True)
class MatrixInfo:
    supplier: str
    slug: str
    sha256: str
    file: str
    loaded_at: str
    articles: int


@dataclass
class MatrixReport:
    """A matrix load: what is stored now, the refused rows and the conflicting codes (left out)."""

    info: MatrixInfo
    lines_read: int
    replaced: bool
    errors: list[LineError] = field(default_factory=list)
    conflicts: list[ArticleConflict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def load_matrix(store: EgalimStore, path: Path, fournisseur: str, now: dt.datetime | None = None) -> MatrixReport:
    """Read a supplier's matrix (CSV or XLSX) and store it in place of the supplier's previous one."""
    name = " ".join(fournisseur.split())
    slug = supplier_slug(name)
    if not slug:
        raise InputError(f"fournisseur {fournisseur!r} : le nom n'a ni lettre ni chiffre")
    with open_table(path) as table:
        table.check_columns(MATRIX_REQUIRED, (*MATRIX_REQUIRED, *MATRIX_OPTIONAL))
        build = build_matrix((row.line_no, row.cells) for row in table.rows)
        warnings, sha256 = table.warnings, table.sha256
    articles = sorted(build.articles.values(), key=lambda a: a.code_article)
    loaded_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")
    info = MatrixInfo(name, slug, sha256, path.name, loaded_at.replace("+00:00", "Z"), len(articles))
    metadata = {f"spaser.{key}": str(getattr(info, key)) for key in _META}
    table_out = pa.Table.from_pylist([_record(a) for a in articles], schema=MATRIX_SCHEMA.with_metadata(metadata))
    target = store.matrices_dir / f"{slug}.parquet"
    with store.lock():
        replaced = target.exists()
        store.write_table(target, table_out)
    return MatrixReport(info, build.lines_read, replaced, build.errors, build.conflicts, warnings)


def _record(article: Article) -> dict[str, Any]:
    return {"code_article": article.code_article, "libelle": article.libelle,
            "famille_produits": article.famille_produits, "categories_egalim": list(article.categories_egalim),
            "origine": article.origine, "est_circuit_court": article.est_circuit_court,
            "est_local": article.est_local, "definition_local": article.definition_local,
            "definition_local_km": article.definition_local_km}


def _info(path: Path, table: pa.Table) -> MatrixInfo:
    metadata = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    return MatrixInfo(metadata.get("spaser.supplier", path.stem), path.stem, metadata.get("spaser.sha256", ""),
                      metadata.get("spaser.file", ""), metadata.get("spaser.loaded_at", ""), table.num_rows)


def _tables(store: EgalimStore) -> list[tuple[Path, pa.Table]]:
    found = []
    for path in sorted(store.matrices_dir.glob("*.parquet")):
        try:
            found.append((path, pq.read_table(path)))
        except FileNotFoundError:  # replaced or removed while listing
            continue
    return found


def matrix_infos(store: EgalimStore) -> list[MatrixInfo]:
    return [_info(path, table) for path, table in _tables(store)]


def read_matrices(store: EgalimStore) -> Matrices:
    """Every stored matrix, ready to apply to purchase lines."""
    matrices = Matrices()
    for path, table in _tables(store):
        articles = {}
        for row in table.to_pylist():
            article = Article(**{**row, "categories_egalim": tuple(row["categories_egalim"] or ())})
            articles[article_key(article.code_article)] = article
        matrices.by_supplier[supplier_key(_info(path, table).supplier)] = articles
    return matrices


def remove_matrix(store: EgalimStore, fournisseur: str) -> bool:
    """Delete a supplier's matrix; False when it had none."""
    target = store.matrices_dir / f"{supplier_slug(fournisseur)}.parquet"
    with store.lock():
        existed = target.exists()
        target.unlink(missing_ok=True)
    return existed
