"""The indicator engine: every indicator × both measures × every scope × every year, in one grouped pass.

Why one pass: the fact table holds one row per contract (``facts.py``); a ``GROUPING SETS`` query computes the
numerator, denominator, population, known and excluded counts of every catalogue entry for all scopes at
once, so the whole national computation is a few scans (``bench/indicators.py``). Results stay in DuckDB
(``indicator_results``, long form) and are read back filtered: the national table has millions of rows.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

import duckdb

from spaser.errors import InputError
from spaser.indicators.catalogue import MEASURES, Indicator, Measure, catalogue
from spaser.indicators.facts import STORED, facts_select, fingerprint, stored_fingerprint
from spaser.indicators.thresholds import load_thresholds, register

#: Scope name → fact column (None: every contract).
SCOPES: Final[dict[str, str | None]] = {
    "all": None,
    "buyer": "acheteur_id",
    "region": "region",
    "departement": "departement",
    "cpv_division": "cpv_division",
    "procedure": "procedure",
    "nature": "nature",
}
SCOPE_COLUMNS: Final = tuple(column for column in SCOPES.values() if column)
LIVE: Final = "indicator_facts_live"
WIDE: Final = "indicator_wide"
HHI: Final = "indicator_hhi"
RESULTS: Final = "indicator_results"
#: Rounding of what is published: euros to the cent, counts and shares to 6 decimals, values to 4.
ROUND_VALUE_MEASURE: Final = 2
ROUND_COUNT_MEASURE: Final = 6
ROUND_RESULT: Final = 4


@dataclass
class Result:
    """One indicator, one measure, one year, one scope: the JSON object of ``spaser indicators``."""

    id: str
    measure: str
    year: int | None
    scope: str
    scope_id: str | None
    numerator: float | None
    denominator: float | None
    value: float | None
    unit: str
    coverage: float | None
    population: int
    known: int
    excluded: int
    target: float | None = None
    target_year: int | None = None
    expected: float | None = None
    status: str | None = None
    gap: float | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _grouped(scopes: Sequence[str]) -> list[str]:
    """The scope columns some chosen grouping set groups by (grouping() accepts only those)."""
    return [column for column in SCOPE_COLUMNS if column in {SCOPES[s] for s in scopes}]


def _grouping_select(scopes: Sequence[str]) -> str:
    """``scope_code`` and every scope column (NULL when no chosen scope groups by it)."""
    grouped = _grouped(scopes)
    code = f"grouping({', '.join(grouped)})" if grouped else "0"
    columns = [c if c in grouped else f"NULL::VARCHAR AS {c}" for c in SCOPE_COLUMNS]
    return ", ".join([f"{code} AS scope_code", *columns])


def _grouping_code(scope: str, scopes: Sequence[str]) -> int:
    """The value of ``grouping(<grouped columns>)`` for this scope's grouping set (bit = 1: not grouped)."""
    code = 0
    for column in _grouped(scopes):
        code = code * 2 + (0 if SCOPES[scope] == column else 1)
    return code


#: Sums and counts over an empty or all-unknown group are 0, not NULL (count_if of NULLs is NULL in DuckDB).
AGGREGATES: Final = {"count_if": "coalesce(count_if({0}), 0)", "sum": "coalesce(sum({0}), 0)"}


