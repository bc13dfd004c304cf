"""Interface words of the Egalim pages (French, English); merged into ``i18n.MESSAGES``.

Keys start with ``e_`` so that they never collide with the other bricks' words."""

from __future__ import annotations

from typing import Final

from spaser.indicators.egalim.catalogue import FAMILIES, GROUP_LABELS

EGALIM_MESSAGES: Final[dict[str, tuple[str, str]]] = {
    "nav_egalim": ("Egalim", "Egalim"),
    "e_title": ("Egalim : qualité des repas en restauration collective",
                "Egalim: food quality in collective catering"),
    "e_intro": ("Part des achats alimentaires durables et de qualité (objectif 50 %), dont bio (objectif 20 %), "
                "en valeur hors taxes, par restaurant et par année civile (code rural, art. L230-5-1). "
                "Chaque ligne d'achat compte une seule fois : bio, puis signes officiels de qualité, puis autres "
                "produits Egalim, puis externalités et performance environnementales.",
                "Share of sustainable and quality food purchases (target 50 %), of which organic (target 20 %), "
                "in value excluding VAT, per restaurant and calendar year (rural code, art. L230-5-1). Each "
                "purchase line counts once: organic, then official quality signs, then other Egalim products, "
                "then environmental externalities and performance."),
    "e_empty": ("Aucun achat de restauration collective importé pour l'instant : lancez « spaser egalim import "
                "FICHIER » avec un export des achats au format de ma cantine.",
                "No catering purchase imported yet: run \"spaser egalim import FILE\" with a purchase export in the "
                "national canteen tool's format."),
    "e_group": ("Groupe de restaurants", "Group of restaurants"),
    "e_all_groups": ("Tous les restaurants", "All restaurants"),
    "e_headline": ("Objectifs et réalisé", "Targets and actual"),
    "e_share_egalim": ("Part Egalim (durable et de qualité)", "Egalim share (sustainable and quality)"),
    "e_share_bio": ("Part bio ou en conversion", "Organic or in conversion share"),
    "e_share_meat_fish": ("Part Egalim des viandes et poissons", "Egalim share of meat and fish"),
    "e_share_france": ("Part d'origine France", "Share of French origin"),
    "e_share_local": ("Part de produits locaux", "Share of local products"),
    "e_share_short": ("Part en circuit court", "Short supply chain share"),
    "e_total": ("Achats alimentaires HT", "Food purchases excl. VAT"),
    "e_lines": ("Lignes d'achat", "Purchase lines"),
    "e_restaurants": ("Restaurants", "Restaurants"),
    "e_restaurant": ("Restaurant", "Restaurant"),
    "e_territory": ("Territoire des objectifs", "Territory of the targets"),
    "e_mainland": ("Métropole", "Mainland France"),
    # the notes of results.TERRITORY_NOTES, by territory status, in both languages
    "e_territory_unknown": ("Territoire inconnu (restaurant absent du registre ou sans département) : objectifs de "
                            "métropole.",
                            "Territory unknown (restaurant missing from the registry or without a département): "
                            "mainland targets."),
    "e_territory_mixed": ("Restaurants de territoires différents (ou inconnus) : objectifs de métropole.",
                          "Restaurants in different (or unknown) territories: mainland targets."),
    "e_by_family": ("Par famille de produits", "By product family"),
    "e_family": ("Famille", "Family"),
    "e_by_group": ("Par catégorie Egalim (chaque ligne une fois)", "By Egalim category (each line once)"),
    "e_category": ("Catégorie", "Category"),
    "e_by_restaurant": ("Par restaurant", "By restaurant"),
    "e_trend": ("Évolution", "Trend"),
    "e_value": ("Montant HT", "Amount excl. VAT"),
    "e_share": ("Part", "Share"),
    "e_target": ("Objectif", "Target"),
    "e_met": ("atteint", "met"),
    "e_not_met": ("non atteint", "not met"),
    "e_no_target": ("pas d'objectif", "no target"),
    "e_gap": ("Écart (points)", "Gap (points)"),
    "e_of_which_egalim": ("dont Egalim", "of which Egalim"),
    "e_of_which_bio": ("dont bio", "of which organic"),
    "e_siret": ("SIRET", "SIRET"),
    "e_name": ("Nom", "Name"),
    "e_see_dashboard": ("Voir le tableau de bord Egalim", "See the Egalim dashboard"),
    "e_home_title": ("Egalim en restauration collective", "Egalim in collective catering"),
    "e_stale": ("Résultats en cours de recalcul après un import.", "Results being recomputed after an import."),
    "e_note": ("Note", "Note"),
    # the buyer's workspace: importing purchase files from the web (egalim_workspace.py)
    "e_ws_title": ("Achats de restauration collective (Egalim)", "Collective catering purchases (Egalim)"),
    "e_ws_link": ("Importer les achats de restauration (Egalim)", "Import catering purchases (Egalim)"),
    "e_ws_back": ("Espace acheteur", "Buyer workspace"),
    "e_ws_upload": ("Importer un fichier d'achats", "Import a purchase file"),
    "e_ws_file": ("Fichier d'achats (CSV ou XLSX)", "Purchase file (CSV or XLSX)"),
    "e_ws_max": ("Mo au plus", "MB at most"),
    "e_ws_submit": ("Importer", "Import"),
    "e_ws_format": ("Format attendu", "Expected format"),
    "e_ws_format_intro": ("Le format d'import des achats de l'outil national « ma cantine » : une ligne par achat, "
                          "un en-tête en première ligne ; CSV séparé par des virgules, des points-virgules ou des "
                          "tabulations (UTF-8 ou Windows-1252), ou classeur XLSX (première feuille).",
                          "The purchase import format of the national canteen tool (« ma cantine »): one line "
                          "per purchase, a header on the first line; CSV separated by commas, semicolons or tabs "
                          "(UTF-8 or Windows-1252), or an XLSX workbook (first sheet)."),
    "e_ws_required": ("Colonnes obligatoires", "Required columns"),
    "e_ws_legacy": ("peut être remplacée par l'ancienne colonne", "may be replaced by the older column"),
    "e_ws_optional": ("Colonnes facultatives", "Optional columns"),
    "e_ws_rules": ("Chaque cellule est vérifiée : une ligne refusée n'est pas importée, les autres le sont, et le "
                   "rapport nomme la ligne, la colonne et la valeur de chaque refus. Un fichier déjà importé (même "
                   "contenu) ne l'est pas deux fois ; pour corriger un fichier, supprimez son import puis importez "
                   "le fichier corrigé.",
                   "Every cell is checked: a refused line is not imported, the others are, and the report names "
                   "the line, the column and the value of each refusal. A file already imported (same content) is "
                   "not imported twice; to correct a file, remove its import, then import the corrected file."),
    "e_ws_results": ("Les résultats publiés (parts Egalim et bio par restaurant) sont sur la page",
                     "The published results (Egalim and organic shares per restaurant) are on the page"),
    "e_ws_admin_note": ("Administrateur de la plateforme : vous voyez et pouvez supprimer les imports de toutes les "
                        "organisations ; l'import est réservé aux acheteurs des organisations.",
                        "Platform administrator: you see and may remove every organisation's imports; importing "
                        "is for the organisations' buyers."),
    "e_ws_imports": ("Imports", "Imports"),
    "e_ws_no_import": ("Aucun import pour l'instant.", "No import yet."),
    "e_ws_file_col": ("Fichier", "File"),
    "e_ws_date": ("Importé le", "Imported"),
    "e_ws_actor": ("Par", "By"),
    "e_ws_organisation": ("Organisation", "Organisation"),
    "e_ws_command_line": ("ligne de commande", "command line"),
    "e_ws_read": ("Lignes lues", "Lines read"),
    "e_ws_accepted": ("Acceptées", "Accepted"),
    "e_ws_rejected": ("Refusées", "Refused"),
    "e_ws_conflicts": ("Écarts matrices", "Matrix conflicts"),
    "e_ws_actions": ("Actions", "Actions"),
    "e_ws_report": ("Rapport d'import", "Import report"),
    "e_ws_remove": ("Supprimer…", "Remove…"),
    "e_ws_remove_confirm": ("Supprimer cet import retire ses lignes acceptées des résultats Egalim, qui sont "
                            "recalculés. Le fichier pourra être importé de nouveau. Confirmez-vous ?",
                            "Removing this import takes its accepted lines out of the Egalim results, which are "
                            "recomputed. The file may be imported again. Do you confirm?"),
    "e_ws_remove_button": ("Supprimer l'import", "Remove the import"),
    "e_ws_back_list": ("Imports Egalim", "Egalim imports"),
    "e_ws_format_read": ("Format lu", "Format read"),
    "e_ws_warnings": ("Avertissements", "Warnings"),
    "e_ws_refused_cells": ("Cellules refusées", "Refused cells"),
    "e_ws_no_refusal": ("Aucune ligne refusée.", "No line refused."),
    "e_ws_line": ("Ligne", "Line"),
    "e_ws_column": ("Colonne", "Column"),
    "e_ws_value": ("Valeur", "Value"),
    "e_ws_reason": ("Motif", "Reason"),
    "e_ws_shown_first": ("Seules les premières sont affichées ici :", "Only the first ones are shown here:"),
    "e_ws_csv": ("toutes les cellules refusées, avec la ligne brute (CSV)",
                 "every refused cell, with the raw line (CSV)"),
    "e_ws_matrix_conflicts": ("Écarts avec les matrices des fournisseurs", "Conflicts with the supplier matrices"),
    "e_ws_no_conflict": ("Aucun écart avec les matrices des fournisseurs.", "No conflict with the supplier matrices."),
    "e_ws_supplier": ("Fournisseur", "Supplier"),
    "e_ws_article": ("Code article", "Article code"),
    "e_ws_line_value": ("Valeur de la ligne (gardée)", "Line's value (kept)"),
    "e_ws_article_value": ("Valeur de l'article", "Article's value"),
    "e_ws_kind": ("Nature", "Kind"),
    "e_ws_kind_difference": ("différence", "difference"),
    "e_ws_kind_unknown_article": ("article absent de la matrice", "article missing from the matrix"),
    "e_ws_conflicts_shown": ("Seuls les premiers écarts sont affichés.", "Only the first conflicts are shown."),
}

