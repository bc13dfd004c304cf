"""Reference tables of the warehouse: CPV, geography (COG), SIRENE, and the log of their loads.

Why: SME, local-supplier, regional and per-category indicators join contracts to reference data
(``../shared/docs/domain.md`` §3). The tables live in every snapshot, empty until a ``spaser reference load-*``
command fills them, so queries and views never fail for want of a table; the 45 CPV divisions are built in so
that indicators by division work before any load.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

#: The 45 divisions of CPV 2008 (Regulation (EC) 213/2008), with short labels of our own (French, English).
CPV_DIVISIONS: dict[str, tuple[str, str]] = {
    "03": ("Agriculture, élevage, pêche et forêt", "Farming, fishing and forestry products"),
    "09": ("Produits pétroliers, combustibles, électricité", "Petroleum products, fuels and electricity"),
    "14": ("Produits des mines et des carrières", "Mining and quarrying products"),
    "15": ("Aliments, boissons et tabac", "Food, beverages and tobacco"),
    "16": ("Machines agricoles", "Agricultural machinery"),
    "18": ("Vêtements, chaussures et bagages", "Clothing, footwear and luggage"),
    "19": ("Cuir, textiles, plastique et caoutchouc", "Leather, textiles, plastics and rubber"),
    "22": ("Imprimés et produits connexes", "Printed matter and related products"),
    "24": ("Produits chimiques", "Chemical products"),
    "30": ("Machines de bureau et matériel informatique", "Office and computing equipment"),
    "31": ("Machines et matériel électriques, éclairage", "Electrical machinery and lighting"),
    "32": ("Radio, télévision et télécommunications", "Radio, television and telecommunications equipment"),
    "33": ("Matériel médical et pharmaceutique", "Medical equipment and pharmaceuticals"),
    "34": ("Matériel de transport", "Transport equipment"),
    "35": ("Sécurité, lutte contre l'incendie, police, défense", "Security, fire-fighting, police and defence"),
    "37": ("Instruments de musique, articles de sport, jeux", "Musical instruments, sports goods and games"),
    "38": ("Matériel de laboratoire et d'optique", "Laboratory, optical and precision equipment"),
    "39": ("Mobilier, aménagement, appareils ménagers", "Furniture, furnishings and domestic appliances"),
    "41": ("Eau collectée et purifiée", "Collected and purified water"),
    "42": ("Machines industrielles", "Industrial machinery"),
    "43": ("Engins de mines, carrières et chantiers", "Mining, quarrying and construction machinery"),
    "44": ("Matériaux et structures de construction", "Construction structures and materials"),
    "45": ("Travaux de construction", "Construction work"),
    "48": ("Logiciels et systèmes d'information", "Software packages and information systems"),
    "50": ("Réparation et entretien", "Repair and maintenance services"),
    "51": ("Installation (hors logiciels)", "Installation services (except software)"),
    "55": ("Hôtellerie, restauration et commerce de détail", "Hotel, restaurant and retail services"),
    "60": ("Transport (hors déchets)", "Transport services (except waste)"),
    "63": ("Services annexes aux transports, voyages", "Transport support services and travel agencies"),
    "64": ("Postes et télécommunications", "Postal and telecommunications services"),
    "65": ("Services publics de réseaux (eau, gaz, électricité)", "Public utilities"),
    "66": ("Services financiers et d'assurance", "Financial and insurance services"),
    "70": ("Services immobiliers", "Real estate services"),
    "71": ("Architecture, ingénierie et contrôle", "Architecture, engineering and inspection services"),
    "72": ("Services informatiques", "IT services"),
    "73": ("Recherche et développement", "Research and development services"),
    "75": ("Administration, défense et sécurité sociale", "Administration, defence and social security"),
    "76": ("Services liés au pétrole et au gaz", "Oil and gas industry services"),
    "77": ("Services agricoles, forestiers et horticoles", "Agricultural, forestry and horticultural services"),
    "79": ("Services aux entreprises (droit, conseil, marketing…)", "Business services (law, consulting, marketing…)"),
    "80": ("Enseignement et formation", "Education and training services"),
    "85": ("Santé et action sociale", "Health and social work services"),
    "90": ("Assainissement, déchets, nettoyage, environnement", "Sewage, waste, cleaning and environmental services"),
    "92": ("Loisirs, culture et sport", "Recreational, cultural and sporting services"),
    "98": ("Autres services collectifs et personnels", "Other community, social and personal services"),
}

REFERENCE_DDL = """
CREATE TABLE IF NOT EXISTS ref_cpv_divisions (division VARCHAR, label_fr VARCHAR, label_en VARCHAR);
CREATE TABLE IF NOT EXISTS ref_cpv (
    code VARCHAR,          -- with its check digit, '45000000-7'
    code8 VARCHAR,         -- the 8-digit root DECP records carry
    check_digit VARCHAR,
    division VARCHAR,      -- 2 digits
    level INTEGER,         -- 2 division, 3 group, 4 class, 5 category, 6-8 finer
    parent_code8 VARCHAR,
    label_fr VARCHAR,
    label_en VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_regions (region_code VARCHAR, region_nom VARCHAR);
CREATE TABLE IF NOT EXISTS ref_departements (
    departement_code VARCHAR, departement_nom VARCHAR, region_code VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_communes (
    commune_code VARCHAR, commune_nom VARCHAR, departement_code VARCHAR, region_code VARCHAR
);
CREATE TABLE IF NOT EXISTS ref_sirene_unites (
    siren VARCHAR,
    categorie_entreprise VARCHAR,  -- PME, ETI, GE (empty when INSEE has not computed it)
    ess BOOLEAN,                   -- economieSocialeSolidaireUniteLegale = 'O'
    denomination VARCHAR,
    naf VARCHAR,                   -- activitePrincipaleUniteLegale
    actif BOOLEAN                  -- etatAdministratifUniteLegale = 'A'
);
CREATE TABLE IF NOT EXISTS ref_sirene_etablissements (
    siret VARCHAR,
    siren VARCHAR,
    commune_code VARCHAR,          -- codeCommuneEtablissement (INSEE code, not postal)
    siege BOOLEAN,                 -- etablissementSiege
    naf VARCHAR,                   -- activitePrincipaleEtablissement
    actif BOOLEAN                  -- etatAdministratifEtablissement = 'A'
);
-- lieuExecution values of the contracts resolved against the COG (refreshed after each ingestion and load).
CREATE TABLE IF NOT EXISTS ref_lieux (
    lieu_execution_code VARCHAR, lieu_execution_type_code VARCHAR,
    commune_code VARCHAR, departement_code VARCHAR, region_code VARCHAR,
    niveau VARCHAR,                -- commune, departement, region, pays; NULL when unresolved
    flags VARCHAR[]                -- lieu:<defect>, see spaser/domain/geo.py
);
CREATE TABLE IF NOT EXISTS reference_loads (
    name VARCHAR, path VARCHAR, sha256 VARCHAR, rows BIGINT, loaded_at TIMESTAMP
);
"""


def record_load(con: duckdb.DuckDBPyConnection, name: str, path: Path | str, sha256: str, rows: int) -> None:
    """Log a reference load in ``reference_loads`` (which file, which content, how many rows, when)."""
    con.execute("INSERT INTO reference_loads VALUES (?, ?, ?, ?, ?)",
                [name, str(path), sha256, rows, dt.datetime.now(dt.UTC).replace(tzinfo=None)])


def ensure_reference_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the reference tables when missing and fill the built-in CPV divisions."""
    con.execute(REFERENCE_DDL)
    row = con.execute("SELECT count(*) FROM ref_cpv_divisions").fetchone()
    if not row or row[0] != len(CPV_DIVISIONS):
        con.execute("DELETE FROM ref_cpv_divisions")
        con.executemany("INSERT INTO ref_cpv_divisions VALUES (?, ?, ?)",
                        [(code, fr, en) for code, (fr, en) in CPV_DIVISIONS.items()])
