"""RC and CCTP built from chosen clauses, and their DOCX / ODT / PDF renderings read back with other libraries."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime
from decimal import Decimal

import docx
import pypdf
import pytest
from odf import teletype
from odf.opendocument import load
from odf.text import H, List, P

from spaser.clauses.catalogue import ModelClause
from spaser.clauses.templates import (
    NO_CLAUSE,
    Block,
    ConsultationInfo,
    TemplateDocument,
    build_cctp,
    build_rc,
    format_weight,
)
from spaser.clauses.writers import FORMATS, latin1_safe, render, to_docx, to_odt, to_pdf
from spaser.errors import InputError

LONG_TEXT = " ".join(
    f"Le titulaire s’engage à réduire ses émissions, étape {i} du plan de progrès." for i in range(150)
)


def clause(id: str, kind: str, theme: str = "environmental", *, title: str = "", text: str = "",
           verification: str = "", legal_basis: tuple[str, ...] = ()) -> ModelClause:
    return ModelClause(id=id, title=title or f"Clause {id}", kind=kind, theme=theme, level="basic", categories=(),
                       legal_basis=legal_basis, text=text or f"Texte de la clause {id}.",
                       verification=verification or f"Justificatif {id}")


BIO = clause("bio", "award_criterion", title="Part de produits bio – bœuf et œufs",
             text="Part en valeur des denrées issues de l’agriculture biologique (« AB »), coût ≤ 5 €.",
             verification="Factures et certificats “AB” de l’organisme certificateur…",
             legal_basis=("Code de la commande publique, art. R2152-7", "Loi EGalim, art. 24"))
ESAT = clause("esat", "reserved_contract", "social", title="Marché réservé aux ESAT et EA",
              text="Le marché est réservé aux entreprises adaptées.", verification="Attestation d’agrément",
              legal_basis=("Code de la commande publique, art. L2113-12",))
ECOLABEL = clause("ecolabel", "technical_specification", title="Produits d’entretien écolabellisés",
                  text="Les produits portent l’Écolabel européen ou équivalent.", verification="Fiches produits")
INSERTION = clause("insertion", "execution_condition", "social", title="Heures d’insertion",
                   text=LONG_TEXT, verification="Relevés mensuels des heures\u00a0effectuées",
                   legal_basis=("Code de la commande publique, art. L2112-2",))
PACKAGING = clause("emballages", "execution_condition", title="Réduction des emballages", text="Zéro plastique.")
CLAUSES = (BIO, ESAT, ECOLABEL, INSERTION, PACKAGING)
INFO = ConsultationInfo(reference="2025-RES-01", title="Restauration scolaire", buyer="Ville de Nîmes", cpv="55524000",
                        procedure="Appel d’offres ouvert", deadline="15 mars 2025 à 12 h",
                        criteria=(("Prix", Decimal("40")), ("Valeur technique", Decimal("45.0")),
                                  ("Performance environnementale", Decimal("15"))))


def texts(doc: TemplateDocument, kind: str | None = None) -> list[str]:
    return [b.text for b in doc.blocks if kind is None or b.kind == kind]


def headings(doc: TemplateDocument) -> list[str]:
    return texts(doc, "heading")


# --- the document model --------------------------------------------------------------------------------------------

def test_rc_holds_reserved_contract_and_award_criteria_only() -> None:
    rc = build_rc(INFO, CLAUSES)
    assert rc.title == "Règlement de la consultation" and rc.language == "fr"
    assert "2025-RES-01" in rc.subtitle and "Restauration scolaire" in rc.subtitle
    titles = headings(rc)
    assert ESAT.title in titles and BIO.title in titles
    assert not {ECOLABEL.title, INSERTION.title, PACKAGING.title} & set(titles)
    assert titles.index("Article 4 – Marché réservé") < titles.index(ESAT.title)
    assert "Article 5 – Critères d’attribution" in titles
    body = texts(rc)
    assert "Acheteur : Ville de Nîmes" in body and "Code CPV principal : 55524000" in body
    assert f"Modalités de vérification : {BIO.verification}" in body
    assert "Fondement juridique : Code de la commande publique, art. R2152-7 ; Loi EGalim, art. 24" in texts(rc, "note")
    # the offer must contain each proof named in the RC clauses
    assert f"{BIO.title} : {BIO.verification}" in texts(rc, "bullet")
    assert f"{ESAT.title} : {ESAT.verification}" in texts(rc, "bullet")


def test_rc_without_reserved_clause_has_no_reserved_article_and_no_gap_in_numbering() -> None:
    rc = build_rc(INFO, [BIO])
    articles = [t for t in headings(rc) if t.startswith("Article")]
    assert not any("Marché réservé" in t for t in articles)
    assert [int(re.findall(r"\d+", t)[0]) for t in articles] == list(range(1, len(articles) + 1))


def test_criteria_are_listed_with_their_weights() -> None:
    bullets = texts(build_rc(INFO, CLAUSES), "bullet")
    assert bullets[:3] == [
        "Prix : 40\u00a0%", "Valeur technique : 45\u00a0%", "Performance environnementale : 15\u00a0%"
    ]
    assert format_weight(Decimal("12.50")) == "12,5\u00a0%"
    assert format_weight(Decimal("0")) == "0\u00a0%"


def test_weights_not_summing_to_100_are_flagged_and_bad_weights_refused() -> None:
    info = ConsultationInfo("R", "T", "B", criteria=(("Prix", Decimal("70")),))
    assert any("70\u00a0%" in note and "100" in note for note in texts(build_rc(info, []), "note"))
    assert not any("somme" in note for note in texts(build_rc(INFO, []), "note"))
    with pytest.raises(InputError, match="Prix"):
        ConsultationInfo("R", "T", "B", criteria=(("Prix", Decimal("120")),))
    with pytest.raises(InputError):
        ConsultationInfo("R", "T", "B", criteria=(("Prix", Decimal("NaN")),))


def test_cctp_holds_specifications_then_conditions_environmental_before_social() -> None:
    cctp = build_cctp(INFO, CLAUSES)
    assert cctp.title.startswith("Cahier des clauses techniques particulières")
    titles = headings(cctp)
    assert not {BIO.title, ESAT.title} & set(titles)
    order = [titles.index(t) for t in ("Article 2 – Spécifications techniques", ECOLABEL.title,
                                       "Article 3 – Conditions d’exécution", "Conditions environnementales",
                                       PACKAGING.title, "Conditions sociales", INSERTION.title)]
    assert order == sorted(order)
    assert f"Contrôle : {INSERTION.verification}" in texts(cctp) and LONG_TEXT in texts(cctp)
    levels = {b.text: b.level for b in cctp.blocks if b.kind == "heading"}
    assert (levels[ECOLABEL.title], levels["Conditions sociales"], levels[INSERTION.title]) == (2, 2, 3)


@pytest.mark.parametrize("size", range(len(CLAUSES) + 1))
def test_every_clause_is_in_exactly_one_document(size: int) -> None:
    for chosen in itertools.combinations(CLAUSES, size):
        rc, cctp = headings(build_rc(INFO, chosen)), headings(build_cctp(INFO, chosen))
        for c in chosen:
            assert (c.title in rc) != (c.title in cctp), c.id
        assert {c.title for c in chosen} <= set(rc) | set(cctp)


def test_duplicate_selection_is_rendered_once_and_unknown_kind_refused() -> None:
    assert headings(build_rc(INFO, [BIO, BIO])).count(BIO.title) == 1
    with pytest.raises(InputError, match=r"mystery.*unknown kind"):
        build_cctp(INFO, [clause("mystery", "recommendation")])


def test_empty_selection_gives_documents_saying_so() -> None:
    info = ConsultationInfo(reference="", title="", buyer="")
    for doc in (build_rc(info, []), build_cctp(info, [])):
        assert NO_CLAUSE in texts(doc, "note")
        assert any("à compléter" in t for t in texts(doc))
        for fmt in FORMATS:
            assert render(doc, fmt)
    assert "Aucune spécification technique n’a été choisie." in texts(build_cctp(info, []))


def test_block_rejects_unknown_kind_and_heading_level() -> None:
    with pytest.raises(ValueError, match="kind"):
        Block("table", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="level"):
        Block("heading", "x", 4)


# --- writers -------------------------------------------------------------------------------------------------------

def test_docx_reads_back_with_styles_and_texts() -> None:
    rc = build_rc(INFO, CLAUSES)
    document = docx.Document(io.BytesIO(to_docx(rc, created=datetime(2025, 2, 1, tzinfo=UTC))))
    paragraphs = [(p.style.name if p.style is not None else "", p.text) for p in document.paragraphs]
    assert ("Title", rc.title) in paragraphs and ("Subtitle", rc.subtitle) in paragraphs
    for block in rc.blocks:
        style = {"heading": f"Heading {block.level}", "bullet": "List Bullet"}.get(block.kind, "Normal")
        assert (style, block.text) in paragraphs, block
    assert document.core_properties.created == datetime(2025, 2, 1, tzinfo=UTC)
    assert document.core_properties.title == rc.title
    assert docx.Document(io.BytesIO(to_docx(rc))).core_properties.created is None


def test_odt_reads_back_with_outline_headings_lists_and_texts() -> None:
    cctp = build_cctp(INFO, CLAUSES)
    odt = load(io.BytesIO(to_odt(cctp)))
    odt_headings = [(h.getAttribute("outlinelevel"), teletype.extractText(h)) for h in odt.getElementsByType(H)]
    assert [(str(b.level), b.text) for b in cctp.blocks if b.kind == "heading"] == odt_headings
    paragraphs = {teletype.extractText(p) for p in odt.getElementsByType(P)}
    assert {cctp.title, cctp.subtitle, LONG_TEXT, f"Contrôle : {INSERTION.verification}"} <= paragraphs
    rc = load(io.BytesIO(to_odt(build_rc(INFO, CLAUSES))))
    lists = rc.getElementsByType(List)
    assert len(lists) == 2 and "Prix : 40\u00a0%" in teletype.extractText(lists[0])
    assert BIO.text in {teletype.extractText(p) for p in rc.getElementsByType(P)}


def pdf_text(data: bytes) -> tuple[list[str], str]:
    """The footer of each page, and the text of all pages without footers, whitespace collapsed."""
    footers: list[str] = []
    lines: list[str] = []
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for line in page.extract_text().splitlines():
            (footers if re.fullmatch(r"Page \d+", line.strip()) else lines).append(line.strip())
    return footers, " ".join(" ".join(lines).split())


def test_pdf_reads_back_with_latin1_mapping_and_page_numbers() -> None:
    rc, cctp = build_rc(INFO, CLAUSES), build_cctp(INFO, CLAUSES)
    footers, text = pdf_text(to_pdf(rc))
    assert footers[0] == "Page 1"
    for expected in (rc.title, "Part de produits bio - boeuf et oeufs", "coût ≤ 5 €",
                     "l'agriculture biologique", 'certificats "AB"', "certificateur...", "Prix : 40 %"):
        assert " ".join(latin1_safe(expected).split()) in text, expected
    assert "coût ? 5 EUR" in text
    footers, text = pdf_text(to_pdf(cctp))
    assert footers == [f"Page {n}" for n in range(1, len(footers) + 1)] and len(footers) >= 2  # the long clause
    assert " ".join(latin1_safe(LONG_TEXT).split()) in text
    assert "Relevés mensuels des heures effectuées" in text
    reader = pypdf.PdfReader(io.BytesIO(to_pdf(cctp, created=datetime(2025, 2, 1, tzinfo=UTC))))
    assert reader.metadata is not None and reader.metadata.title == cctp.title
    assert reader.metadata.creation_date == datetime(2025, 2, 1, tzinfo=UTC)


@pytest.mark.parametrize(("text", "expected"), [
    ("Bœuf ŒUVRE", "Boeuf OEUVRE"), ("l’eau ‘x’", "l'eau 'x'"), ("“AB”", '"AB"'), ("a – b — c", "a - b - c"),
    ("fin…", "fin..."), ("10\u00a0%\u202f!", "10 % !"), ("5 €", "5 EUR"), ("déjà ç « » °", "déjà ç « » °"),
    ("e\u0301te\u0301", "été"), ("→ 漢", "? ?"),
])
def test_latin1_safe(text: str, expected: str) -> None:
    assert latin1_safe(text) == expected
    latin1_safe(text).encode("latin-1")


def test_formats_media_types_and_deterministic_bytes() -> None:
    assert {fmt: media for fmt, (media, _) in FORMATS.items()} == {
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt": "application/vnd.oasis.opendocument.text",
        "pdf": "application/pdf",
    }
    rc = build_rc(INFO, CLAUSES)
    for fmt in FORMATS:
        assert render(rc, fmt) == render(rc, fmt), fmt
    assert render(rc, "pdf").startswith(b"%PDF-")
    odt = render(rc, "odt")  # the mimetype member first, stored uncompressed, as ODF requires
    assert odt[30:38] == b"mimetype" and odt[38:77] == b"application/vnd.oasis.opendocument.text"


def test_unknown_format_is_an_input_error_naming_it() -> None:
    with pytest.raises(InputError, match=r"'rtf'.*docx, odt, pdf"):
        render(build_rc(INFO, []), "rtf")
