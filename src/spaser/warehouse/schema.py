"""Columns of the warehouse tables, declared once.

The normaliser fills rows with these names; the staging writer turns them into Parquet with these
Arrow types; DuckDB tables are created from that Parquet, so the three never drift apart.

Table ``records`` holds *every loaded record version* (one per input record that was not quarantined).
Table ``contracts`` holds one row per contract after deduplication: the chosen version's columns plus
``sources`` and ``n_versions``. Child tables key on ``record_uid`` (a version), so every version's
details stay queryable; join them to ``contracts.record_uid`` for the chosen one.
"""

from __future__ import annotations

import pyarrow as pa

STR = pa.string()
STRS = pa.list_(pa.string())
INT = pa.int64()
FLT = pa.float64()
BOOL = pa.bool_()
DATE = pa.date32()

RECORDS: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),  # "<sha256 of the file, 16 hex>:<index of the record in the file>"
    ("contract_key", STR),  # deduplication key, see warehouse/dedupe.py
    ("kind", STR),  # "marche" | "concession"
    ("source_format", STR),  # "2019" | "2022" | "hybrid"
    ("source_name", STR),  # --source, or the file name
    ("source_path", STR),
    ("source_sha256", STR),
    ("record_index", INT),
    ("id", STR),
    ("uid", STR),
    ("uuid", STR),
    ("acheteur_id", STR),  # acheteur.id, or autoriteConcedante.id for a concession
    ("acheteur_nom", STR),
    ("nature", STR),
    ("objet", STR),
    ("code_cpv", STR),  # 8 digits, no check digit
    ("procedure", STR),
    ("techniques", STRS),
    ("modalites_execution", STRS),
    ("id_accord_cadre", STR),
    ("marche_innovant", BOOL),
    ("ccag", STR),
    ("offres_recues", INT),
    ("attribution_avance", BOOL),
    ("taux_avance", FLT),
    ("type_groupement_operateurs", STR),
    ("sous_traitance_declaree", BOOL),
    ("lieu_execution_code", STR),
    ("lieu_execution_type_code", STR),
    ("lieu_execution_nom", STR),
    ("duree_mois_initiale", INT),
    ("duree_mois", INT),  # current: last modification that sets it, else initial
    ("date_notification", DATE),  # dateSignature for a concession
    ("date_publication_donnees", DATE),
    ("date_debut_execution", DATE),  # concessions
    ("montant_initial", FLT),  # valeurGlobale for a concession
    ("montant", FLT),  # current value after modifications
    ("montant_subvention_publique", FLT),  # concessions
    ("montant_suspect", BOOL),  # excluded from value indicators
    ("forme_prix", STR),
    ("types_prix", STRS),
    ("origine_ue", FLT),
    ("origine_france", FLT),
    ("considerations_sociales", STRS),
    ("considerations_environnementales", STRS),
    ("n_titulaires", INT),
    ("n_modifications", INT),
    ("date_derniere_modification", DATE),
    ("completeness", INT),  # number of filled fields, used to choose among versions
    ("quality_flags", STRS),  # "<field>:<defect>", see decp/quality.py
    ("invalid_values", STR),  # JSON object {field: raw value} for every value that was not kept as is
    ("extra", STR),  # JSON object of keys outside the schemas, kept verbatim
]

TITULAIRES: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),
    ("modification_rank", INT),  # 0 = initial titulaires, n = titulaires set by the n-th modification
    ("rank", INT),
    ("role", STR),  # "titulaire" | "concessionnaire"
    ("type_identifiant", STR),
    ("id", STR),
    ("denomination_sociale", STR),
    ("siret_valide", BOOL),  # 14 digits passing the Luhn check (La Poste exception included)
]

MODIFICATIONS: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),
    ("rank", INT),  # order of application, 1-based
    ("id", STR),
    ("objet_modification", STR),
    ("date_notification_modification", DATE),  # dateSignatureModification for a concession
    ("date_publication_donnees_modification", DATE),
    ("duree_mois", INT),
    ("montant", FLT),  # valeurGlobale for a concession
    ("n_titulaires", INT),
    ("extra", STR),
]

ACTES_SOUS_TRAITANCE: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),
    ("rank", INT),
    ("id", STR),
    ("sous_traitant_type_identifiant", STR),
    ("sous_traitant_id", STR),
    ("duree_mois", INT),
    ("date_notification", DATE),
    ("date_publication_donnees", DATE),
    ("montant", FLT),
    ("variation_prix", STR),
]

MODIFICATIONS_ACTES_SOUS_TRAITANCE: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),
    ("rank", INT),
    ("id", STR),
    ("duree_mois", INT),
    ("date_notification_modification_sous_traitance", DATE),
    ("montant", FLT),
    ("date_publication_donnees", DATE),
]

DONNEES_EXECUTION: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),
    ("rank", INT),
    ("date_publication_donnees_execution", DATE),
    ("depenses_investissement", FLT),
    ("tarifs", STR),  # JSON list of {"intituleTarif", "tarif"}
]

QUARANTINE: list[tuple[str, pa.DataType]] = [
    ("record_uid", STR),
    ("source_name", STR),
    ("source_path", STR),
    ("source_sha256", STR),
    ("record_index", INT),
    ("reasons", STRS),
    ("raw_text", STR),
]

#: Staged tables, in load order.
TABLES: dict[str, list[tuple[str, pa.DataType]]] = {
    "records": RECORDS,
    "titulaires": TITULAIRES,
    "modifications": MODIFICATIONS,
    "actes_sous_traitance": ACTES_SOUS_TRAITANCE,
    "modifications_actes_sous_traitance": MODIFICATIONS_ACTES_SOUS_TRAITANCE,
    "donnees_execution": DONNEES_EXECUTION,
    "quarantine": QUARANTINE,
}


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema(TABLES[table])


def column_names(table: str) -> list[str]:
    return [name for name, _ in TABLES[table]]
