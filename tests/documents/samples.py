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


ATTACHMENT_MARKER = b"ATTACHED-DESIGN-FILE-3A090"
SCRIPT_MARKER = "hostileScript3A090"  # letters and digits only: pypdf writes other characters as octal escapes


def hostile_pdf_bytes(pages: Sequence[str]) -> bytes:
    """A PDF with all that a stamped copy must lose, and one web link it must keep.

    Loses: an embedded file (name tree) and a file attachment annotation, document JavaScript, an /OpenAction
    script, /AA on the catalog and the first page, a Launch link, a web link whose /Next action is a script,
    a bookmark that runs a script. Keeps: a plain web link to https://quad.example/ (page 1, first annotation).
    """
    from pypdf import PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        TextStringObject,
    )

    def name(value: str) -> NameObject:
        return NameObject(value)

    def script(code: str = f"{SCRIPT_MARKER}()") -> DictionaryObject:
        return DictionaryObject({name("/S"): name("/JavaScript"), name("/JS"): TextStringObject(code)})

    def rect() -> ArrayObject:
        return ArrayObject([FloatObject(v) for v in (72, 700, 200, 720)])

    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(pages)))
    writer.add_attachment("design.txt", ATTACHMENT_MARKER + b" in the name tree")
    root = writer._root_object
    root[name("/OpenAction")] = writer._add_object(script())
    root[name("/AA")] = DictionaryObject({name("/WC"): script()})
    names = root["/Names"]
    names[name("/JavaScript")] = DictionaryObject(
        {name("/Names"): ArrayObject([TextStringObject("init"), writer._add_object(script())])}
    )
    embedded = DecodedStreamObject()
    embedded.set_data(ATTACHMENT_MARKER + b" on the page")
    embedded[name("/Type")] = name("/EmbeddedFile")
    filespec = DictionaryObject(
        {
            name("/Type"): name("/Filespec"),
            name("/F"): TextStringObject("secret.txt"),
            name("/EF"): DictionaryObject({name("/F"): writer._add_object(embedded)}),
        }
    )
    annotations = [
        {
            name("/Subtype"): name("/Link"),
            name("/A"): DictionaryObject(
                {name("/S"): name("/URI"), name("/URI"): TextStringObject("https://quad.example/")}
            ),
        },
        {name("/Subtype"): name("/FileAttachment"), name("/FS"): writer._add_object(filespec)},
        {
            name("/Subtype"): name("/Link"),
            name("/A"): DictionaryObject({name("/S"): name("/Launch"), name("/F"): TextStringObject("calc.exe")}),
        },
        {
            name("/Subtype"): name("/Link"),
            name("/A"): DictionaryObject(
                {
                    name("/S"): name("/URI"),
                    name("/URI"): TextStringObject("https://evil.example/"),
                    name("/Next"): script(),
                }
            ),
        },
    ]
    page = writer.pages[0]
    page[name("/AA")] = DictionaryObject({name("/O"): script()})
    page[name("/Annots")] = ArrayObject(
        writer._add_object(DictionaryObject({name("/Type"): name("/Annot"), name("/Rect"): rect(), **a}))
        for a in annotations
    )
    bookmark = writer.add_outline_item(title="Introduction", page_number=0)
    outline_item = bookmark.get_object()
    for key in ("/Dest", "/A"):
        outline_item.pop(key, None)
    outline_item[name("/A")] = writer._add_object(script())
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def docx_bytes(paragraphs: Sequence[str], *, header: str = "", sections: int = 1, first_page: bool = False) -> bytes:
    """A Word file: the paragraphs in the first section, one more paragraph per extra section.

    `header` is written in the first section's header (later sections link to it, as Word does);
    `first_page` gives the last section a different first-page header.
    """
    from docx import Document
    from docx.enum.section import WD_SECTION

    document = Document()
    if header:
        document.sections[0].header.paragraphs[0].text = header
    for text in paragraphs:
        document.add_paragraph(text)
    for number in range(2, sections + 1):
        document.add_section(WD_SECTION.NEW_PAGE)
        document.add_paragraph(f"Section {number} body")
    if first_page:
        document.sections[-1].different_first_page_header_footer = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_with_chart_bytes(rows: Sequence[Sequence[object]]) -> bytes:
    """A workbook with one sheet "Data" holding the rows and a bar chart of the second column."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Data"
    for row in rows:
        sheet.append(list(row))
    chart = BarChart()
    chart.add_data(Reference(sheet, min_col=2, min_row=1, max_row=len(rows)), titles_from_data=True)
    sheet.add_chart(chart, "D2")
    sheet.oddHeader.left.text = "Working group draft"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_declared_size(archive: bytes, size: int) -> bytes:
    """The ZIP `archive` with its first member's uncompressed size in the central directory set to `size`.

    What a crafted archive does to look small when stored and inflate hugely when opened.
    """
    start = archive.index(b"PK\x01\x02")  # the first central directory entry
    patched = bytearray(archive)
    patched[start + 24 : start + 28] = size.to_bytes(4, "little")
    return bytes(patched)
