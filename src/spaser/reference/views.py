"""Contracts and titulaires enriched with the reference data, as views of the snapshot.

Why views: a reference load (a new SIRENE stock, the next COG) then enriches every contract at once, without
re-ingesting; and an empty reference table simply leaves its columns NULL. The indicators read these views.
"""

from __future__ import annotations

import duckdb

CONTRACTS_ENRICHIS = """
CREATE OR REPLACE VIEW contracts_enrichis AS
SELECT c.*,
       left(c.code_cpv, 2) AS cpv_division,
       left(c.code_cpv, 3) AS cpv_groupe,
       left(c.code_cpv, 4) AS cpv_classe,
       division.label_fr AS cpv_division_libelle,
       cpv.label_fr AS cpv_libelle,
       CASE WHEN (SELECT count(*) FROM ref_cpv) = 0 THEN NULL ELSE cpv.code8 IS NOT NULL END AS cpv_connu,
       lieu.commune_code AS lieu_commune_code,
       lieu.departement_code AS lieu_departement_code,
       lieu.region_code AS lieu_region_code,
       lieu.niveau AS lieu_niveau,
       coalesce(lieu.flags, ['lieu:cog_absent']) AS lieu_flags,  -- no row: no COG loaded yet
       buyer_site.commune_code AS acheteur_commune_code,
       buyer_commune.departement_code AS acheteur_departement_code,
       buyer_commune.region_code AS acheteur_region_code,
       buyer.denomination AS acheteur_denomination_sirene,
       coalesce(buyer_site.naf, buyer.naf) AS acheteur_naf,
       buyer.categorie_entreprise AS acheteur_categorie_entreprise,
       buyer.ess AS acheteur_ess
FROM contracts c
LEFT JOIN ref_cpv_divisions division ON division.division = left(c.code_cpv, 2)
LEFT JOIN ref_cpv cpv ON cpv.code8 = c.code_cpv
LEFT JOIN ref_lieux lieu
       ON lieu.lieu_execution_code IS NOT DISTINCT FROM c.lieu_execution_code
      AND lieu.lieu_execution_type_code IS NOT DISTINCT FROM c.lieu_execution_type_code
LEFT JOIN ref_sirene_etablissements buyer_site ON buyer_site.siret = c.acheteur_id
LEFT JOIN ref_communes buyer_commune ON buyer_commune.commune_code = buyer_site.commune_code
LEFT JOIN ref_sirene_unites buyer ON buyer.siren = left(c.acheteur_id, 9)
"""

TITULAIRES_ENRICHIS = """
CREATE OR REPLACE VIEW titulaires_enrichis AS
SELECT t.*,
       CASE WHEN t.type_identifiant = 'SIRET' AND t.siret_valide THEN left(t.id, 9) END AS siren,
       unite.categorie_entreprise,
       unite.ess,
       unite.denomination AS denomination_sirene,
       coalesce(site.naf, unite.naf) AS naf,
       unite.actif AS unite_active,
       site.siret IS NOT NULL AS siret_trouve,
       site.commune_code,
       commune.departement_code,
       commune.region_code
FROM titulaires_actuels t
LEFT JOIN ref_sirene_etablissements site ON t.type_identifiant = 'SIRET' AND site.siret = t.id
LEFT JOIN ref_sirene_unites unite
       ON t.type_identifiant = 'SIRET' AND t.siret_valide AND unite.siren = left(t.id, 9)
LEFT JOIN ref_communes commune ON commune.commune_code = site.commune_code
"""


def create_views(con: duckdb.DuckDBPyConnection) -> bool:
    """(Re)create the enriched views; a snapshot without contracts yet gets them at its first ingestion
    (returns whether they exist)."""
    tables = {name for (name,) in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    if "contracts" not in tables or "titulaires_actuels" not in tables:
        return False
    con.execute(CONTRACTS_ENRICHIS)
    con.execute(TITULAIRES_ENRICHIS)
    return True
