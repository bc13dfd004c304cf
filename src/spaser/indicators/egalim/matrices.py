"""Supplier article matrices: per supplier, each article's family, Egalim characteristics and origin.

Why: a wholesaler's invoice lines name the article, rarely its labels; the supplier's matrix says them once,
and a purchase line with the article code inherits them where its own cell is empty. A line that states
something else keeps its own value and the difference is recorded as a conflict, so nobody's statement is
silently overwritten. Pure functions: the store (``matrix_store``) reads and writes the files.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from spaser.indicators.egalim import cells
from spaser.indicators.egalim.cells import BadCell, Cell, LineError

#: Columns of a matrix file: the first two and at least one of the others are required.
MATRIX_REQUIRED: Final = ("code_article", "libelle", "famille_produits", "categories_egalim", "origine")
MATRIX_OPTIONAL: Final = ("est_circuit_court", "est_local", "definition_local", "definition_local_km")
#: Columns of a purchase line a matrix gives, in the national format's order.
INHERITED: Final = ("famille_produits", "categories_egalim", "origine", "est_circuit_court", "est_local",
                    "definition_local", "definition_local_km")
CODE_MAX: Final = 100


@dataclass(frozen=True, slots=True)
class Article:
    """One article of a supplier's matrix; None (or an empty tuple) where the matrix says nothing."""

    code_article: str
    libelle: str | None
    famille_produits: str | None
    categories_egalim: tuple[str, ...]
    origine: str | None
    est_circuit_court: bool | None
    est_local: bool | None
    definition_local: str | None
    definition_local_km: int | None

    def value(self, column: str) -> str | None:
        """The article's value for a purchase-line column, in the export's spelling; None when not stated."""
        raw: Any = getattr(self, column)
        if raw is None or raw == ():
            return None
        return canonical(column, raw)


def canonical(column: str, value: Any) -> str:
    """A clean value in the national tool's spelling (what the export writes)."""
    if isinstance(value, bool):
        return "OUI" if value else "NON"
    if isinstance(value, tuple):
        return ",".join(value)
    return str(value)


#: Parsers of the inherited columns, from a cell to the clean value (raise :class:`BadCell`).
PARSERS: Final[dict[str, Callable[[Cell], Any]]] = {
    "famille_produits": cells.parse_family,
    "categories_egalim": cells.parse_categories,
    "origine": cells.parse_origin,
    "est_circuit_court": cells.parse_bool,
    "est_local": cells.parse_bool,
    "definition_local": cells.parse_local_definition,
    "definition_local_km": cells.parse_km,
}


def article_key(code: str) -> str:
    """Article codes match trimmed and case-insensitively (``a12`` is ``A12``)."""
    return code.strip().upper()


_LIGATURES: Final = str.maketrans({"œ": "oe", "æ": "ae"})


def supplier_key(name: str) -> str:
    """A supplier's name as matched: accents, case, punctuation and extra spaces ignored
    (« Pomona Épisaveurs » = « POMONA EPISAVEURS » = « pomona-episaveurs »)."""
    folded = name.casefold().translate(_LIGATURES)
    plain = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")
    return " ".join(re.findall(r"[a-z0-9]+", plain))


def supplier_slug(name: str) -> str:
    """The file name of a supplier's matrix (its key with dashes); empty when the name has no letter or digit."""
    return supplier_key(name).replace(" ", "-")[:80].strip("-")


def parse_article(line_no: int, row: Mapping[str, Cell]) -> Article | list[LineError]:
    """One row of a matrix file; every bad cell is reported."""
    take = cells.CellReader(line_no, row)
    errors = take.errors

    def optional(parse: Callable[[Cell], Any]) -> Callable[[Cell], Any]:
        return lambda cell: None if cells.is_empty(cell) else parse(cell)

    code = take("code_article", lambda c: cells.parse_text(c, CODE_MAX))
    libelle = take("libelle", lambda c: cells.parse_text(c, 500, required=False))
    values = {column: take(column, optional(parse) if column != "categories_egalim" else parse)
              for column, parse in PARSERS.items()}
    extra = cells.extra_cells_error(line_no, row)
    if extra is not None:
        errors.append(extra)
    if errors:
        return errors
    return Article(code, libelle, values["famille_produits"], values["categories_egalim"], values["origine"],
                   values["est_circuit_court"], values["est_local"], values["definition_local"],
                   values["definition_local_km"])