class _Plan:
    """Each distinct per-contract input once (indicators share populations and known conditions), and where
    every part of every indicator × measure reads its aggregate."""

    def __init__(self, indicators: Sequence[Indicator]) -> None:
        self.inputs: dict[str, str] = {}  # SQL expression → input column
        self.aggregates: dict[tuple[str, str], str] = {}  # (function, input column) → wide column
        self.parts: dict[tuple[str, str, str], str | None] = {}  # (id, measure, part) → wide column
        for indicator in indicators:
            for measure in MEASURES:
                for part, (function, expression) in indicator.parts(measure).items():
                    hhi_part = indicator.kind == "hhi" and part in ("numerator", "denominator")
                    self.parts[(indicator.id, measure, part)] = (
                        None if function == "none" or hhi_part else self._aggregate(function, expression))

    def _aggregate(self, function: str, expression: str) -> str:
        column = self.inputs.setdefault(expression, f"i{len(self.inputs)}")
        return self.aggregates.setdefault((function, column), f"a{len(self.aggregates)}")

    def wide_sql(self, source: str, where: str, scopes: Sequence[str]) -> str:
        """One grouped pass over the facts: every distinct input once, every aggregate per grouping set."""
        inputs = ", ".join(f"{expression} AS {column}" for expression, column in self.inputs.items())
        aggregates = ", ".join(f"{AGGREGATES[function].format(column)} AS {alias}"
                               for (function, column), alias in self.aggregates.items())
        sets = ", ".join("(year" + (f", {SCOPES[s]}" if SCOPES[s] else "") + ")" for s in scopes)
        return (f"CREATE OR REPLACE TEMP TABLE {WIDE} AS "
                f"WITH inputs AS (SELECT year, {', '.join(SCOPE_COLUMNS)}, {inputs} FROM {source} WHERE {where}) "
                f"SELECT year, {_grouping_select(scopes)}, {aggregates} FROM inputs GROUP BY GROUPING SETS ({sets})")

    def long_sql(self, indicators: Sequence[Indicator], scopes: Sequence[str]) -> str:
        """Wide → long: one row per indicator × measure × group, with the published rounding."""
        scope_name = ("CASE w.scope_code " + " ".join(f"WHEN {_grouping_code(s, scopes)} THEN '{s}'" for s in scopes)
                      + " END")
        scope_id = "coalesce(" + ", ".join(f"w.{c}::VARCHAR" for c in SCOPE_COLUMNS) + ")"
        hhi_join = (f" LEFT JOIN {HHI} h ON h.year IS NOT DISTINCT FROM w.year AND h.scope_code = w.scope_code AND "
                    + " AND ".join(f"h.{c} IS NOT DISTINCT FROM w.{c}" for c in SCOPE_COLUMNS))
        selects = []
        for indicator in indicators:
            for measure in MEASURES:
                def read(part: str, indicator: Indicator = indicator, measure: Measure = measure) -> str:
                    column = self.parts[(indicator.id, measure, part)]
                    return "0" if column is None else f"w.{column}"

                digits = ROUND_VALUE_MEASURE if measure == "value" else ROUND_COUNT_MEASURE
                numerator, denominator = read("numerator"), read("denominator")
                if indicator.kind == "hhi":
                    numerator, denominator = f"h.{measure}_numerator", f"h.{measure}_denominator"
                    digits = ROUND_COUNT_MEASURE  # Σ share², between 0 and 1
                population, known = read("population"), read("known")
                selects.append(
                    f"SELECT '{indicator.id}' AS id, '{measure}' AS measure, w.year, {scope_name} AS scope, "
                    f"{scope_id} AS scope_id, round(({numerator})::DOUBLE, {digits}) AS numerator, "
                    f"round(({denominator})::DOUBLE, {digits}) AS denominator, "
                    f"CASE WHEN {denominator} > 0 THEN "
                    f"round(({numerator})::DOUBLE / {denominator} * {indicator.scale}, {ROUND_RESULT}) END AS value, "
                    f"'{indicator.unit}' AS unit, "
                    f"CASE WHEN {population} > 0 THEN round({known} / {population}, {ROUND_RESULT}) END AS coverage, "
                    f"{population} AS population, {known} AS known, {read('excluded')} AS excluded "
                    f"FROM {WIDE} w" + (hhi_join if indicator.kind == "hhi" else ""))
        return f"CREATE OR REPLACE TEMP VIEW {RESULTS} AS " + " UNION ALL ".join(selects)


def _hhi_sql(source: str, where: str, scopes: Sequence[str]) -> str:
    """Supplier shares per scope, then Σ share² = Σ w² ÷ (Σ w)² as the numerator over a denominator of 1, in
    both measures (squared euros would exceed what a double holds exactly)."""
    columns = ", ".join(SCOPE_COLUMNS)
    sets = ", ".join("(year" + (f", {SCOPES[s]}" if SCOPES[s] else "") + ", supplier)" for s in scopes)
    return f"""
        CREATE OR REPLACE TEMP TABLE {HHI} AS
        WITH shares AS (
            SELECT year, {_grouping_select(scopes)},
                   sum(1.0::DOUBLE / f.n_titulaires) AS w_count,
                   sum(f.poids / f.n_titulaires) AS w_value
            FROM (SELECT year, {', '.join(SCOPE_COLUMNS)}, poids, n_titulaires, unnest(supplier_ids) AS supplier
                  FROM {source} WHERE {where}) f
            GROUP BY GROUPING SETS ({sets})
        )
        SELECT year, scope_code, {columns},
               sum(w_count * w_count) / (sum(w_count) * sum(w_count)) AS count_numerator,
               1.0::DOUBLE AS count_denominator,
               sum(w_value * w_value) / nullif(sum(w_value) * sum(w_value), 0) AS value_numerator,
               CASE WHEN sum(w_value) > 0 THEN 1.0::DOUBLE END AS value_denominator
        FROM shares GROUP BY ALL
    """


