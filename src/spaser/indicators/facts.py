"""One row per contract with every fact an indicator needs: the table the catalogue's expressions read.

Why a fact table: each indicator is then a handful of per-contract expressions (population, known,
numerator), and the engine computes all indicators, both measures and every scope in one grouped pass.
The facts that need other contracts (new suppliers: the buyer's history; splitting: the buyer's other
contracts of the CPV group and year) are computed here once, before any filter on the year. The table is
stored in each snapshot (``store_facts``, after every ingestion and reference load): building it is most of
the work, and readers then only aggregate. A computation with other thresholds builds its own.

Conventions, documented in docs/indicateurs.md:
* year = year of the notification date (of the signature for a concession);
* region and département of a contract = those of the buyer's establishment (SIRENE), else of the place of
  execution;
* a contract with several titulaires counts for an equal share per titulaire (supplier-side indicators);
* a supplier is its SIREN when its SIRET is valid (a company, not an establishment), else its identifier;
* the weight of the value measure is the current amount (after modifications), excluding flagged amounts.
"""

from __future__ import annotations

import hashlib
from typing import Final

import duckdb

from spaser.indicators.thresholds import TABLE as THRESHOLDS
from spaser.indicators.thresholds import Threshold, load_thresholds, register

#: Parameters of the definitions; the docs print them.
PARAMETERS: Final[dict[str, float]] = {
    "new_supplier_years": 3,  # a supplier is new to a buyer with no contract from it in the 3 previous years
    "splitting_band": 0.8,  # "just under" a threshold: from 80 % of it
    "late_publication_days": 60,  # DECP must be published within two months of notification
    "advance_min_amount": 25000,  # SME advance indicator: contracts above 25 000 EUR HT
    "advance_min_rate": 0.30,  # advance of at least 30 %
}

NO_PUBLICITY: Final = "Marché passé sans publicité ni mise en concurrence préalable"
ENVIRONMENTAL: Final = ("Clause environnementale", "Critère environnemental")
SOCIAL: Final = ("Clause sociale", "Critère social", "Marché réservé", "Concession réservée")
RESERVED: Final = ("Marché réservé", "Concession réservée")
DEFENCE: Final = "Marché de défense ou de sécurité"


