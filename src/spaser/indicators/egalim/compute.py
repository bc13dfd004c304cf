"""The Egalim computation: from the accepted purchase lines (Parquet files) and the restaurants registry to every
scope-year summary (``results.Summary``), in one in-memory DuckDB pass.

    results = compute(line_files, restaurants_path)      # EgalimResults
    write_results(results, directory)                    # Parquet, atomic; read_results(directory) for pages

How (rules in docs/egalim.md, "Computation"):

1. one scan of the line files groups the lines by restaurant, calendar year of ``date``, product family and
   Egalim group (``groupe_egalim``: each line is already in the one group its characteristics give by priority),
   summing ``prix_ht`` exactly (integer cents) in total and for the French-origin, local and short-circuit lines;
2. those cells (a few dozen per restaurant-year) roll up, again in DuckDB and exact, to the three scopes: the
   restaurant, its registry group, and the whole;
3. Python attaches the territory and targets: the restaurant's département, or the one territory a group's (the
   whole's) restaurants share, else the mainland targets with a note.

Shares of a group or of the whole are therefore value-weighted (sum of values ÷ sum of totals), never averages of
the restaurants' shares. The function reads only the files it is given, so it does not depend on the store.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from spaser.indicators.egalim.catalogue import FAMILIES, GROUPS, MEAT_AND_FISH, restaurant_targets, targets_for
from spaser.indicators.egalim.results import (
    ALL_GROUPS,
    ENSEMBLE_ID,
    KNOWN,
    MIXED,
    UNKNOWN,
    ZERO,
    EgalimResults,
    FamilyValues,
    Summary,
    Territory,
    mainland,
)
from spaser.indicators.egalim.results_file import fingerprint, read_results, write_results

__all__ = ["compute", "compute_and_write", "fingerprint", "read_results", "write_results"]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _in(values: Iterable[str]) -> str:
    return "(" + ", ".join(_literal(v) for v in values) + ")"


_QUALIFYING = _in(GROUPS)
_MEAT_AND_FISH = _in(MEAT_AND_FISH)

#: Step 1: one scan of the lines, to cells (restaurant, year, family, group). Prices are summed as integer cents
#: (``prix_ht`` has 2 decimals: × 100 is an exact integer), exact and faster than a DECIMAL sum's 128-bit
#: accumulator; the cents become ``Decimal`` euros again in Python.
_CELLS = """
CREATE TEMP TABLE cells AS
SELECT siret, year, famille, groupe,
       count(*) AS lines,
       sum(cents) AS total,
       coalesce(sum(cents) FILTER (WHERE origine = 'FRANCE'), 0) AS france,
       coalesce(sum(cents) FILTER (WHERE est_local), 0) AS local_value,
       coalesce(sum(cents) FILTER (WHERE est_circuit_court), 0) AS short_circuit
FROM (
    SELECT siret, CAST(year("date") AS INTEGER) AS year, famille_produits AS famille,
           coalesce(groupe_egalim, 'NON_EGALIM') AS groupe, CAST(prix_ht * 100 AS BIGINT) AS cents,
           origine, est_local, est_circuit_court
    FROM read_parquet({files})
)
GROUP BY ALL
"""
_PRICE_TYPE = "SELECT typeof(prix_ht) FROM read_parquet({files}) LIMIT 1"

_REGISTRY = """
CREATE TEMP TABLE registry AS
SELECT siret, any_value(nom) AS nom, any_value(nullif(trim(groupe), '')) AS groupe,
       any_value(nullif(trim(departement), '')) AS departement,
       coalesce(bool_or(etat), false) AS etat
