"""Consultation documents (règlement de la consultation, CCTP) built from the clauses a buyer chose.

Why a document model instead of writing DOCX directly: the same text must come out as DOCX, ODT and PDF
(``writers.py``), and the rules "which clause goes where" are easier to test on plain values than inside a
word-processor file. Everything here is pure: no I/O, no clock, the same input always gives the same document.

Where a clause goes: award criteria and reserved-contract clauses belong to the RC, technical specifications and
execution conditions to the CCTP. A clause is never dropped: each one is in exactly one of the two documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

from spaser.clauses.catalogue import KINDS, THEMES, ModelClause
from spaser.errors import InputError

BlockKind = Literal["heading", "paragraph", "bullet", "note"]
BLOCK_KINDS: Final = ("heading", "paragraph", "bullet", "note")
#: Kinds of clause that go in each document (the union is ``KINDS``).
RC_KINDS: Final = frozenset({"award_criterion", "reserved_contract"})
CCTP_KINDS: Final = frozenset({"technical_specification", "execution_condition"})
_THEME_HEADINGS: Final = {"environmental": "Conditions environnementales", "social": "Conditions sociales"}
_TO_COMPLETE: Final = "[à compléter par l’acheteur]"
NO_CLAUSE: Final = "Aucune clause du catalogue n’a été choisie pour cette consultation."


@dataclass(frozen=True, slots=True)
class Block:
    """One unit of text; writers map each kind to their own styles (heading levels 1–3 only)."""

    kind: BlockKind
    text: str
    level: int = 1  # meaningful for headings only

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")
        if self.kind == "heading" and not 1 <= self.level <= 3:
            raise ValueError(f"heading level must be 1 to 3, not {self.level}")


@dataclass(frozen=True, slots=True)
class TemplateDocument:
    """A whole document: what every writer renders, in order."""

    title: str
    subtitle: str
    blocks: tuple[Block, ...]
    language: str = "fr"


@dataclass(frozen=True, slots=True)
class ConsultationInfo:
    """What the buyer typed about the consultation; empty strings become "to complete" placeholders."""

    reference: str
    title: str
    buyer: str
    cpv: str = ""
    procedure: str = ""
    deadline: str = ""
    criteria: tuple[tuple[str, Decimal], ...] = ()

    def __post_init__(self) -> None:
        for label, weight in self.criteria:
            if not label.strip():
                raise InputError("an award criterion has no label")
            if not weight.is_finite() or not Decimal(0) <= weight <= Decimal(100):
                raise InputError(f"criterion {label!r}: weight must be between 0 and 100 %, not {weight}")


def format_weight(weight: Decimal) -> str:
    """French percentage: ``Decimal("12.50")`` → ``"12,5 %"`` (comma, non-breaking space before %)."""
    text = format(weight.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",") + "\u00a0%"


def build_rc(info: ConsultationInfo, clauses: Sequence[ModelClause]) -> TemplateDocument:
    """Règlement de la consultation: identification, procedure, reserved contract, award criteria, offer content."""
    chosen = _checked(clauses)
    reserved = [c for c in chosen if c.kind == "reserved_contract"]
    criteria = [c for c in chosen if c.kind == "award_criterion"]
    blocks: list[Block] = []
    article = _Articles(blocks)

    article("Objet de la consultation")
    blocks += _object_blocks(info, "La présente consultation", chosen)
    article("Identification de l’acheteur")
    blocks.append(Block("paragraph", f"Acheteur : {info.buyer or _TO_COMPLETE}"))
    article("Procédure")
    blocks.append(Block("paragraph", f"Procédure de passation : {info.procedure or _TO_COMPLETE}"))
    blocks.append(Block("paragraph", f"Date limite de réception des offres : {info.deadline or _TO_COMPLETE}"))

    if reserved:
        article("Marché réservé")
        blocks.append(Block("paragraph", "Le marché est réservé dans les conditions suivantes :"))
        for clause in reserved:
            blocks += _clause_blocks(clause, level=2, verification_label="Modalités de vérification")

    article("Critères d’attribution")
    if info.criteria:
        blocks.append(Block("paragraph", "Les offres sont jugées selon les critères pondérés suivants :"))
        blocks += [Block("bullet", f"{label} : {format_weight(weight)}") for label, weight in info.criteria]
        total = sum((weight for _, weight in info.criteria), Decimal(0))
        if total != 100:
            blocks.append(Block("note", f"La somme des pondérations est de {format_weight(total)} : elle doit "
                                        "être de 100\u00a0%."))
    else:
        blocks.append(Block("paragraph", f"Critères et pondérations : {_TO_COMPLETE}"))
    for clause in criteria:
        blocks += _clause_blocks(clause, level=2, verification_label="Modalités de vérification")

    article("Contenu des offres")
    rc_clauses = reserved + criteria
    if rc_clauses:
        blocks.append(Block("paragraph", "Outre les pièces de candidature, chaque offre contient les justificatifs "
                                         "suivants :"))
        blocks += [Block("bullet", f"{c.title} : {c.verification or _TO_COMPLETE}") for c in rc_clauses]
    else:
        blocks.append(Block("paragraph", "Aucune clause du catalogue n’a été choisie pour le règlement de la "
                                         "consultation ; aucun justificatif particulier n’est demandé."))
    if any(c.kind in CCTP_KINDS for c in chosen):
        blocks.append(Block("note", "Les spécifications techniques et les conditions d’exécution figurent au "
                                    "CCTP."))
    return TemplateDocument("Règlement de la consultation", _subtitle(info), tuple(blocks))


def build_cctp(info: ConsultationInfo, clauses: Sequence[ModelClause]) -> TemplateDocument:
    """CCTP sections: technical specifications, then execution conditions grouped by theme."""
    chosen = _checked(clauses)
    specifications = _by_theme(c for c in chosen if c.kind == "technical_specification")
    conditions = _by_theme(c for c in chosen if c.kind == "execution_condition")
    blocks: list[Block] = []
    article = _Articles(blocks)

    article("Objet du marché")
    blocks += _object_blocks(info, "Le présent marché", chosen)
    article("Spécifications techniques")
    if specifications:
        for clause in specifications:
            blocks += _clause_blocks(clause, level=2, verification_label="Contrôle")
    else:
        blocks.append(Block("paragraph", "Aucune spécification technique n’a été choisie."))

    article("Conditions d’exécution")
    theme: str | None = None
    for clause in conditions:
        if clause.theme != theme:
            theme = clause.theme
            blocks.append(Block("heading", _THEME_HEADINGS.get(theme, f"Autres conditions ({theme})"), 2))
        blocks += _clause_blocks(clause, level=3, verification_label="Contrôle")
    if not conditions:
        blocks.append(Block("paragraph", "Aucune condition d’exécution n’a été choisie."))
    if any(c.kind in RC_KINDS for c in chosen):
        blocks.append(Block("note", "Les critères d’attribution et les clauses de marché réservé figurent au "
                                    "règlement de la consultation."))
    return TemplateDocument("Cahier des clauses techniques particulières (CCTP)", _subtitle(info), tuple(blocks))


class _Articles:
    """Numbers the level-1 headings ("Article 1 – …") so that optional articles never leave gaps."""

    def __init__(self, blocks: list[Block]) -> None:
        self._blocks = blocks
        self._number = 0

    def __call__(self, title: str) -> None:
        self._number += 1
        self._blocks.append(Block("heading", f"Article {self._number} – {title}", 1))


def _checked(clauses: Iterable[ModelClause]) -> list[ModelClause]:
    """Selection order, each clause once; an unknown kind is refused rather than left out of both documents."""
    chosen = list(dict.fromkeys(clauses))
    for clause in chosen:
        if clause.kind not in KINDS:
            raise InputError(f"clause {clause.id!r}: unknown kind {clause.kind!r} (expected one of {', '.join(KINDS)})")
    return chosen


def _by_theme(clauses: Iterable[ModelClause]) -> list[ModelClause]:
    """Environmental, then social, then any other theme; selection order within a theme (stable sort)."""
    return sorted(clauses, key=lambda c: THEMES.index(c.theme) if c.theme in THEMES else len(THEMES))


def _subtitle(info: ConsultationInfo) -> str:
    return f"{info.title or _TO_COMPLETE} — référence {info.reference or _TO_COMPLETE}"


def _object_blocks(info: ConsultationInfo, subject: str, chosen: Sequence[ModelClause]) -> list[Block]:
    blocks = [
        Block("paragraph", f"{subject} a pour objet : {info.title or _TO_COMPLETE}."),
        Block("paragraph", f"Référence : {info.reference or _TO_COMPLETE}"),
    ]
    if info.cpv:
        blocks.append(Block("paragraph", f"Code CPV principal : {info.cpv}"))
    if not chosen:
        blocks.append(Block("note", NO_CLAUSE))
    return blocks


def _clause_blocks(clause: ModelClause, *, level: int, verification_label: str) -> list[Block]:
    """Title, text, how it is checked and, as a note, the legal basis the buyer can cite."""
    blocks = [Block("heading", clause.title, level), Block("paragraph", clause.text)]
    if clause.verification:
        blocks.append(Block("paragraph", f"{verification_label} : {clause.verification}"))
    if clause.legal_basis:
        blocks.append(Block("note", f"Fondement juridique : {' ; '.join(clause.legal_basis)}"))
    return blocks
