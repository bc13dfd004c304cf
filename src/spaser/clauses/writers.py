"""Renders a ``TemplateDocument`` as DOCX, ODT or PDF, the three formats buyers paste into their tender files.

Why three writers over one model: the buyer's office suite decides (Word, LibreOffice, or a PDF to read only), and
the text must be the same in all three. Output is deterministic where the libraries allow it: the caller may give the
creation date, otherwise none is written (PDF requires one, so a fixed date is used), and archive members get a
fixed timestamp, so rendering the same document twice gives the same bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Final, Protocol

import docx
from docx.oxml.ns import qn
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from odf import dc, meta, teletype
from odf.element import Element
from odf.namespaces import nsdict
from odf.opendocument import OpenDocumentText
from odf.style import ListLevelProperties, ParagraphProperties, Style, TextProperties
from odf.text import H, List, ListItem, ListLevelStyleBullet, ListStyle, P

from spaser.clauses.templates import TemplateDocument
from spaser.errors import InputError

#: The PDF Info dictionary always carries a creation date: this one when the caller gives none.
PDF_DEFAULT_DATE: Final = datetime(2000, 1, 1, tzinfo=UTC)
_ZIP_DATE: Final = (1980, 1, 1, 0, 0, 0)  # earliest date a ZIP entry can hold


class Writer(Protocol):
    """What ``FORMATS`` maps a format to: one signature, so the web layer can serve any format the same way."""

    def __call__(self, doc: TemplateDocument, /, *, created: datetime | None = None) -> bytes: ...


def to_docx(doc: TemplateDocument, /, *, created: datetime | None = None) -> bytes:
    """Word document with built-in styles (Title, Heading n, List Bullet) so the buyer's own template restyles it."""
    document = docx.Document()
    props = document.core_properties
    props.title, props.subject, props.language = doc.title, doc.subtitle, doc.language
    props.author = props.last_modified_by = "spaser"
    props.comments = ""
    if created is None:  # the default template carries a 2013 date: drop it rather than lie
        for tag in ("dcterms:created", "dcterms:modified"):
            for element in props._element.findall(qn(tag)):
                props._element.remove(element)
    else:
        props.created = props.modified = created
    document.add_heading(doc.title, 0)
    if doc.subtitle:
        document.add_paragraph(doc.subtitle, style="Subtitle")
    for block in doc.blocks:
        if block.kind == "heading":
            document.add_heading(block.text, block.level)
        elif block.kind == "bullet":
            document.add_paragraph(block.text, style="List Bullet")
        elif block.kind == "note":
            document.add_paragraph().add_run(block.text).italic = True
        else:
            document.add_paragraph(block.text)
    buffer = io.BytesIO()
    document.save(buffer)
    return _fixed_zip_dates(buffer.getvalue())


def to_odt(doc: TemplateDocument, /, *, created: datetime | None = None) -> bytes:
    """OpenDocument text: real outline headings (text:h) and lists, so LibreOffice's navigator and TOC work."""
    for namespace, prefix in nsdict.items():  # see _stable_odf_xml
        Element.namespaces.setdefault(namespace, prefix)
    odt = OpenDocumentText()
    odt.meta.addElement(dc.Title(text=doc.title))
    odt.meta.addElement(dc.Language(text=doc.language))
    if created is not None:
        odt.meta.addElement(meta.CreationDate(text=created.isoformat(timespec="seconds")))
    styles = _odt_styles(odt, doc.language)
    _odt_text(odt.text, P(stylename=styles["Title"]), doc.title)
    if doc.subtitle:
        _odt_text(odt.text, P(stylename=styles["Subtitle"]), doc.subtitle)
    current_list = None
    for block in doc.blocks:
        if block.kind == "bullet":
            if current_list is None:
                current_list = List(stylename=styles["Bullets"])
                odt.text.addElement(current_list)
            item = ListItem()
            current_list.addElement(item)
            _odt_text(item, P(stylename=styles["Body"]), block.text)
            continue
        current_list = None
        if block.kind == "heading":
            element = H(outlinelevel=block.level, stylename=styles[f"Heading{block.level}"])
        else:
            element = P(stylename=styles["Note" if block.kind == "note" else "Body"])
        _odt_text(odt.text, element, block.text)
    buffer = io.BytesIO()
    odt.write(buffer)
    return _fixed_zip_dates(buffer.getvalue(), rewrite=_stable_odf_xml)


def _odt_text(parent: Any, element: Any, text: str) -> None:
    """Adds ``element`` holding ``text`` (spaces, tabs and newlines kept as ODF markup) to ``parent``."""
    teletype.addTextToElement(element, text)
    parent.addElement(element)


def _odt_styles(odt: OpenDocumentText, language: str) -> dict[str, Any]:
    """Simple automatic styles: body, note (italic), title, three heading sizes, one bullet list."""
    lang = {"language": language, "country": "FR" if language == "fr" else "none"}

    def paragraph(name: str, size: str, **text: str) -> Style:
        style = Style(name=name, family="paragraph")
        style.addElement(ParagraphProperties(margintop="0.1cm", marginbottom="0.15cm"))
        style.addElement(TextProperties(fontsize=size, **lang, **text))
        odt.automaticstyles.addElement(style)
        return style

    styles: dict[str, Any] = {
        "Body": paragraph("Body", "11pt"),
        "Note": paragraph("Note", "9pt", fontstyle="italic", color="#555555"),
        "Title": paragraph("Title", "20pt", fontweight="bold"),
        "Subtitle": paragraph("Subtitle", "13pt", fontstyle="italic"),
    }
    for level, size in ((1, "16pt"), (2, "13pt"), (3, "11.5pt")):
        styles[f"Heading{level}"] = paragraph(f"Heading{level}", size, fontweight="bold")
    bullets = ListStyle(name="Bullets")
    level_style = ListLevelStyleBullet(level=1, bulletchar="•")
    level_style.addElement(ListLevelProperties(spacebefore="0.4cm", minlabelwidth="0.5cm"))
    bullets.addElement(level_style)
    odt.automaticstyles.addElement(bullets)
    styles["Bullets"] = bullets
    return styles


