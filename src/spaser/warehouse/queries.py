"""Read-only queries over a published snapshot that the web pages and the API share (no SQL in routes).

Why here: the contract explorer, a contract's page, a buyer's and a supplier's pages and the API's contract
list all read the same tables with the same filters; one module keeps their meaning identical across the HTML
pages, their JSON/CSV twins and ``/api/v1``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

import duckdb

from spaser.errors import InputError, NotFoundError

#: Columns of a contract in lists (explorer, API, CSV export).
LIST_COLUMNS: Final = (
    "contract_key", "id", "acheteur_id", "acheteur_nom", "objet", "code_cpv", "procedure", "nature",
    "date_notification", "montant", "montant_suspect", "offres_recues", "considerations_sociales",
    "considerations_environnementales", "quality_flags", "n_titulaires", "n_modifications",
)
#: Table Schema types and meanings of LIST_COLUMNS (the explorer's CSV export; lists joined with " | ").
LIST_SCHEMA: Final[dict[str, tuple[str, str]]] = {
    "contract_key": ("string", "Deduplication key of the contract (docs/ingestion.md)."),
    "id": ("string", "Contract id as published."),
    "acheteur_id": ("string", "Buyer's SIRET (or the autorité concédante's)."),
    "acheteur_nom": ("string", "Buyer's name as published."),
    "objet": ("string", "Object of the contract."),
    "code_cpv": ("string", "CPV code, 8 digits without check digit."),
    "procedure": ("string", "Procedure (DECP label)."),
    "nature": ("string", "Nature (DECP label)."),
    "date_notification": ("date", "Notification date (signature date for a concession)."),
    "montant": ("number", "Current amount in euros HT, after modifications."),
    "montant_suspect": ("boolean", "Amount flagged suspicious (excluded from value indicators)."),
    "offres_recues": ("integer", "Bids received."),
    "considerations_sociales": ("string", "Social considerations, joined with ' | '."),
    "considerations_environnementales": ("string", "Environmental considerations, joined with ' | '."),
    "quality_flags": ("string", "Quality flags field:defect, joined with ' | '."),
    "n_titulaires": ("integer", "Titulaires of the chosen version."),
    "n_modifications": ("integer", "Modifications applied."),
}
SORTS: Final = {
    "date": "date_notification DESC NULLS LAST, contract_key",
    "date_asc": "date_notification ASC NULLS LAST, contract_key",
    "montant": "montant DESC NULLS LAST, contract_key",
    "montant_asc": "montant ASC NULLS LAST, contract_key",
}
CONSIDERATIONS: Final = {
    "environnementale": "list_has_any(considerations_environnementales, "
                        "['Clause environnementale', 'Critère environnemental'])",
    "sociale": "list_has_any(considerations_sociales, ['Clause sociale', 'Critère social', 'Marché réservé', "
               "'Concession réservée'])",
    "aucune": "(considerations_environnementales IS NULL AND considerations_sociales IS NULL)",
}
MAX_PAGE: Final = 200
#: The titulaires in force of the records of a CTE ``{records}`` (those set by the last modification that
#: names some, else the initial ones) — the view ``titulaires_actuels`` restricted before its aggregate.
CURRENT_TITULAIRES: Final = (
    "SELECT t.* FROM titulaires t JOIN (SELECT t2.record_uid, max(t2.modification_rank) AS last_rank "
    "FROM titulaires t2 JOIN {records} r USING (record_uid) GROUP BY t2.record_uid) l "
    "ON l.record_uid = t.record_uid AND l.last_rank = t.modification_rank"
)


def explorer_table_schema() -> dict[str, Any]:
    """The Table Schema of ``/contrats.csv`` (the explorer's filtered set)."""
    return {"fields": [{"name": name, "type": LIST_SCHEMA[name][0], "description": LIST_SCHEMA[name][1]}
                       for name in LIST_COLUMNS],
            "primaryKey": ["contract_key"], "missingValues": [""]}


@dataclass
class ContractFilters:
    """The explorer's filters; every field optional. Values are checked here, errors name the field."""

    q: str | None = None
    acheteur: str | None = None
    titulaire: str | None = None
    cpv: str | None = None
    procedure: str | None = None
    annee: int | None = None
    montant_min: float | None = None
    montant_max: float | None = None
    consideration: str | None = None
    flag: str | None = None
    sort: str = "date"

    def check(self) -> None:
        if self.sort not in SORTS:
            raise InputError(f"sort: unknown value {self.sort!r}; choose among {', '.join(SORTS)}")
        if self.consideration is not None and self.consideration not in CONSIDERATIONS:
            raise InputError(f"consideration: unknown value {self.consideration!r}; choose among "
                             f"{', '.join(CONSIDERATIONS)}")
        if self.cpv is not None and not re.fullmatch(r"[0-9]{2,8}", self.cpv):
            raise InputError(f"cpv: {self.cpv!r} is not a CPV code or prefix (2 to 8 digits)")
        if self.annee is not None and not 1990 <= self.annee <= 2100:
            raise InputError(f"annee: {self.annee!r} is not a year")
        if (self.montant_min is not None and self.montant_max is not None
                and self.montant_min > self.montant_max):
            raise InputError(f"montant_min {self.montant_min} is above montant_max {self.montant_max}")

    def where(self, con: duckdb.DuckDBPyConnection) -> tuple[str, list[Any]]:
        self.check()
        conditions: list[str] = []
        params: list[Any] = []
        if self.q:
            matching = _search_sql(con, self.q)
            if matching is not None:
                sql, search_params = matching
                conditions.append(f"contract_key IN (SELECT contract_key FROM ({sql}))")
                params += search_params
            elif _has_search_index(con):
                pass  # only stop words: no full-text constraint
            else:
                conditions.append("strip_accents(lower(objet)) LIKE ?")
                params.append("%" + _fold(self.q) + "%")
        if self.acheteur:
            conditions.append("acheteur_id = ?")
            params.append(self.acheteur)
        if self.titulaire:
            conditions.append("contract_key IN (SELECT contract_key FROM titulaires_actuels WHERE id = ? "
                              "OR left(id, 9) = ?)")
            params += [self.titulaire, self.titulaire]
        if self.cpv:
            conditions.append("starts_with(code_cpv, ?)")
            params.append(self.cpv)
        if self.procedure:
            conditions.append("procedure = ?")
            params.append(self.procedure)
        if self.annee is not None:
            conditions.append("year(date_notification) = ?")
            params.append(self.annee)
        if self.montant_min is not None:
            conditions.append("montant >= ?")
            params.append(self.montant_min)
        if self.montant_max is not None:
            conditions.append("montant <= ?")
            params.append(self.montant_max)
        if self.consideration:
            conditions.append(CONSIDERATIONS[self.consideration])
        if self.flag:
            conditions.append("list_contains(quality_flags, ?)" if ":" in self.flag
                              else "len(list_filter(quality_flags, lambda f: starts_with(f, ?))) > 0")
            params.append(self.flag if ":" in self.flag else self.flag + ":")
        return (" AND ".join(conditions) or "true"), params


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _has_search_index(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = 'search_postings'").fetchone()
    return bool(row and row[0])


def _search_sql(con: duckdb.DuckDBPyConnection, query: str) -> tuple[str, list[object]] | None:
    """The full-text matches as SQL to embed (exact totals, any sort), or None: no searchable term, or a
    snapshot built before the index existed (then the caller falls back to a substring match)."""
    if not _has_search_index(con):
        return None
    from spaser.warehouse.search import matching_sql

    return matching_sql(con, query)


@dataclass
class ContractPage:
    rows: list[dict[str, Any]]
    total: int
    offset: int
    limit: int
    next_cursor: str | None = None
    filters: dict[str, Any] = field(default_factory=dict)


def _row_dict(columns: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(columns, row, strict=True))


def list_contracts(con: duckdb.DuckDBPyConnection, filters: ContractFilters, *, offset: int = 0,
                   limit: int = 50) -> ContractPage:
    """One page of contracts matching the filters (offset pagination, for pages) and the total."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit: must be between 1 and {MAX_PAGE}, got {limit}")
    if offset < 0:
        raise InputError(f"offset: must be positive, got {offset}")
    where, params = filters.where(con)
    total_row = con.execute(f"SELECT count(*) FROM contracts WHERE {where}", params).fetchone()
    cursor = con.execute(f"SELECT {', '.join(LIST_COLUMNS)} FROM contracts WHERE {where} "
                         f"ORDER BY {SORTS[filters.sort]} LIMIT {limit} OFFSET {offset}", params)
    rows = [_row_dict(list(LIST_COLUMNS), r) for r in cursor.fetchall()]
    return ContractPage(rows, int(total_row[0]) if total_row else 0, offset, limit)


def encode_cursor(values: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, json.JSONDecodeError):
        raise InputError(f"cursor: {cursor!r} is not a cursor returned by this API") from None
    if not isinstance(data, dict) or "k" not in data:
        raise InputError(f"cursor: {cursor!r} is not a cursor returned by this API")
    return data


def contracts_after(con: duckdb.DuckDBPyConnection, filters: ContractFilters, cursor: str | None,
                    limit: int = 50) -> ContractPage:
    """Keyset pagination for the API, in (date_notification desc, contract_key) order: stable while the
    snapshot does not change, and O(limit) however deep the client goes."""
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(f"limit: must be between 1 and {MAX_PAGE}, got {limit}")
    filters.sort = "date"
    base_where, base_params = filters.where(con)
    total_row = con.execute(f"SELECT count(*) FROM contracts WHERE {base_where}", base_params).fetchone()
    where, params = base_where, list(base_params)
    if cursor:
        position = decode_cursor(cursor)
        date = dt.date.fromisoformat(position["d"]) if position.get("d") else None
        if date is None:
            where += " AND date_notification IS NULL AND contract_key > ?"
            params.append(position["k"])
        else:
            where += (" AND (date_notification < ? OR (date_notification = ? AND contract_key > ?) "
                      "OR date_notification IS NULL)")
            params += [date, date, position["k"]]
    rows = [_row_dict(list(LIST_COLUMNS), r) for r in con.execute(
        f"SELECT {', '.join(LIST_COLUMNS)} FROM contracts WHERE {where} ORDER BY {SORTS['date']} "
        f"LIMIT {limit + 1}", params).fetchall()]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"d": str(last["date_notification"]) if last["date_notification"] else None,
                                     "k": last["contract_key"]})
    return ContractPage(rows, int(total_row[0]) if total_row else 0, 0, limit, next_cursor)


def export_rows(con: duckdb.DuckDBPyConnection,
                filters: ContractFilters) -> tuple[list[str], duckdb.DuckDBPyConnection]:
    """Every contract of the filtered set, streamed (CSV export of the explorer)."""
    where, params = filters.where(con)
    cursor = con.execute(f"SELECT {', '.join(LIST_COLUMNS)} FROM contracts WHERE {where} "
                         f"ORDER BY {SORTS[filters.sort]}", params)
    return list(LIST_COLUMNS), cursor


def contract_detail(con: duckdb.DuckDBPyConnection, key: str) -> dict[str, Any]:
    """Every field of a contract, its titulaires in force, modifications in order, sub-contracting acts."""
    cursor = con.execute("SELECT * FROM contracts WHERE contract_key = ?", [key])
    row = cursor.fetchone()
    if row is None:
        raise NotFoundError(f"no contract with key {key!r}")
    columns = [d[0] for d in cursor.description]
    contract = _row_dict(columns, row)
    uid = contract["record_uid"]

    def rows(sql: str) -> list[dict[str, Any]]:
        result = con.execute(sql, [uid])
        names = [d[0] for d in result.description]
        return [_row_dict(names, r) for r in result.fetchall()]

    contract["titulaires"] = rows("SELECT * FROM titulaires WHERE record_uid = ? ORDER BY modification_rank, rank")
    contract["modifications"] = rows("SELECT * FROM modifications WHERE record_uid = ? ORDER BY rank")
    contract["actes_sous_traitance"] = rows("SELECT * FROM actes_sous_traitance WHERE record_uid = ? ORDER BY rank")
    return contract


def buyer_summary(con: duckdb.DuckDBPyConnection, acheteur_id: str) -> dict[str, Any]:
    row = con.execute(
        "SELECT any_value(acheteur_nom), count(*), sum(montant) FILTER (WHERE NOT coalesce(montant_suspect, false)),"
        " min(date_notification), max(date_notification) FROM contracts WHERE acheteur_id = ?",
        [acheteur_id]).fetchone()
    if row is None or row[1] == 0:
        raise NotFoundError(f"no contract of buyer {acheteur_id!r}")
    by_year = con.execute(
        "SELECT year(date_notification) AS y, count(*), sum(montant) FILTER (WHERE NOT coalesce(montant_suspect, "
        "false)) FROM contracts WHERE acheteur_id = ? GROUP BY y ORDER BY y NULLS LAST", [acheteur_id]).fetchall()
    suppliers = con.execute(
        f"WITH c AS (SELECT record_uid, montant, montant_suspect FROM contracts WHERE acheteur_id = ?) "
        f"SELECT t.id, any_value(t.denomination_sociale), count(*) AS n, sum(c.montant) FILTER (WHERE NOT "
        f"coalesce(c.montant_suspect, false)) FROM c JOIN ({CURRENT_TITULAIRES.format(records='c')}) t "
        f"USING (record_uid) GROUP BY t.id ORDER BY n DESC, t.id LIMIT 20", [acheteur_id]).fetchall()
    return {"acheteur_id": acheteur_id, "nom": row[0], "contracts": row[1], "montant": row[2],
            "first": row[3], "last": row[4],
            "by_year": [{"year": y, "contracts": n, "montant": m} for y, n, m in by_year],
            "top_titulaires": [{"id": i, "nom": d, "contracts": n, "montant": m} for i, d, n, m in suppliers]}


def supplier_summary(con: duckdb.DuckDBPyConnection, titulaire_id: str) -> dict[str, Any]:
    """A titulaire (SIRET, or SIREN for every establishment): its contracts in force and main buyers."""
    match = "starts_with({0}id, $id)" if len(titulaire_id) == 9 and titulaire_id.isdigit() else "{0}id = $id"
    held = (f"WITH named AS (SELECT DISTINCT record_uid FROM titulaires WHERE {match.format('')}), "
            f"c AS (SELECT c.* FROM contracts c JOIN named USING (record_uid)), "
            # IN, not JOIN: a SIRET listed twice among a contract's titulaires must not count it twice.
            f"held AS (SELECT * FROM c WHERE record_uid IN (SELECT record_uid FROM "
            f"({CURRENT_TITULAIRES.format(records='c')}) t WHERE {match.format('t.')})) ")
    names = con.execute(
        f"SELECT any_value(denomination_sociale) FROM titulaires WHERE {match.format('')} "
        "AND denomination_sociale IS NOT NULL", {"id": titulaire_id}).fetchone()
    row = con.execute(held + "SELECT count(DISTINCT contract_key), sum(montant) FILTER (WHERE NOT "
                      "coalesce(montant_suspect, false)) FROM held", {"id": titulaire_id}).fetchone()
    if row is None or row[0] == 0:
        raise NotFoundError(f"no contract of titulaire {titulaire_id!r}")
    buyers = con.execute(held + "SELECT acheteur_id, any_value(acheteur_nom), count(DISTINCT contract_key) AS n "
                         "FROM held GROUP BY acheteur_id ORDER BY n DESC, acheteur_id LIMIT 20",
                         {"id": titulaire_id}).fetchall()
    return {"titulaire_id": titulaire_id, "nom": names[0] if names else None, "contracts": row[0],
            "montant": row[1], "top_acheteurs": [{"id": i, "nom": n, "contracts": c} for i, n, c in buyers]}


def buyers(con: duckdb.DuckDBPyConnection, limit: int = 200) -> list[tuple[str, str | None, int]]:
    """Buyers with most contracts (the dashboard's organisation chooser)."""
    return [(str(a), n, int(c)) for a, n, c in con.execute(
        "SELECT acheteur_id, any_value(acheteur_nom), count(*) AS c FROM contracts WHERE acheteur_id IS NOT NULL "
        "GROUP BY acheteur_id ORDER BY c DESC, acheteur_id LIMIT ?", [limit]).fetchall()]


def years(con: duckdb.DuckDBPyConnection) -> list[int]:
    return [int(y) for (y,) in con.execute(
        "SELECT DISTINCT year(date_notification) AS y FROM contracts WHERE y IS NOT NULL ORDER BY y").fetchall()]


def quality_overview(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    flags = con.execute("SELECT f, count(*) AS n FROM (SELECT unnest(quality_flags) AS f FROM contracts) "
                        "GROUP BY f ORDER BY n DESC, f LIMIT 30").fetchall()
    quarantine = con.execute("SELECT r, count(*) AS n FROM (SELECT unnest(reasons) AS r FROM quarantine) "
                             "GROUP BY r ORDER BY n DESC, r LIMIT 20").fetchall()
    counts = con.execute("SELECT (SELECT count(*) FROM contracts), (SELECT count(*) FROM records), "
                         "(SELECT count(*) FROM quarantine)").fetchone()
    return {"contracts": counts[0] if counts else 0, "records": counts[1] if counts else 0,
            "quarantined": counts[2] if counts else 0,
            "flags": [{"flag": f, "contracts": n} for f, n in flags],
            "quarantine_reasons": [{"reason": r, "records": n} for r, n in quarantine]}


def warehouse_status(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """What the published snapshot holds (the status page and its twin)."""
    counts = con.execute("SELECT (SELECT count(*) FROM contracts), (SELECT count(*) FROM records), "
                         "(SELECT count(*) FROM quarantine), (SELECT count(*) FROM ingested_files)").fetchone()
    runs = con.execute("SELECT run_id, finished_at FROM ingestion_runs ORDER BY finished_at DESC LIMIT 5").fetchall()
    contracts, records, quarantined, files = counts if counts else (0, 0, 0, 0)
    return {"contracts": contracts, "records": records, "quarantined": quarantined, "files": files,
            "runs": [{"run_id": r[0], "finished_at": str(r[1])} for r in runs]}


def _has_tables(con: duckdb.DuckDBPyConnection, *names: str) -> bool:
    row = con.execute("SELECT count(DISTINCT table_name) FROM information_schema.tables WHERE table_name IN "
                      f"({', '.join('?' for _ in names)})", list(names)).fetchone()
    return row is not None and row[0] == len(names)


def departement_of_commune(commune_code: str | None) -> str | None:
    """The département of an INSEE commune code: its first two characters (``2A``/``2B`` in Corsica), three
    overseas (``97411`` → ``974``, ``98818`` → ``988``)."""
    if not commune_code or len(commune_code) != 5:
        return None
    return commune_code[:3] if commune_code[:2] in ("97", "98") else commune_code[:2]


def sirene_facts(con: duckdb.DuckDBPyConnection, siret: str) -> dict[str, Any] | None:
    """What SIRENE says of an établissement and its unité légale (a supplier profile's enrichment), or None when
    no SIRENE stock is in the snapshot or the SIRET is not in it. ``naf``: the établissement's, else the unit's;
    ``actif``: the établissement is open and its unité légale not ceased."""
    if not _has_tables(con, "ref_sirene_etablissements", "ref_sirene_unites"):
        return None
    row = con.execute(
        "SELECT u.denomination, u.categorie_entreprise, u.ess, coalesce(e.naf, u.naf), e.commune_code, e.siege, "
        "e.actif AND coalesce(u.actif, true) FROM ref_sirene_etablissements e "
        "LEFT JOIN ref_sirene_unites u ON u.siren = e.siren WHERE e.siret = ?", [siret]).fetchone()
    if row is None:
        return None
    denomination, categorie, ess, naf, commune, siege, actif = row
    return {"siret": siret, "siren": siret[:9], "denomination": denomination, "categorie_entreprise": categorie,
            "ess": ess, "naf": naf, "commune_code": commune, "departement": departement_of_commune(commune),
            "siege": siege, "actif": actif}


def supplier_track_record(con: duckdb.DuckDBPyConnection, siret: str, buyers_limit: int = 5) -> dict[str, Any]:
    """The contracts a SIRET holds in the observatory (titulaire in force, like :func:`supplier_summary`): count,
    amount without the suspicious ones, contracts by CPV division, last notification, main buyers. Zeros, never
    an error, for a SIRET without contracts."""
    record: dict[str, Any] = {"siret": siret, "contracts": 0, "montant": 0.0, "montant_exclus": 0, "divisions": {},
                              "last_date": None, "top_acheteurs": []}
    if not _has_tables(con, "contracts", "titulaires"):
        return record
    held = ("WITH named AS (SELECT DISTINCT record_uid FROM titulaires WHERE id = $id), "
            "c AS (SELECT c.* FROM contracts c JOIN named USING (record_uid)), "
            f"held AS (SELECT * FROM c WHERE record_uid IN (SELECT record_uid FROM "
            f"({CURRENT_TITULAIRES.format(records='c')}) t WHERE t.id = $id)) ")
    row = con.execute(held + "SELECT count(DISTINCT contract_key), coalesce(sum(montant) FILTER (WHERE NOT "
                      "coalesce(montant_suspect, false)), 0), count(DISTINCT contract_key) FILTER (WHERE "
                      "coalesce(montant_suspect, false)), max(date_notification) FROM held", {"id": siret}).fetchone()
    if row is None or row[0] == 0:
        return record
    divisions = con.execute(held + "SELECT left(code_cpv, 2) AS d, count(DISTINCT contract_key) FROM held "
                            "WHERE code_cpv IS NOT NULL GROUP BY d ORDER BY d", {"id": siret}).fetchall()
    buyers = con.execute(held + "SELECT acheteur_id, any_value(acheteur_nom), count(DISTINCT contract_key) AS n "
                         "FROM held GROUP BY acheteur_id ORDER BY n DESC, acheteur_id LIMIT $limit",
                         {"id": siret, "limit": buyers_limit}).fetchall()
    record.update(contracts=int(row[0]), montant=float(row[1]), montant_exclus=int(row[2]), last_date=row[3],
                  divisions={d: int(n) for d, n in divisions},
                  top_acheteurs=[{"id": i, "nom": n, "contracts": int(c)} for i, n, c in buyers])
    return record