@dataclass(frozen=True, slots=True)
class ArticleConflict:
    """The same article code on several lines of one matrix with different content: the code is left out."""

    code_article: str
    line_nos: tuple[int, ...]

    @property
    def message(self) -> str:
        lines = ", ".join(map(str, self.line_nos))
        return f"article « {self.code_article} » décrit différemment aux lignes {lines} : article ignoré"


@dataclass
class MatrixBuild:
    articles: dict[str, Article] = field(default_factory=dict)  # by article_key
    errors: list[LineError] = field(default_factory=list)
    conflicts: list[ArticleConflict] = field(default_factory=list)
    lines_read: int = 0


def build_matrix(rows: Iterable[tuple[int, Mapping[str, Cell]]]) -> MatrixBuild:
    """The articles of a matrix file from its (line number, row) pairs; the same code twice with the same content
    is one article, with different content a conflict that leaves the code out."""
    build = MatrixBuild()
    seen: dict[str, list[tuple[int, Article]]] = {}
    for line_no, row in rows:
        build.lines_read += 1
        parsed = parse_article(line_no, row)
        if isinstance(parsed, list):
            build.errors.extend(parsed)
            continue
        seen.setdefault(article_key(parsed.code_article), []).append((line_no, parsed))
    for key, occurrences in seen.items():
        contents = {_content(article) for _, article in occurrences}
        if len(contents) == 1:
            build.articles[key] = occurrences[0][1]
        else:
            build.conflicts.append(ArticleConflict(occurrences[0][1].code_article,
                                                   tuple(n for n, _ in occurrences)))
    return build


def _content(article: Article) -> tuple[Any, ...]:
    """What makes two rows of the same article the same (the code's spelling and the label do not)."""
    return tuple(getattr(article, column) for column in INHERITED)


@dataclass(frozen=True, slots=True)
class Conflict:
    """A purchase line that disagrees with its supplier's matrix (``kind`` ``difference``: the line's value is
    kept), or names an article the matrix does not have (``unknown_article``: a warning)."""

    line_no: int
    fournisseur: str
    code_article: str
    column: str
    line_value: str
    article_value: str | None
    kind: str = "difference"

    @property
    def message(self) -> str:
        if self.kind == "unknown_article":
            return (f"ligne {self.line_no} : article « {self.code_article} » absent de la matrice de "
                    f"{self.fournisseur}")
        return (f"ligne {self.line_no}, colonne {self.column} : « {self.line_value} » diffère de la matrice de "
                f"{self.fournisseur} (article {self.code_article} : « {self.article_value} ») ; valeur de la "
                "ligne conservée")


@dataclass
class Matrices:
    """Every supplier's articles, by supplier key then article key."""

    by_supplier: dict[str, dict[str, Article]] = field(default_factory=dict)

    def has(self, fournisseur: str) -> bool:
        return supplier_key(fournisseur) in self.by_supplier

    def apply(self, line_no: int, row: Mapping[str, Cell]) -> tuple[dict[str, Cell], list[Conflict]]:
        """The row with the article's values where its cells are empty, and the conflicts; rows without an
        article code, or of a supplier without a matrix, come back unchanged."""
        out = dict(row)
        code = cells.text_of(row.get("code_article")).strip()
        fournisseur = cells.text_of(row.get("fournisseur")).strip()
        articles = self.by_supplier.get(supplier_key(fournisseur)) if code and fournisseur else None
        if articles is None:
            return out, []
        article = articles.get(article_key(code))
        if article is None:
            return out, [Conflict(line_no, fournisseur, code, "code_article", code, None, "unknown_article")]
        conflicts: list[Conflict] = []
        for column in INHERITED:
            wanted = article.value(column)
            if wanted is None:
                continue
            cell = row.get(column)
            if cells.is_empty(cell):
                out[column] = wanted
                continue
            try:
                stated = canonical(column, PARSERS[column](cell))
            except BadCell:
                continue  # the line is rejected by its own check, with the right message
            if stated == "":  # " , " in categories_egalim: nothing stated
                out[column] = wanted
            elif stated != wanted:
                conflicts.append(Conflict(line_no, fournisseur, code, column, stated, wanted))
        return out, conflicts