_LATIN1_REPLACEMENTS: Final = str.maketrans({
    "œ": "oe", "Œ": "OE", "Ÿ": "Y", "€": "EUR", "…": "...", "•": "-",
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u00a0": " ", "\u202f": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u2002": " ", "\u2003": " ",
})


def latin1_safe(text: str) -> str:
    """Text the PDF core fonts can draw: they only know latin-1, and fpdf2 raises on anything else.

    Composed accents (NFC) stay as they are; typographic characters become their ASCII look-alikes
    (œ→oe, ’→', “”→", –—→-, …→..., € → EUR, non-breaking and narrow spaces → space); any other character
    outside latin-1 becomes "?" so that nothing is silently lost without a trace."""
    mapped = unicodedata.normalize("NFC", text).translate(_LATIN1_REPLACEMENTS)
    return mapped.encode("latin-1", errors="replace").decode("latin-1")


class _NumberedPdf(FPDF):
    """FPDF with "Page n" in every footer."""

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", "I", 8)
        self.cell(0, 10, f"Page {self.page_no()}", align="C")


_PDF_FONTS: Final = {  # block kind (or heading level) → (style, size, line height)
    "title": ("B", 18.0, 9.0), "subtitle": ("I", 12.0, 7.0), "heading1": ("B", 14.0, 7.5),
    "heading2": ("B", 12.0, 6.5), "heading3": ("B", 11.0, 6.0), "paragraph": ("", 10.5, 5.5),
    "bullet": ("", 10.5, 5.5), "note": ("I", 9.0, 4.8),
}


def to_pdf(doc: TemplateDocument, /, *, created: datetime | None = None) -> bytes:
    """A4 PDF in Helvetica (no font file to ship); text goes through ``latin1_safe`` first."""
    pdf = _NumberedPdf(format="A4")
    pdf.set_title(doc.title)
    pdf.set_subject(doc.subtitle)
    pdf.set_lang(doc.language)
    pdf.set_creator("spaser")
    pdf.set_creation_date(created or PDF_DEFAULT_DATE)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()

    def write(kind: str, text: str, *, align: str = "L", space_before: float = 0.0) -> None:
        style, size, height = _PDF_FONTS[kind]
        pdf.set_font("Helvetica", style, size)
        pdf.set_text_color(85 if kind == "note" else 0)
        pdf.ln(space_before)
        if kind == "bullet":
            pdf.set_x(pdf.l_margin + 4)
            pdf.cell(4, height, "-")  # the text wraps under itself, not under the dash
        pdf.multi_cell(0, height, latin1_safe(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    write("title", doc.title, align="C")
    if doc.subtitle:
        write("subtitle", doc.subtitle, align="C", space_before=1)
    for block in doc.blocks:
        if block.kind == "heading":
            write(f"heading{block.level}", block.text, space_before=5 if block.level == 1 else 3)
        else:
            write(block.kind, block.text, space_before=0.5 if block.kind == "bullet" else 1.5)
    return bytes(pdf.output())


def _fixed_zip_dates(data: bytes, rewrite: Callable[[bytes], bytes] | None = None) -> bytes:
    """Same archive, members in the same order and compression, with a fixed timestamp (reproducible bytes);
    ``rewrite`` is applied to each XML member."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            fixed.compress_type, fixed.external_attr = info.compress_type, info.external_attr
            content = source.read(info)
            if rewrite is not None and info.filename.endswith(".xml"):
                content = rewrite(content)
            target.writestr(fixed, content)
    return out.getvalue()


_ROOT_START: Final = re.compile(rb"^(<\?xml[^>]*\?>\s*<[\w:.-]+)((?: xmlns:[\w.-]+=\"[^\"]*\")+)")
_DECLARATION: Final = re.compile(rb' xmlns:[\w.-]+="[^"]*"')


def _stable_odf_xml(xml: bytes) -> bytes:
    """Sorts the namespace declarations of the root element.

    Why: odfpy keeps one process-wide namespace table and declares all of it, in first-use order, on every root
    element, so the bytes would depend on what the process rendered before. ``to_odt`` registers every known
    namespace first (same set each time) and this puts them in a fixed order."""
    match = _ROOT_START.match(xml)
    if match is None:
        return xml
    declarations = sorted(_DECLARATION.findall(match.group(2)))
    return match.group(1) + b"".join(declarations) + xml[match.end():]


FORMATS: Final[dict[str, tuple[str, Writer]]] = {
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", to_docx),
    "odt": ("application/vnd.oasis.opendocument.text", to_odt),
    "pdf": ("application/pdf", to_pdf),
}


def render(doc: TemplateDocument, fmt: str, *, created: datetime | None = None) -> bytes:
    """Bytes of ``doc`` in ``fmt`` (docx, odt or pdf); an unknown format is the user's input error, named."""
    try:
        _, writer = FORMATS[fmt]
    except KeyError:
        raise InputError(f"unknown document format {fmt!r}: expected one of {', '.join(FORMATS)}") from None
    return writer(doc, created=created)