def compute(
    con: duckdb.DuckDBPyConnection,
    *,
    years: Sequence[int] | None = None,
    scopes: Sequence[str] | None = None,
    buyer: str | None = None,
    indicators: Sequence[str] | None = None,
    thresholds: Path | None = None,
) -> None:
    """Compute into the temporary table ``indicator_results`` (read it with :func:`results`).

    ``buyer`` restricts every scope to that buyer's contracts; ``years`` keeps those notification years (the
    history used by ``new_suppliers`` still reads earlier years).
    """
    chosen_scopes = list(scopes or SCOPES)
    unknown = [s for s in chosen_scopes if s not in SCOPES]
    if unknown:
        raise InputError(f"unknown scope {unknown[0]!r}: choose among {', '.join(SCOPES)}")
    entries = catalogue()
    if indicators:
        known_ids = {i.id for i in entries}
        for wanted in indicators:
            if wanted not in known_ids:
                raise InputError(f"unknown indicator {wanted!r}: see `spaser indicators --list`")
        entries = tuple(i for i in entries if i.id in set(indicators))
    _check_warehouse(con)
    source, where, params = _facts_source(con, buyer, thresholds)
    if years:
        where += f" AND year IN ({', '.join(str(int(y)) for y in years)})"
    plan = _Plan(entries)
    con.execute(plan.wide_sql(source, where, chosen_scopes), params)
    if any(i.kind == "hhi" for i in entries):
        con.execute(_hhi_sql(source, where, chosen_scopes), params)
    con.execute(plan.long_sql(entries, chosen_scopes))


def _facts_source(con: duckdb.DuckDBPyConnection, buyer: str | None,
                  thresholds: Path | None) -> tuple[str, str, dict[str, str] | None]:
    """(table, condition, parameters): the snapshot's stored facts when they were built with these
    thresholds and this version of the query, else facts built now into a temporary table."""
    chosen = load_thresholds(thresholds)
    register(con, chosen)
    params = {"buyer": buyer} if buyer else None
    if stored_fingerprint(con) == fingerprint(chosen):
        return STORED, "acheteur_id = $buyer" if buyer else "true", params
    con.execute(f"CREATE OR REPLACE TEMP TABLE {LIVE} AS {facts_select(buyer)}", params)
    return LIVE, "true", None


def _check_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    names = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables").fetchall()}
    if "contracts_enrichis" not in names:
        raise InputError("the warehouse has no contracts yet: run `spaser ingest` first")


RESULT_COLUMNS: Final = ("id", "measure", "year", "scope", "scope_id", "numerator", "denominator", "value", "unit",
                         "coverage", "population", "known", "excluded")


def results(con: duckdb.DuckDBPyConnection, *, scope: Sequence[str] | None = None,
            scope_id: str | None = None, indicator: str | None = None) -> Iterator[Result]:
    """The computed results, filtered, in catalogue order then year, scope and scope id."""
    order = {entry.id: rank for rank, entry in enumerate(catalogue())}
    conditions, params = ["true"], []
    if scope:
        conditions.append("scope IN (" + ", ".join("?" for _ in scope) + ")")
        params += list(scope)
    if scope_id is not None:
        conditions.append("scope_id = ?")
        params.append(scope_id)
    if indicator:
        conditions.append("id = ?")
        params.append(indicator)
    rank_case = "CASE id " + " ".join(f"WHEN '{i}' THEN {r}" for i, r in order.items()) + " END"
    cursor = con.execute(
        f"SELECT {', '.join(RESULT_COLUMNS)} FROM {RESULTS} WHERE {' AND '.join(conditions)} "
        f"ORDER BY {rank_case}, measure, year NULLS LAST, scope, scope_id NULLS LAST", params)
    while batch := cursor.fetchmany(10000):
        for row in batch:
            yield Result(*row)
