"""Reading back the RC/CCTP downloads in tests: DOCX with python-docx, ODT with odfpy, PDF with pypdf."""

from __future__ import annotations

import io
import re

import docx
import pypdf
from odf import teletype
from odf.opendocument import load
from odf.text import H, P

from spaser.clauses.writers import latin1_safe

MEDIA = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "odt": "application/vnd.oasis.opendocument.text", "pdf": "application/pdf"}


def text_of(content: bytes, fmt: str) -> str:
    """The document's text, whitespace collapsed (PDF: through the latin-1 mapping of the writer)."""
    if fmt == "docx":
        parts = [p.text for p in docx.Document(io.BytesIO(content)).paragraphs]
    elif fmt == "odt":
        document = load(io.BytesIO(content))
        parts = [teletype.extractText(e) for kind in (H, P) for e in document.getElementsByType(kind)]
    else:
        parts = [line for page in pypdf.PdfReader(io.BytesIO(content)).pages
                 for line in page.extract_text().splitlines() if not re.fullmatch(r"Page \d+", line.strip())]
    return " ".join(" ".join(parts).split())


def contains(content: bytes, fmt: str, expected: str) -> bool:
    wanted = " ".join((latin1_safe(expected) if fmt == "pdf" else expected).split())
    return wanted in text_of(content, fmt)
