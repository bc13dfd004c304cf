"""The labels, certifications and statuses a supplier profile may declare, and what each one proves.

Why a closed vocabulary: matching gives points for the labels relevant to a need (:mod:`spaser.sourcing.matching`)
and buyers filter on them, so a profile must name them by a fixed code, not in free text ("ISO14001", "iso
14 001", "certifié 14001"…). Each entry says who grants it and what it proves, so that a buyer reads a claim at its
real weight: a management-system certificate (ISO 14001, EMAS) proves a process, not a product's performance; an
ecolabel proves a product or service category's criteria; SIAE and EA/ESAT are legal statuses that open reserved
contracts.

Left out on purpose: ISO 26000 (guidance, not certifiable: the assessed labels built on it are LUCIE and Engagé
RSE), CSR ratings such as EcoVadis (a commercial rating, not a label or a certification), and any label whose
criteria could not be checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from spaser.errors import InputError

Theme = Literal["environmental", "social", "quality"]
THEMES: Final[tuple[Theme, ...]] = ("environmental", "social", "quality")


@dataclass(frozen=True)
class Label:
    code: str  # slug stored in profiles
    name_fr: str
    name_en: str
    theme: Theme
    proves_fr: str
    proves_en: str


_ALL: Final = (
    # Environmental management systems and ecolabels.
    Label("iso-14001", "ISO 14001", "ISO 14001", "environmental",
          "Système de management environnemental certifié par un organisme accrédité (ISO 14001) ; prouve une "
          "démarche de maîtrise des impacts, pas la performance d'un produit.",
          "Environmental management system certified by an accredited body (ISO 14001); proves a process of "
          "controlling impacts, not a product's performance."),
    Label("iso-50001", "ISO 50001", "ISO 50001", "environmental",
          "Système de management de l'énergie certifié (ISO 50001) : suivi et amélioration de la performance "
          "énergétique de l'organisation.",
          "Certified energy management system (ISO 50001): the organisation monitors and improves its energy "
          "performance."),
    Label("emas", "EMAS (système communautaire de management environnemental et d'audit)",
          "EMAS (EU Eco-Management and Audit Scheme)", "environmental",
          "Enregistrement EMAS (règlement (CE) 1221/2009) : système de management environnemental et déclaration "
          "environnementale publique vérifiés par un vérificateur accrédité.",
          "EMAS registration (Regulation (EC) 1221/2009): environmental management system and public environmental "
          "statement checked by an accredited verifier."),
    Label("ecolabel-ue", "Ecolabel européen", "EU Ecolabel", "environmental",
          "Le produit ou le service respecte les critères de l'Ecolabel européen de sa catégorie (règlement (CE) "
          "66/2010), certifié par un organisme compétent (AFNOR Certification en France).",
          "The product or service meets the EU Ecolabel criteria of its category (Regulation (EC) 66/2010), "
          "certified by a competent body (AFNOR Certification in France)."),
    Label("nf-environnement", "NF Environnement", "NF Environnement", "environmental",
          "Écolabel officiel français délivré par AFNOR Certification : le produit respecte les critères "
          "environnementaux et d'usage de sa catégorie.",
          "Official French ecolabel granted by AFNOR Certification: the product meets the environmental and "
          "fitness-for-use criteria of its category."),
    Label("rge", "RGE (Reconnu garant de l'environnement)", "RGE (recognised environmental guarantor)",
          "environmental",
          "Qualification des entreprises de travaux de rénovation énergétique et d'énergies renouvelables (et des "
          "bureaux d'études, RGE Études), délivrée par un organisme de qualification (Qualibat, Qualit'EnR, "
          "Qualifelec, OPQIBI…).",
          "Qualification of contractors for energy renovation and renewable energy works (and of design offices, "
          "RGE Études), granted by a qualification body (Qualibat, Qualit'EnR, Qualifelec, OPQIBI…)."),
    Label("imprim-vert", "Imprim'Vert", "Imprim'Vert", "environmental",
          "Marque des imprimeurs : élimination conforme des déchets dangereux, pas de produits toxiques, suivi "
          "des consommations d'énergie.",
          "Printers' trademark: hazardous waste properly disposed of, no toxic products, energy use monitored."),
    Label("fsc", "FSC (Forest Stewardship Council)", "FSC (Forest Stewardship Council)", "environmental",
          "Certification de la chaîne de contrôle FSC : le bois ou le papier vendu provient de forêts gérées "
          "selon les standards FSC.",
          "FSC chain-of-custody certification: the wood or paper sold comes from forests managed under FSC "
          "standards."),
    Label("pefc", "PEFC", "PEFC", "environmental",
          "Certification de la chaîne de contrôle PEFC : le bois ou le papier vendu provient de forêts gérées "
          "durablement selon les standards PEFC.",
          "PEFC chain-of-custody certification: the wood or paper sold comes from sustainably managed forests "
          "under PEFC standards."),
    # Food (labels counted by the Egalim law for collective catering, art. L230-5-1 of the code rural).
    Label("ab", "Agriculture biologique (AB)", "Organic farming (AB)", "environmental",
          "Produits issus de l'agriculture biologique (règlement (UE) 2018/848), certifiés par un organisme agréé.",
          "Products from organic farming (Regulation (EU) 2018/848), certified by an approved body."),
    Label("hve", "Haute valeur environnementale (HVE)", "High environmental value (HVE)", "environmental",
          "Certification environnementale des exploitations agricoles de niveau 3 (biodiversité, phytosanitaires, "
          "fertilisation, eau).",
          "Level-3 environmental certification of farms (biodiversity, plant protection, fertilisation, water)."),
    Label("label-rouge", "Label Rouge", "Label Rouge", "quality",
          "Signe officiel de qualité : le produit a une qualité supérieure à celle d'un produit courant similaire, "
          "contrôlée par un organisme certificateur.",
          "Official quality sign: the product's quality is above that of a similar ordinary product, checked by a "
          "certification body."),
    Label("commerce-equitable", "Commerce équitable", "Fair trade", "social",
          "Produits certifiés par un système de commerce équitable (Fairtrade/Max Havelaar, SPP, Biopartenaire…) : "
          "prix et conditions garantis aux producteurs.",
          "Products certified by a fair trade scheme (Fairtrade/Max Havelaar, SPP, Biopartenaire…): prices and "
          "terms guaranteed to producers."),
    # Social statuses and approvals.
    Label("esus", "Agrément ESUS (entreprise solidaire d'utilité sociale)",
          "ESUS approval (solidarity enterprise of social utility)", "social",
          "Agrément préfectoral (art. L3332-17-1 du code du travail) : entreprise de l'économie sociale et "
          "solidaire poursuivant une utilité sociale, à la politique de rémunération encadrée.",
          "Prefectoral approval (art. L3332-17-1 of the code du travail): a social and solidarity economy "
          "enterprise pursuing a social purpose, with capped pay."),
    Label("siae", "Structure d'insertion par l'activité économique (SIAE)",
          "Work integration social enterprise (SIAE)", "social",
          "Structure conventionnée par l'État (art. L5132-4 du code du travail : EI, ETTI, AI, ACI) ; peut "
          "recevoir les marchés réservés de l'article L2113-13 du code de la commande publique.",
          "Structure under agreement with the State (art. L5132-4 of the code du travail: EI, ETTI, AI, ACI); "
          "eligible for the contracts reserved by art. L2113-13 of the code de la commande publique."),
    Label("ea-esat", "Entreprise adaptée ou ESAT", "Adapted enterprise or ESAT (sheltered work)", "social",
          "Entreprise adaptée (art. L5213-13 du code du travail) ou ESAT (art. L344-2 du code de l'action sociale "
          "et des familles) ; peut recevoir les marchés réservés de l'article L2113-12 du code de la commande "
          "publique.",
          "Adapted enterprise (art. L5213-13 of the code du travail) or ESAT (art. L344-2 of the code de l'action "
          "sociale et des familles); eligible for the contracts reserved by art. L2113-12 of the code de la "
          "commande publique."),
    Label("iso-45001", "ISO 45001", "ISO 45001", "social",
          "Système de management de la santé et de la sécurité au travail certifié (ISO 45001).",
          "Certified occupational health and safety management system (ISO 45001)."),
    # Corporate social responsibility (assessed labels built on ISO 26000) and quality management.
    Label("lucie", "Label LUCIE (RSE, ISO 26000)", "LUCIE label (CSR, ISO 26000)", "social",
          "Label RSE attribué après évaluation par un tiers de la démarche de responsabilité sociétale au regard "
          "de l'ISO 26000.",
          "CSR label granted after a third-party assessment of the organisation's social responsibility against "
          "ISO 26000."),
    Label("engage-rse", "Label Engagé RSE (AFNOR)", "Engagé RSE label (AFNOR)", "social",
          "Label RSE d'AFNOR Certification : évaluation de la maturité de la démarche de responsabilité sociétale, "
          "fondée sur l'ISO 26000.",
          "AFNOR Certification's CSR label: assessment of the maturity of the organisation's social responsibility, "
          "based on ISO 26000."),
    Label("iso-9001", "ISO 9001", "ISO 9001", "quality",
          "Système de management de la qualité certifié (ISO 9001).",
          "Certified quality management system (ISO 9001)."),
)

#: Every label by code, in the order above (environmental, food, social, CSR and quality).
LABELS: Final[dict[str, Label]] = {entry.code: entry for entry in _ALL}


def label(code: str) -> Label:
    """The label of ``code`` (case and surrounding spaces ignored), or an ``InputError`` naming the allowed codes."""
    found = LABELS.get(code.strip().lower()) if isinstance(code, str) else None
    if found is None:
        raise InputError(f"label: unknown code {code!r}; choose among {', '.join(LABELS)}")
    return found


def labels_of_theme(theme: str) -> frozenset[str]:
    """The codes of one theme (``environmental``, ``social`` or ``quality``)."""
    if theme not in THEMES:
        raise InputError(f"theme: unknown value {theme!r}; choose among {', '.join(THEMES)}")
    return frozenset(code for code, entry in LABELS.items() if entry.theme == theme)
