"""Sample documents made on the fly with the same libraries people's tools use, so no binary fixture is committed."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas


def pdf_bytes(pages: Sequence[str], sizes: Sequence[tuple[float, float]] = ()) -> bytes:
    """A PDF with one line of text per page (page i has size sizes[i] if given, else A4)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for i, text in enumerate(pages):
        if i < len(sizes):
            pdf.setPageSize(sizes[i])
        pdf.setFont("Helvetica", 12)
        pdf.drawString(72, 100, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def write_pdf(path: Path, pages: Sequence[str]) -> Path:
    path.write_bytes(pdf_bytes(pages))
    return path


def write_docx(path: Path, paragraphs: Sequence[str], table: Sequence[Sequence[str]] = ()) -> Path:
    from docx import Document

    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    document.save(str(path))
    return path


def write_pptx(path: Path, slides: Sequence[Sequence[str]]) -> Path:
    """A presentation whose slide i has a title (the first line) and a body of the other lines."""
    from pptx import Presentation

    deck = Presentation()
    for lines in slides:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        title, body = slide.placeholders[0], slide.placeholders[1]
        title.text_frame.text = lines[0]
        body.text_frame.text = lines[1]
        for line in lines[2:]:
            body.text_frame.add_paragraph().text = line
    deck.save(str(path))
    return path


def write_xlsx(path: Path, sheets: dict[str, Sequence[Sequence[object]]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(list(row))
    del workbook["Sheet"]  # the default empty sheet
    workbook.save(path)
    return path


def write_zip(path: Path, entries: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return path


def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path