FROM read_parquet({path})
WHERE siret IS NOT NULL
GROUP BY siret
"""
_NO_REGISTRY = """
CREATE TEMP TABLE registry (siret VARCHAR, nom VARCHAR, groupe VARCHAR, departement VARCHAR, etat BOOLEAN)
"""

#: Step 2: the cells of each scope (a cell belongs to its restaurant, its restaurant's group if any, and the whole).
_SCOPED = f"""
CREATE TEMP TABLE scoped AS
SELECT 'restaurant' AS scope, c.siret AS scope_id, c.* FROM cells c
UNION ALL
SELECT 'groupe' AS scope, r.groupe AS scope_id, c.* FROM cells c JOIN registry r ON r.siret = c.siret
WHERE r.groupe IS NOT NULL
UNION ALL
SELECT 'ensemble' AS scope, {_literal(ENSEMBLE_ID)} AS scope_id, c.* FROM cells c
"""
_GROUP_SUMS = ",\n       ".join(
    f"coalesce(sum(total) FILTER (WHERE groupe = {_literal(g)}), 0)" for g in ALL_GROUPS)
_SUMMARIES = f"""
SELECT scope, scope_id, year,
       CAST(sum(lines) AS BIGINT),
       list(DISTINCT siret ORDER BY siret),
       sum(total),
       {_GROUP_SUMS},
       coalesce(sum(total) FILTER (WHERE famille IN {_MEAT_AND_FISH}), 0),
       coalesce(sum(total) FILTER (WHERE famille IN {_MEAT_AND_FISH} AND groupe IN {_QUALIFYING}), 0),
       sum(france), sum(local_value), sum(short_circuit)
FROM scoped
GROUP BY scope, scope_id, year
ORDER BY scope, scope_id, year
"""
_FAMILIES = f"""
SELECT scope, scope_id, year, famille,
       CAST(sum(lines) AS BIGINT),
       sum(total),
       coalesce(sum(total) FILTER (WHERE groupe IN {_QUALIFYING}), 0),
       coalesce(sum(total) FILTER (WHERE groupe = 'BIO'), 0)