def _list(values: tuple[str, ...]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


#: One row per contract; a SELECT the engine wraps (``{buyer_filter}`` restricts it to one buyer).
FACTS_SELECT: Final = f"""
WITH base AS (
    SELECT c.contract_key, c.record_uid, c.kind, c.nature, c.procedure, c.acheteur_id,
           year(c.date_notification) AS year, c.date_notification, c.date_publication_donnees,
           coalesce(c.acheteur_region_code, c.lieu_region_code) AS region,
           coalesce(c.acheteur_departement_code, c.lieu_departement_code) AS departement,
           c.cpv_division, c.cpv_groupe, c.code_cpv, c.cpv_connu,
           c.montant, c.montant_initial, coalesce(c.montant_suspect, false) AS montant_suspect,
           c.offres_recues, c.attribution_avance, c.taux_avance, c.marche_innovant,
           c.type_groupement_operateurs, c.sous_traitance_declaree, c.origine_france,
           c.duree_mois, c.duree_mois_initiale, c.lieu_execution_code, c.lieu_niveau, c.lieu_flags,
           c.considerations_sociales AS soc, c.considerations_environnementales AS env,
           c.acheteur_region_code, c.quality_flags,
           CASE WHEN c.kind = 'concession' OR c.cpv_division = '45' THEN 'works' ELSE 'supplies_services' END
               AS category
    FROM contracts_enrichis c
    WHERE {{buyer_filter}}
),
suppliers AS (
    SELECT b.contract_key, b.acheteur_id, b.year, b.acheteur_region_code,
           CASE WHEN t.siren IS NOT NULL THEN t.siren ELSE t.id END AS supplier,
           t.categorie_entreprise, t.ess, t.region_code,
           t.type_identifiant <> 'SIRET' OR t.siret_valide AS identifiant_valide
    FROM base b JOIN titulaires_enrichis t ON t.contract_key = b.contract_key
),
supplier_history AS (
    SELECT acheteur_id, supplier, year,
           lag(year) OVER (PARTITION BY acheteur_id, supplier ORDER BY year) AS previous_year
    FROM (SELECT DISTINCT acheteur_id, supplier, year FROM suppliers
          WHERE acheteur_id IS NOT NULL AND supplier IS NOT NULL AND year IS NOT NULL)
),
per_contract_suppliers AS (
    SELECT s.contract_key,
           count(*) AS n_titulaires,
           count(*) FILTER (WHERE s.supplier IS NOT NULL) AS n_identified,
           count(*) FILTER (WHERE nullif(s.categorie_entreprise, '') IS NOT NULL) AS n_category_known,
           count(*) FILTER (WHERE s.categorie_entreprise = 'PME') AS n_sme,
           count(s.ess) AS n_ess_known,
           count(*) FILTER (WHERE s.ess) AS n_ess,
           count(s.region_code) AS n_region_known,
           count(*) FILTER (WHERE s.region_code = s.acheteur_region_code) AS n_local,
           count(*) FILTER (WHERE h.previous_year IS NULL
                            OR s.year - h.previous_year > {PARAMETERS["new_supplier_years"]}) AS n_new,
           bool_and(coalesce(s.identifiant_valide, false)) AS identifiants_valides,
           list(s.supplier ORDER BY s.supplier) FILTER (WHERE s.supplier IS NOT NULL) AS supplier_ids
    FROM suppliers s
    LEFT JOIN supplier_history h
           ON h.acheteur_id = s.acheteur_id AND h.supplier = s.supplier AND h.year = s.year
    GROUP BY s.contract_key
),
subcontracted AS (
    SELECT b.contract_key, sum(a.montant) AS montant_sous_traite
    FROM base b JOIN actes_sous_traitance a ON a.record_uid = b.record_uid
    GROUP BY b.contract_key
),
buyer_years AS (
    SELECT acheteur_id, min(year) AS buyer_first_year FROM base WHERE acheteur_id IS NOT NULL GROUP BY acheteur_id
),
bands AS (
    SELECT b.*, eu.amount AS seuil_ue, nat.amount AS seuil_national,
           NOT b.montant_suspect AND b.montant_initial >= {PARAMETERS["splitting_band"]} * nat.amount
               AND b.montant_initial < nat.amount AS under_national,
           NOT b.montant_suspect AND b.montant_initial >= {PARAMETERS["splitting_band"]} * eu.amount
               AND b.montant_initial < eu.amount AS under_eu
    FROM base b
    LEFT JOIN {THRESHOLDS} eu
           ON eu.name = CASE WHEN b.category = 'works' THEN 'eu_works'  -- defence works too (2009/81/EC)
                             WHEN b.nature = '{DEFENCE}' THEN 'eu_utilities_defence'
                             ELSE 'eu_supplies_services' END
          AND b.date_notification BETWEEN eu.start AND eu."end"
    LEFT JOIN {THRESHOLDS} nat
           ON nat.name = 'national_no_publicity_' || b.category
          AND b.date_notification BETWEEN nat.start AND nat."end"
),
split_groups AS (  -- a group-by and a join: much faster than window functions over 1.5 M contracts
    SELECT acheteur_id, cpv_groupe, year,
           count(*) FILTER (WHERE under_national) AS n_under_national,
           sum(montant_initial) FILTER (WHERE under_national) AS sum_under_national,
           count(*) FILTER (WHERE under_eu) AS n_under_eu,
           sum(montant_initial) FILTER (WHERE under_eu) AS sum_under_eu
    FROM bands WHERE under_national OR under_eu
    GROUP BY acheteur_id, cpv_groupe, year
),
splitting AS (
    SELECT b.*, g.n_under_national, g.sum_under_national, g.n_under_eu, g.sum_under_eu, y.buyer_first_year
    FROM bands b
    LEFT JOIN split_groups g ON g.acheteur_id = b.acheteur_id AND g.cpv_groupe = b.cpv_groupe AND g.year = b.year
    LEFT JOIN buyer_years y ON y.acheteur_id = b.acheteur_id
)
SELECT s.contract_key, s.year, s.acheteur_id, s.region, s.departement, s.cpv_division, s.procedure,
       s.nature, s.kind,
       s.montant,
       s.montant_initial,
       s.montant_suspect,
       s.montant IS NOT NULL AND NOT s.montant_suspect AS montant_ok,
       CASE WHEN s.montant IS NOT NULL AND NOT s.montant_suspect THEN s.montant END AS poids,
       -- considerations (2022 format only: NULL in 2019 records)
       len(s.env) > 0 AS env_known,
       list_has_any(s.env, {_list(ENVIRONMENTAL)}) AS env_consideration,
       list_contains(s.env, 'Critère environnemental') AS env_criterion,
       len(s.soc) > 0 AS social_known,
       list_has_any(s.soc, {_list(SOCIAL)}) AS social_consideration,
       list_has_any(s.soc, {_list(RESERVED)}) AS reserved,
       s.nature IS DISTINCT FROM '{DEFENCE}' AND NOT s.montant_suspect AND s.montant_initial >= s.seuil_ue
           AS above_eu,
       s.seuil_ue IS NOT NULL AND s.montant_initial IS NOT NULL AS above_eu_known,
       -- procedure and competition
       s.procedure IS NOT NULL AND s.procedure <> '{NO_PUBLICITY}' AS competitive,
       s.procedure = '{NO_PUBLICITY}' AS no_publication,
       s.procedure IS DISTINCT FROM '{NO_PUBLICITY}' AS maybe_competitive,
       CASE WHEN s.offres_recues >= 1 THEN s.offres_recues END AS offres_recues,
       -- suppliers (an equal share per titulaire)
       coalesce(p.n_titulaires, 0) AS n_titulaires,
       p.supplier_ids,
       p.n_sme / p.n_titulaires AS sme_fraction,
       p.n_titulaires > 0 AND p.n_category_known = p.n_titulaires AS sme_known,
       p.n_ess / p.n_titulaires AS ess_fraction,
       p.n_titulaires > 0 AND p.n_ess_known = p.n_titulaires AS ess_known,
       p.n_local / p.n_titulaires AS local_fraction,
       p.n_titulaires > 0 AND p.n_region_known = p.n_titulaires AND s.acheteur_region_code IS NOT NULL
           AS local_known,
       p.n_new / p.n_titulaires AS new_fraction,
       p.n_titulaires > 0 AND p.n_identified = p.n_titulaires AND s.acheteur_id IS NOT NULL
           AND s.year - s.buyer_first_year >= {PARAMETERS["new_supplier_years"]} AS new_known,
       -- advances to SMEs
       p.n_sme > 0 AND p.n_category_known = p.n_titulaires AND NOT s.montant_suspect
           AND s.montant_initial > {PARAMETERS["advance_min_amount"]} AS sme_above_advance_amount,
       -- tauxAvance 0 with attributionAvance true means "rate unknown" (flag tauxAvance:zero_inconnu)
       s.attribution_avance = false OR s.taux_avance > 0 AS advance_known,
       coalesce(s.attribution_avance AND s.taux_avance >= {PARAMETERS["advance_min_rate"]}, false)
           AS advance_paid,
       -- other fields
       s.marche_innovant,
       s.type_groupement_operateurs IS NOT NULL AS groupement_known,
       s.type_groupement_operateurs <> 'Pas de groupement' AS joint_bid,
       s.sous_traitance_declaree,
       coalesce(st.montant_sous_traite, 0) AS montant_sous_traite,
       s.origine_france,
       -- modifications
       s.montant_initial > 0 AND s.montant IS NOT NULL AND NOT s.montant_suspect AS growth_known,
       CASE WHEN s.montant_initial > 0 AND NOT s.montant_suspect
            THEN (s.montant - s.montant_initial) / s.montant_initial END AS growth,
       s.duree_mois_initiale > 0 AND s.duree_mois IS NOT NULL AS duration_known,
       s.duree_mois > s.duree_mois_initiale AS duration_extended,
       -- splitting just under a threshold
       s.montant_initial IS NOT NULL AND NOT s.montant_suspect AND s.seuil_national IS NOT NULL
           AND s.cpv_groupe IS NOT NULL AND s.acheteur_id IS NOT NULL AS splitting_known,
       coalesce((s.under_national AND s.n_under_national >= 2 AND s.sum_under_national > s.seuil_national)
                OR (s.under_eu AND s.n_under_eu >= 2 AND s.sum_under_eu > s.seuil_ue), false)
           AS splitting_suspicion,
       -- publication
       date_diff('day', s.date_notification, s.date_publication_donnees) AS publication_days,
       -- completeness: identifiers, CPV, place and considerations
       s.acheteur_id IS NOT NULL
           AND NOT list_has_any(s.quality_flags, ['acheteur:siret_cle', 'acheteur:siret_zeros',
                                                   'acheteur:siret_longueur', 'acheteur:id_manquant'])
           AND coalesce(p.identifiants_valides, false)
           AND s.code_cpv IS NOT NULL AND s.cpv_connu IS NOT false
           AND s.lieu_execution_code IS NOT NULL
           AND (s.lieu_niveau IS NOT NULL OR list_contains(s.lieu_flags, 'lieu:cog_absent'))
           AND len(s.env) > 0 AND len(s.soc) > 0 AS complete
FROM splitting s
LEFT JOIN per_contract_suppliers p ON p.contract_key = s.contract_key
LEFT JOIN subcontracted st ON st.contract_key = s.contract_key
"""


def facts_select(buyer: str | None) -> str:
    """The fact query, for every contract or one buyer's (``$buyer`` parameter): the windows stay per buyer."""
    return FACTS_SELECT.replace("{buyer_filter}", "c.acheteur_id = $buyer" if buyer else "true")


STORED: Final = "indicator_facts"
STORED_META: Final = "indicator_facts_meta"


def fingerprint(thresholds: list[Threshold]) -> str:
    """What the stored facts depend on besides the warehouse: this query and the thresholds."""
    text = FACTS_SELECT + "\n" + "\n".join(f"{t.name}|{t.amount}|{t.start}|{t.end}" for t in thresholds)
    return hashlib.sha256(text.encode()).hexdigest()


def store_facts(con: duckdb.DuckDBPyConnection) -> int:
    """Build the fact table into the snapshot being written (after each ingestion and reference load), so that
    every reader computes indicators from it without rebuilding it; returns its row count."""
    thresholds = load_thresholds()
    register(con, thresholds)
    con.execute(f"CREATE OR REPLACE TABLE {STORED} AS {facts_select(None)}")
    con.execute(f"CREATE OR REPLACE TABLE {STORED_META} AS SELECT ? AS fingerprint", [fingerprint(thresholds)])
    row = con.execute(f"SELECT count(*) FROM {STORED}").fetchone()
    return int(row[0]) if row else 0


def stored_fingerprint(con: duckdb.DuckDBPyConnection) -> str | None:
    """The fingerprint of the snapshot's stored facts (None when the snapshot has none)."""
    try:
        row = con.execute(f"SELECT fingerprint FROM {STORED_META}").fetchone()
    except duckdb.CatalogException:
        return None
    return str(row[0]) if row else None


#: What the fact columns the catalogue reads mean (printed in docs/indicateurs.md).
FACT_COLUMNS: Final[dict[str, str]] = {
    "poids": "current amount when known and not flagged suspicious (`montant_ok`), the weight of the value measure",
    "montant_suspect": "amount flagged at ingestion (zero, negative, placeholder, aberrant)",
    "env_known / social_known": "the considerations list is filled (2022 format)",
    "env_consideration": f"environmental considerations ∋ {' or '.join(ENVIRONMENTAL)}",
    "env_criterion": "environmental considerations ∋ Critère environnemental",
    "social_consideration": f"social considerations ∋ {' or '.join(SOCIAL)}",
    "reserved": f"social considerations ∋ {' or '.join(RESERVED)}",
    "above_eu": "initial amount (not suspicious) ≥ the EU threshold in force at notification; defence contracts "
                "excluded",
    "competitive": f"procedure known and not « {NO_PUBLICITY} »",
    "maybe_competitive": f"procedure unknown or not « {NO_PUBLICITY} » (unknown procedures lower the coverage)",
    "no_publication": f"procedure = « {NO_PUBLICITY} »",
    "offres_recues": "bids received, NULL when 0 or missing (0 means not filled)",
    "n_titulaires": "titulaires in force",
    "sme_fraction / sme_known": "share of titulaires whose SIRENE category is PME / every titulaire has a category",
    "ess_fraction / ess_known": "share of titulaires of the social economy / every titulaire is known to SIRENE",
    "local_fraction / local_known": "share of titulaires located in the buyer's region / both regions known",
    "new_fraction / new_known": f"share of titulaires new to the buyer (no contract in the "
                                f"{int(PARAMETERS['new_supplier_years'])} previous years) / the buyer has that "
                                "much history and every titulaire is identified",
    "sme_above_advance_amount": f"at least one SME titulaire (all categories known) and initial amount > "
                                f"{int(PARAMETERS['advance_min_amount'])} EUR",
    "advance_known / advance_paid": "no advance, or an advance with a known rate (a rate of 0 means unknown) / "
                                    "an advance of at least "
                                    f"{int(PARAMETERS['advance_min_rate'] * 100)} %",
    "groupement_known / joint_bid": "type of group filled / a group (conjoint or solidaire)",
    "montant_sous_traite": "sum of the amounts of the subcontracting acts",
    "growth / growth_known": "(current − initial amount) ÷ initial amount / initial amount > 0, amounts usable",
    "duration_known / duration_extended": "initial duration > 0 and current known / current > initial",
    "splitting_known / splitting_suspicion": "buyer, CPV group, year, threshold and usable initial amount known / "
                                             "see splitting_suspicion",
    "publication_days": "days from notification to publication of the data",
    "complete": "see data_completeness",
}