#: English names of the product families and Egalim categories; the French ones are the catalogue's.
_FAMILIES_EN: Final[dict[str, str]] = {
    "VIANDES_VOLAILLES": "Meat and poultry",
    "CHARCUTERIE": "Cured and cooked meats",
    "PRODUITS_DE_LA_MER": "Seafood and aquaculture products",
    "FRUITS_ET_LEGUMES": "Fruit and vegetables",
    "PRODUITS_LAITIERS": "Dairy products",
    "BOULANGERIE": "Bread and pastry",
    "BOISSONS": "Drinks",
    "AUTRES": "Other products",
}
_GROUPS_EN: Final[dict[str, str]] = {
    "BIO": "Organic or in conversion",
    "SIQO": "Official quality signs (Label rouge, PDO, PGI, TSG)",
    "EGALIM_AUTRES": "Other Egalim products (HVE, sustainable fishing, outermost regions, farm-made, fair trade)",
    "EXTERNALITES_PERFORMANCE": "Environmental externalities and environmental performance",
    "NON_EGALIM": "Not Egalim",
}
EGALIM_MESSAGES.update({f"e_family_{code}": (label, _FAMILIES_EN[code]) for code, label in FAMILIES.items()})
EGALIM_MESSAGES.update({f"e_group_{code}": (label, _GROUPS_EN[code]) for code, label in GROUP_LABELS.items()})


def family_label(code: str, lang: str) -> str:
    """A product family's name in the page's language; an unknown code (kept from the file) as it is."""
    pair = EGALIM_MESSAGES.get(f"e_family_{code}")
    return code if pair is None else pair[1 if lang == "en" else 0]
