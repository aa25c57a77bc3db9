"""Reading a PDF's text in tests."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_words(pdf: bytes) -> str:
    """The PDF's text with line wrapping undone: one space between words."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())
