"""Every indicator of the SPASER and of the law (``../shared/docs/domain.md`` §3), declared once.

Expressions read the fact table columns of ``facts.py``; see ``catalogue.py`` for how they are aggregated.
Egalim shares and purchase emissions are computed elsewhere (they need purchase lines and emission factors).
"""

from __future__ import annotations

from spaser.indicators.catalogue import Indicator
from spaser.indicators.facts import NO_PUBLICITY, PARAMETERS

PNAD = "Plan national pour des achats durables (PNAD) 2022-2025"
SPASER_LAW = "Code de la commande publique, art. L2111-3 (SPASER)"
CLIMATE = "Loi n° 2021-1104 Climat et Résilience, art. 35 (CCP L2152-7, L2112-2)"
RED_FLAG = "Indicateur de risque (Commission européenne, tableau de bord du marché unique)"

NEW_YEARS = int(PARAMETERS["new_supplier_years"])
LATE_DAYS = int(PARAMETERS["late_publication_days"])
ADVANCE_AMOUNT = int(PARAMETERS["advance_min_amount"])
ADVANCE_RATE = int(PARAMETERS["advance_min_rate"] * 100)
BAND = int(PARAMETERS["splitting_band"] * 100)


def _amendment_over(percent: int, source: str) -> Indicator:
    return Indicator(
        id=f"amendment_over_{percent}",
        label_fr=f"Marchés dont le montant a crû de plus de {percent} %",
        label_en=f"Contracts whose amount grew by more than {percent} %",
        definition_fr=f"Part des marchés dont le montant actuel dépasse le montant initial de plus de {percent} % "
        "du fait des modifications.",
        definition_en=f"Share of contracts whose current amount exceeds the initial amount by more than {percent} % "
        "through modifications.",
        source=source,
        unit="%",
        fields=("montant_initial", "montant", "montant_suspect"),
        population="true",
        known="growth_known",
        numerator=f"growth > {percent / 100}",
        better="lower",
    )