FROM scoped
GROUP BY ALL
"""


def _connect(threads: int | None, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    config: dict[str, Any] = {"preserve_insertion_order": False}
    if threads is not None:
        config["threads"] = threads
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    return duckdb.connect(":memory:", config=config)


def _check_price_type(rows: list[tuple[Any, ...]]) -> None:
    """``prix_ht`` must be a DECIMAL with at most 2 decimals (the store's ``decimal128(14, 2)``) for exact cents."""
    kind = str(rows[0][0]) if rows else "DECIMAL(14,2)"
    match = re.fullmatch(r"DECIMAL\((\d+),(\d+)\)", kind)
    if match is None or int(match.group(2)) > 2 or int(match.group(1)) > 18:
        raise ValueError(f"prix_ht is {kind}: expected DECIMAL(14,2), as the store writes it")


def _euros(cents: Any) -> Decimal:
    """Integer cents (a DuckDB HUGEINT sum) → exact euros with 2 decimals."""
    return Decimal(int(cents)).scaleb(-2)


class _Registry:
    """What the computation needs of the restaurants registry: per SIRET its name, group, département, State."""

    def __init__(self, rows: list[tuple[str, str | None, str | None, str | None, bool]]) -> None:
        self.names = {siret: nom for siret, nom, _, _, _ in rows}
        self.departements = {siret: dep for siret, _, _, dep, _ in rows if dep}
        self.state = {siret for siret, _, _, _, etat in rows if etat}

    def territory(self, siret: str) -> str | None:
        """The territory of the restaurant's targets (a name), None when its département is unknown."""
        departement = self.departements.get(siret)
        return None if departement is None else targets_for(departement, 0).territory


def _territory(registry: _Registry, scope: str, sirets: Sequence[str]) -> tuple[Territory, str | None]:
    """The scope's territory, and a département of it to look its targets up with (None: mainland)."""
    if scope == "restaurant":
        departement = registry.departements.get(sirets[0])
        if departement is None:
            return mainland(UNKNOWN), None
        return Territory(targets_for(departement, 0).territory, KNOWN), departement
    territories = {registry.territory(siret) for siret in sirets}
    if territories == {None}:
        return mainland(UNKNOWN), None
    if len(territories) > 1:
        return mainland(MIXED), None
    departement = next(registry.departements[s] for s in sirets if s in registry.departements)
    return Territory(targets_for(departement, 0).territory, KNOWN), departement


def _families(rows: list[tuple[Any, ...]]) -> dict[tuple[str, str, int], tuple[FamilyValues, ...]]:
    order = {family: n for n, family in enumerate(FAMILIES)}
    found: dict[tuple[str, str, int], list[FamilyValues]] = {}
    for scope, scope_id, year, famille, lines, total, egalim, bio in rows:
        found.setdefault((scope, scope_id, year), []).append(
            FamilyValues(str(famille), int(lines), _euros(total), _euros(egalim), _euros(bio)))
    result = {}
    for key, values in found.items():
        present = {v.family for v in values}
        values += [FamilyValues(f, 0, ZERO, ZERO, ZERO) for f in FAMILIES if f not in present]
        result[key] = tuple(sorted(values, key=lambda v: (order.get(v.family, len(order)), v.family)))
    return result


def _summaries(summary_rows: list[tuple[Any, ...]], family_rows: list[tuple[Any, ...]],
               registry: _Registry) -> list[Summary]:
    families = _families(family_rows)
    summaries = []
    n_groups = len(ALL_GROUPS)
    for row in summary_rows:
        scope, scope_id, year, lines, sirets, total = row[:6]
        groups = row[6:6 + n_groups]
        mf_total, mf_egalim, france, local, short_circuit = row[6 + n_groups:]
        territory, departement = _territory(registry, scope, sirets)
        state = all(siret in registry.state for siret in sirets)
        is_restaurant = scope == "restaurant"
        summaries.append(Summary(
            scope=scope,
            scope_id=scope_id,
            year=int(year),
            name=registry.names.get(scope_id) if is_restaurant else (scope_id if scope == "groupe" else None),
            departement=registry.departements.get(scope_id) if is_restaurant else None,
            lines=int(lines),
            restaurants=len(sirets),
            total=_euros(total),
            group_values={g: _euros(v) for g, v in zip(ALL_GROUPS, groups, strict=True)},
            meat_and_fish_total=_euros(mf_total),
            meat_and_fish_egalim=_euros(mf_egalim),
            france_value=_euros(france),
            local_value=_euros(local),
            short_circuit_value=_euros(short_circuit),
            families=families[(scope, scope_id, year)],
            territory=territory,
            state=state,
            applicable=restaurant_targets(departement, int(year), state),
        ))
    return summaries


def compute(line_files: Sequence[Path | str], restaurants_path: Path | str | None, *, threads: int | None = None,
            memory_limit: str | None = None) -> EgalimResults:
    """Every (scope, scope_id, year) summary of the lines of ``line_files`` (Parquet, the store's columns), with
    the restaurants registry at ``restaurants_path`` (None or absent: every restaurant's territory unknown)."""
    files = [Path(f) for f in line_files]
    registry_path = Path(restaurants_path) if restaurants_path is not None else None
    print_ = fingerprint(files, registry_path)
    started = dt.datetime.now(dt.UTC)
    if not files:
        return EgalimResults((), print_, started)
    con = _connect(threads, memory_limit)
    try:
        if registry_path is not None and registry_path.exists():
            con.execute(_REGISTRY.format(path=_literal(str(registry_path))))
        else:
            con.execute(_NO_REGISTRY)
        listing = "[" + ", ".join(_literal(str(f)) for f in files) + "]"
        _check_price_type(con.execute(_PRICE_TYPE.format(files=listing)).fetchall())
        con.execute(_CELLS.format(files=listing))
        con.execute(_SCOPED)
        registry = _Registry(con.execute("SELECT siret, nom, groupe, departement, etat FROM registry").fetchall())
        summary_rows = con.execute(_SUMMARIES).fetchall()
        family_rows = con.execute(_FAMILIES).fetchall()
    finally:
        con.close()
    return EgalimResults(tuple(_summaries(summary_rows, family_rows, registry)), print_, started)


def compute_and_write(line_files: Sequence[Path | str], restaurants_path: Path | str | None,
                      directory: Path | str, **options: Any) -> EgalimResults:
    """``compute`` then ``write_results`` into ``directory``."""
    results = compute(line_files, restaurants_path, **options)
    write_results(results, directory)
    return results
