"""French first, English available: the interface's words, and how a request chooses its language.

Why a dict and not gettext catalogues: the interface has a few hundred short strings; keeping both languages
side by side in one module makes a missing translation a test failure (tests/unit/web/test_i18n.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from spaser.web.i18n_egalim import EGALIM_MESSAGES
from spaser.web.i18n_guichet import GUICHET_MESSAGES
from spaser.web.i18n_sourcing import SOURCING_MESSAGES

LANGUAGES: Final = ("fr", "en")

MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "site_title": ("Observatoire de la commande publique responsable", "Responsible public procurement observatory"),
    "skip": ("Aller au contenu", "Skip to content"),
    "nav_home": ("Tableau de bord", "Dashboard"),
    "nav_indicators": ("Indicateurs", "Indicators"),
    "nav_contracts": ("Contrats", "Contracts"),
    "nav_quality": ("Qualité des données", "Data quality"),
    "nav_opendata": ("Données ouvertes", "Open data"),
    "nav_methodology": ("Méthodologie", "Methodology"),
    "demo_banner": ("Données de démonstration : ces contrats sont synthétiques et ne décrivent aucun achat réel.",
                    "Demonstration data: these contracts are synthetic and describe no real purchase."),
    "other_language": ("English", "Français"),
    "nav_consultations": ("Consultations", "Tenders"),
    "nav_plans": ("Achats prévus", "Planned purchases"),
    "nav_suppliers": ("Entreprises", "Companies"),
    "nav_guichet": ("Guichet vert", "Green desk"),
    "my_space": ("Mon espace", "My space"),
    "login": ("Connexion", "Log in"),
    "logout": ("Déconnexion", "Log out"),
    "no_data": ("Aucune donnée pour l'instant : lancez « spaser ingest FICHIERS » ou « make run ».",
                "No data yet: run \"spaser ingest FILES\" or \"make run\"."),
    "organisation": ("Organisation", "Organisation"),
    "all_buyers": ("Tous les acheteurs", "All buyers"),
    "year": ("Année", "Year"),
    "show": ("Afficher", "Show"),
    "targets_vs_actual": ("Objectifs du SPASER et réalisé", "SPASER targets and actual"),
    "trends": ("Évolution", "Trends"),
    "art35": ("Préparation à l'article 35 (critère environnemental)", "Article 35 readiness (environmental criterion)"),
    "indicator": ("Indicateur", "Indicator"),
    "measure": ("Mesure", "Measure"),
    "measure_count": ("en nombre", "in count"),
    "measure_value": ("en valeur", "in value"),
    "value": ("Valeur", "Value"),
    "target": ("Cible", "Target"),
    "status": ("Statut", "Status"),
    "status_met": ("atteint", "met"),
    "status_on_track": ("en bonne voie", "on track"),
    "status_off_track": ("en retard", "off track"),
    "coverage": ("Couverture", "Coverage"),
    "excluded": ("Exclus (montant)", "Excluded (amount)"),
    "numerator": ("Numérateur", "Numerator"),
    "denominator": ("Dénominateur", "Denominator"),
    "definition": ("Définition", "Definition"),
    "source": ("Source", "Source"),
    "formula": ("Formule", "Formula"),
    "by_year": ("Par année", "By year"),
    "by_scope_buyer": ("Par acheteur", "By buyer"),
    "by_scope_cpv_division": ("Par division CPV", "By CPV division"),
    "by_scope_procedure": ("Par procédure", "By procedure"),
    "by_scope_region": ("Par région", "By region"),
    "by_scope_departement": ("Par département", "By département"),
    "by_scope_nature": ("Par nature", "By nature"),
    "downloads": ("Téléchargements", "Downloads"),
    "search": ("Rechercher dans l'objet", "Search the object"),
    "buyer": ("Acheteur", "Buyer"),
    "supplier": ("Titulaire", "Supplier"),
    "cpv": ("Code CPV (préfixe)", "CPV code (prefix)"),
    "procedure": ("Procédure", "Procedure"),
    "amount": ("Montant HT", "Amount (excl. VAT)"),
    "amount_min": ("Montant minimum", "Minimum amount"),
    "amount_max": ("Montant maximum", "Maximum amount"),
    "consideration": ("Considération", "Consideration"),
    "consideration_any": ("Toutes", "Any"),
    "consideration_environnementale": ("environnementale", "environmental"),
    "consideration_sociale": ("sociale", "social"),
    "consideration_aucune": ("non renseignée", "not filled"),
    "flag": ("Signalement qualité", "Quality flag"),
    "sort": ("Tri", "Sort"),
    "sort_date": ("plus récents", "most recent"),
    "sort_date_asc": ("plus anciens", "oldest"),
    "sort_montant": ("montant décroissant", "largest amount"),
    "sort_montant_asc": ("montant croissant", "smallest amount"),
    "filter": ("Filtrer", "Filter"),
    "results": ("résultats", "results"),
    "previous": ("Précédents", "Previous"),
    "next": ("Suivants", "Next"),
    "export_csv": ("Exporter la sélection (CSV)", "Export the selection (CSV)"),
    "object": ("Objet", "Object"),
    "date": ("Date de notification", "Notification date"),
    "contract": ("Contrat", "Contract"),
    "modifications": ("Modifications", "Modifications"),
    "titulaires": ("Titulaires", "Suppliers"),
    "sources": ("Sources", "Sources"),
    "flags": ("Signalements qualité", "Quality flags"),
    "all_fields": ("Tous les champs", "All fields"),
    "none": ("aucun", "none"),
    "contracts_count": ("Contrats", "Contracts"),
    "total_amount": ("Montant total", "Total amount"),
    "top_suppliers": ("Principaux titulaires", "Main suppliers"),
    "top_buyers": ("Principaux acheteurs", "Main buyers"),
    "quarantined": ("En quarantaine", "Quarantined"),
    "records": ("Versions chargées", "Loaded versions"),
    "quarantine_reasons": ("Motifs de quarantaine", "Quarantine reasons"),
    "table_schema": ("Table Schema", "Table Schema"),
    "download": ("Télécharger", "Download"),
    "not_found": ("Page introuvable", "Page not found"),
    "error": ("Erreur", "Error"),
    "unknown": ("inconnu", "unknown"),
    "chart_data": ("Données du graphique", "Chart data"),
    "scope_all": ("Ensemble", "All"),
}

# The sourcing space's and the guichet vert's words live beside their pages.
MESSAGES.update(SOURCING_MESSAGES)
MESSAGES.update(GUICHET_MESSAGES)
MESSAGES.update(EGALIM_MESSAGES)


def translator(lang: str) -> Callable[[str], str]:
    index = 1 if lang == "en" else 0

    def translate(key: str) -> str:
        pair = MESSAGES.get(key)
        return pair[index] if pair else key

    return translate


def choose_language(query_lang: str | None, cookie_lang: str | None, accept: str | None) -> str:
    """?lang= wins, then the cookie, then the browser's first preference among ours; French by default."""
    for candidate in (query_lang, cookie_lang):
        if candidate in LANGUAGES:
            return candidate
    if accept:
        for part in accept.split(","):
            code = part.split(";")[0].strip().lower()[:2]
            if code in LANGUAGES:
                return code
    return "fr"