INDICATORS: tuple[Indicator, ...] = (
    Indicator(
        id="env_consideration",
        label_fr="Marchés avec au moins une considération environnementale",
        label_en="Contracts with at least one environmental consideration",
        definition_fr="Part des marchés dont les considérations environnementales comprennent une clause ou un "
        "critère environnemental, parmi ceux qui renseignent ce champ (format 2022).",
        definition_en="Share of contracts whose environmental considerations include an environmental clause or "
        "criterion, among those that fill the field (2022 format).",
        source=f"{PNAD} (cible 100 %); {SPASER_LAW}",
        unit="%",
        fields=("considerations_environnementales",),
        population="true",
        known="env_known",
        numerator="env_consideration",
    ),
    Indicator(
        id="env_criterion",
        label_fr="Marchés avec un critère d'attribution environnemental",
        label_en="Contracts with an environmental award criterion",
        definition_fr="Part des marchés déclarant un « Critère environnemental » : préparation à l'article 35 de la "
        "loi Climat et Résilience (obligatoire pour les consultations lancées à partir du 21 août 2026).",
        definition_en="Share of contracts declaring a \"Critère environnemental\": readiness for article 35 of the "
        "Climate and Resilience law (mandatory for consultations launched from 21 August 2026).",
        source=CLIMATE,
        unit="%",
        fields=("considerations_environnementales",),
        population="true",
        known="env_known",
        numerator="env_criterion",
    ),
    Indicator(
        id="social_consideration",
        label_fr="Marchés avec au moins une considération sociale",
        label_en="Contracts with at least one social consideration",
        definition_fr="Part des marchés dont les considérations sociales comprennent une clause sociale, un critère "
        "social ou un marché (ou une concession) réservé, parmi ceux qui renseignent ce champ.",
        definition_en="Share of contracts whose social considerations include a social clause, a social criterion "
        "or a reserved contract (or concession), among those that fill the field.",
        source=f"{PNAD} (cible 30 %); {SPASER_LAW}",
        unit="%",
        fields=("considerations_sociales",),
        population="true",
        known="social_known",
        numerator="social_consideration",
    ),
    Indicator(
        id="social_above_eu",
        label_fr="Considération sociale dans les marchés au-dessus des seuils européens",
        label_en="Social consideration in contracts above the EU thresholds",
        definition_fr="Parmi les marchés dont le montant initial atteint le seuil européen en vigueur à leur date "
        "de notification (travaux si CPV 45 ou concession, sinon fournitures et services des pouvoirs "
        "adjudicateurs autres que l'État ; marchés de défense exclus), part avec une considération sociale.",
        definition_en="Among contracts whose initial amount reaches the EU threshold in force on their notification "
        "date (works for CPV 45 or a concession, else supplies and services of sub-central authorities; defence "
        "contracts excluded), the share with a social consideration.",
        source=CLIMATE,
        unit="%",
        fields=("considerations_sociales", "montant_initial", "date_notification", "code_cpv", "nature"),
        population="above_eu",
        known="social_known",
        numerator="social_consideration",
    ),
    Indicator(
        id="reserved",
        label_fr="Marchés réservés",
        label_en="Reserved contracts",
        definition_fr="Part des marchés réservés (entreprises adaptées, ESAT, SIAE, ESS) parmi ceux qui renseignent "
        "les considérations sociales.",
        definition_en="Share of reserved contracts (disability employers, insertion and social-economy "
        "enterprises) among those that fill the social considerations.",
        source="Code de la commande publique, art. L2113-12 à L2113-16",
        unit="%",
        fields=("considerations_sociales",),
        population="true",
        known="social_known",
        numerator="reserved",
    ),
    Indicator(
        id="sme_share",
        label_fr="Part attribuée aux PME",
        label_en="Share awarded to SMEs",
        definition_fr="Part des marchés attribués à des PME (catégorie d'entreprise SIRENE « PME »), un marché à "
        "plusieurs titulaires comptant pour une part égale par titulaire ; connu quand chaque titulaire a une "
        "catégorie SIRENE.",
        definition_en="Share of contracts awarded to SMEs (SIRENE company category \"PME\"), a contract with "
        "several titulaires counting for an equal share per titulaire; known when every titulaire has a SIRENE "
        "category.",
        source=SPASER_LAW,
        unit="%",
        fields=("titulaires.id", "ref_sirene_unites.categorie_entreprise"),
        population="true",
        known="sme_known",
        numerator="sme_fraction",
    ),
    Indicator(
        id="ess_share",
        label_fr="Part attribuée aux entreprises de l'ESS",
        label_en="Share awarded to social-economy enterprises",
        definition_fr="Part des marchés attribués à des entreprises de l'économie sociale et solidaire (SIRENE "
        "economieSocialeSolidaireUniteLegale = O), part égale par titulaire.",
        definition_en="Share of contracts awarded to social and solidarity economy enterprises (SIRENE "
        "economieSocialeSolidaireUniteLegale = O), an equal share per titulaire.",
        source="Loi n° 2014-856 relative à l'économie sociale et solidaire; " + SPASER_LAW,
        unit="%",
        fields=("titulaires.id", "ref_sirene_unites.ess"),
        population="true",
        known="ess_known",
        numerator="ess_fraction",
    ),
    Indicator(
        id="local_share",
        label_fr="Part attribuée aux entreprises de la région de l'acheteur",
        label_en="Share awarded to suppliers of the buyer's region",
        definition_fr="Part des marchés attribués à des établissements situés dans la région de l'établissement "
        "acheteur (communes SIRENE et COG), part égale par titulaire.",
        definition_en="Share of contracts awarded to establishments located in the region of the buyer's "
        "establishment (SIRENE communes and COG), an equal share per titulaire.",
        source="Politique d'achat de la collectivité (SPASER, ancrage territorial)",
        unit="%",
        fields=("acheteur_id", "titulaires.id", "ref_sirene_etablissements.commune_code", "ref_communes"),
        population="true",
        known="local_known",
        numerator="local_fraction",
    ),
    Indicator(
        id="new_suppliers",
        label_fr="Nouveaux fournisseurs (primo-accédants)",
        label_en="New suppliers",
        definition_fr=f"Part des marchés attribués à des fournisseurs (SIREN) sans marché de cet acheteur dans les "
        f"{NEW_YEARS} années précédentes, part égale par titulaire ; connu à partir de la {NEW_YEARS + 1}e année "
        "de données de l'acheteur.",
        definition_en=f"Share of contracts awarded to suppliers (SIREN) without a contract from this buyer in the "
        f"{NEW_YEARS} previous years, an equal share per titulaire; known from the buyer's {NEW_YEARS + 1}th "
        "year of data.",
        source="Politique d'achat de la collectivité (SPASER, accès des entreprises à la commande publique)",
        unit="%",
        fields=("acheteur_id", "titulaires.id", "date_notification"),
        population="true",
        known="new_known",
        numerator="new_fraction",
    ),
    Indicator(
        id="sme_advance",
        label_fr=f"Avance d'au moins {ADVANCE_RATE} % aux PME",
        label_en=f"Advance of at least {ADVANCE_RATE} % to SMEs",
        definition_fr=f"Parmi les marchés de plus de {ADVANCE_AMOUNT:,} € HT (montant initial) attribués à au moins "
        f"une PME, part avec une avance accordée d'au moins {ADVANCE_RATE} %.".replace(",", " "),
        definition_en=f"Among contracts above {ADVANCE_AMOUNT:,} EUR (initial amount) awarded to at least one "
        f"SME, the share granting an advance of at least {ADVANCE_RATE} %.",
        source="Code de la commande publique, art. R2191-3 à R2191-7 (avance); " + SPASER_LAW,
        unit="%",
        fields=("attribution_avance", "taux_avance", "montant_initial", "ref_sirene_unites.categorie_entreprise"),
        population="sme_above_advance_amount",
        known="advance_known",
        numerator="advance_paid",
    ),
    Indicator(
        id="innovative",
        label_fr="Marchés innovants",
        label_en="Innovative contracts",
        definition_fr="Part des marchés déclarés innovants (marcheInnovant), parmi ceux qui renseignent ce champ.",
        definition_en="Share of contracts declared innovative (marcheInnovant), among those that fill the field.",
        source="Code de la commande publique, art. R2122-9-1 (achats innovants)",
        unit="%",
        fields=("marche_innovant",),
        population="true",
        known="marche_innovant IS NOT NULL",
        numerator="marche_innovant",
    ),
    Indicator(
        id="joint_bids",
        label_fr="Marchés attribués à un groupement",
        label_en="Contracts awarded to a group of operators",
        definition_fr="Part des marchés dont le type de groupement d'opérateurs n'est pas « Pas de groupement ».",
        definition_en="Share of contracts whose type of group of operators is not \"Pas de groupement\".",
        source="Code de la commande publique, art. R2142-19 à R2142-27",
        unit="%",
        fields=("type_groupement_operateurs",),
        population="true",
        known="groupement_known",
        numerator="joint_bid",
    ),
    Indicator(
        id="subcontracting",
        label_fr="Sous-traitance déclarée",
        label_en="Declared subcontracting",
        definition_fr="En nombre : part des marchés déclarant de la sous-traitance. En valeur : montant des actes de "
        "sous-traitance rapporté au montant des marchés.",
        definition_en="In count: share of contracts declaring subcontracting. In value: amount of the "
        "subcontracting acts over the amount of the contracts.",
        source="Code de la commande publique, art. L2193-1 et suivants",
        unit="%",
        fields=("sous_traitance_declaree", "actes_sous_traitance.montant"),
        population="true",
        known="sous_traitance_declaree IS NOT NULL",
        numerator="sous_traitance_declaree",
        value_numerator="montant_sous_traite",
    ),
    Indicator(
        id="origin_france",
        label_fr="Origine France des produits",
        label_en="French origin of products",
        definition_fr="Part moyenne (en nombre) ou pondérée par le montant (en valeur) des produits d'origine "
        "française, là où l'origine est déclarée (origineFrance).",
        definition_en="Mean (count) or amount-weighted (value) share of products of French origin, where the "
        "origin is declared (origineFrance).",
        source="Décret n° 2022-767 (données essentielles, origine des produits)",
        unit="%",
        fields=("origine_france",),
        population="true",
        known="origine_france IS NOT NULL",
        numerator="origine_france",
    ),
    Indicator(
        id="single_bid",
        label_fr="Offre unique dans les procédures concurrentielles",
        label_en="Single bid in competitive procedures",
        definition_fr="Marchés ayant reçu une seule offre ÷ marchés d'une procédure concurrentielle (toute "
        "procédure sauf « sans publicité ni mise en concurrence ») ayant reçu au moins une offre.",
        definition_en="Contracts with exactly one bid ÷ contracts of a competitive procedure (every procedure but "
        "\"sans publicité ni mise en concurrence\") with at least one bid.",
        source=RED_FLAG,
        unit="%",
        fields=("offres_recues", "procedure"),
        population="maybe_competitive",
        known="competitive AND offres_recues IS NOT NULL",
        numerator="offres_recues = 1",
        better="lower",
    ),
    Indicator(
        id="avg_bids",
        label_fr="Nombre moyen d'offres",
        label_en="Average number of bids",
        definition_fr="Nombre moyen d'offres reçues par marché d'une procédure concurrentielle (en valeur : moyenne "
        "pondérée par le montant) ; 0 offre signifie « non renseigné ».",
        definition_en="Mean number of bids per contract of a competitive procedure (value: weighted by the "
        "amount); 0 bids means \"not filled\".",
        source=RED_FLAG,
        unit="offres",
        fields=("offres_recues", "procedure"),
        population="maybe_competitive",
        known="competitive AND offres_recues IS NOT NULL",
        numerator="offres_recues",
        scale=1.0,
    ),
    Indicator(
        id="no_publication",
        label_fr="Marchés sans publicité ni mise en concurrence",
        label_en="Contracts without publicity or competition",
        definition_fr=f"Marchés passés selon la procédure « {NO_PUBLICITY} » ÷ marchés dont la procédure est "
        "connue.",
        definition_en=f"Contracts awarded through the \"{NO_PUBLICITY}\" procedure ÷ contracts whose procedure "
        "is known.",
        source=RED_FLAG + "; Code de la commande publique, art. R2122-1 à R2122-11",
        unit="%",
        fields=("procedure",),
        population="true",
        known="procedure IS NOT NULL",
        numerator="no_publication",
        better="lower",
    ),
    Indicator(
        id="amendment_inflation",
        label_fr="Hausse des montants par avenants",
        label_en="Amount growth through modifications",
        definition_fr="En nombre : hausse moyenne (montant actuel − montant initial) ÷ montant initial par marché. "
        "En valeur : Σ (montant actuel − montant initial) ÷ Σ montant initial.",
        definition_en="Count: mean growth (current − initial amount) ÷ initial amount per contract. Value: "
        "Σ (current − initial amount) ÷ Σ initial amount.",
        source="Code de la commande publique, art. R2194-1 à R2194-10 (modifications)",
        unit="%",
        fields=("montant_initial", "montant", "montant_suspect"),
        population="true",
        known="growth_known",
        numerator="growth",
        value_numerator="montant - montant_initial",
        value_denominator="montant_initial",
        better="lower",
    ),
    _amendment_over(10, "Code de la commande publique, art. R2194-8 (modification de faible montant : 10 %)"),
    _amendment_over(15, "Code de la commande publique, art. R2194-8 (15 % pour les travaux)"),
    _amendment_over(50, "Code de la commande publique, art. R2194-2 et R2194-3 (limite de 50 %)"),
    Indicator(
        id="duration_extension",
        label_fr="Marchés prolongés",
        label_en="Contracts extended",
        definition_fr="Part des marchés dont la durée actuelle dépasse la durée initiale du fait des modifications.",
        definition_en="Share of contracts whose current duration exceeds the initial one through modifications.",
        source="Code de la commande publique, art. R2194-1 à R2194-10 (modifications)",
        unit="%",
        fields=("duree_mois_initiale", "duree_mois"),
        population="true",
        known="duration_known",
        numerator="duration_extended",
        better="lower",
    ),
    Indicator(
        id="splitting_suspicion",
        label_fr="Soupçon de saucissonnage",
        label_en="Splitting suspicion",
        definition_fr=f"Part des marchés dont le montant initial est entre {BAND} % et 100 % d'un seuil (national "
        "de publicité ou européen, en vigueur à la notification) et dont l'acheteur a, la même année et dans le "
        "même groupe CPV, au moins deux tels marchés dont la somme dépasse ce seuil.",
        definition_en=f"Share of contracts whose initial amount lies between {BAND} % and 100 % of a threshold "
        "(national publicity or EU, in force at notification) and whose buyer has, in the same year and CPV "
        "group, at least two such contracts whose sum exceeds that threshold.",
        source=RED_FLAG + "; Code de la commande publique, art. R2121-1 à R2121-9 (calcul de la valeur estimée)",
        unit="%",
        fields=("acheteur_id", "code_cpv", "montant_initial", "date_notification"),
        population="true",
        known="splitting_known",
        numerator="splitting_suspicion",
        better="lower",
    ),
    Indicator(
        id="supplier_concentration",
        label_fr="Concentration des fournisseurs (indice HHI)",
        label_en="Supplier concentration (HHI)",
        definition_fr="Indice de Herfindahl-Hirschman des parts des fournisseurs (SIREN) dans le périmètre : "
        "Σ part² × 10 000, les parts étant en nombre de marchés ou en montant (part égale par titulaire).",
        definition_en="Herfindahl-Hirschman index of the suppliers' (SIREN) shares in the scope: Σ share² × "
        "10 000, shares in number of contracts or in amount (an equal share per titulaire).",
        source=RED_FLAG,
        unit="HHI",
        fields=("titulaires.id", "montant"),
        population="true",
        known="n_titulaires > 0",
        numerator="1",
        scale=10000.0,
        better="lower",
        kind="hhi",
    ),
    Indicator(
        id="publication_delay",
        label_fr="Données publiées en retard",
        label_en="Data published late",
        definition_fr=f"Part des marchés dont les données essentielles sont publiées plus de {LATE_DAYS} jours après "
        "la notification, parmi ceux qui ont les deux dates (délai négatif exclu).",
        definition_en=f"Share of contracts whose essential data were published more than {LATE_DAYS} days after "
        "notification, among those with both dates (negative delays excluded).",
        source="Code de la commande publique, art. R2196-1 (publication dans les deux mois)",
        unit="%",
        fields=("date_notification", "date_publication_donnees"),
        population="true",
        known="publication_days >= 0",
        numerator=f"publication_days > {LATE_DAYS}",
        better="lower",
    ),
    Indicator(
        id="publication_delay_days",
        label_fr="Délai moyen de publication des données",
        label_en="Mean publication delay",
        definition_fr="Nombre moyen de jours entre la notification et la publication des données essentielles (en "
        "valeur : moyenne pondérée par le montant).",
        definition_en="Mean number of days between notification and publication of the essential data (value: "
        "weighted by the amount).",
        source="Code de la commande publique, art. R2196-1",
        unit="jours",
        fields=("date_notification", "date_publication_donnees"),
        population="true",
        known="publication_days >= 0",
        numerator="publication_days",
        scale=1.0,
        better="lower",
    ),
    Indicator(
        id="data_completeness",
        label_fr="Données complètes",
        label_en="Complete records",
        definition_fr="Part des marchés dont l'acheteur et chaque titulaire ont un identifiant valide (SIRET "
        "valide), le code CPV est connu, le lieu d'exécution est résolu et les considérations sociales et "
        "environnementales sont renseignées.",
        definition_en="Share of contracts whose buyer and every titulaire have a valid identifier (valid SIRET), "
        "whose CPV code is known, place of execution resolved and social and environmental considerations filled.",
        source="Arrêté du 22 décembre 2022 (données essentielles); " + SPASER_LAW,
        unit="%",
        fields=("acheteur_id", "titulaires.id", "code_cpv", "lieu_execution_code", "considerations_sociales",
                "considerations_environnementales", "quality_flags"),
        population="true",
        known="true",
        numerator="complete",
    ),
)
