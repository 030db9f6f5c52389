"""The stamp on Office files (DOCX, PPTX, XLSX): the lines in every header and footer, on every slide, or on a
first sheet. These are ZIP files: their unpacked size is checked before any library opens them."""

from __future__ import annotations

import io
import zipfile
from typing import Any, BinaryIO

from app.documents.formats import MAX_UNPACKED_BYTES
from app.documents.stamps.common import StampFailed, library_errors

OFFICE_FONT_PT = 8
XLSX_SHEET = "Export control"
XLSX_HEADER_LIMIT = 255  # Excel refuses a header or footer longer than this, format codes included


def _check_unpacked(source: BinaryIO, reason: str) -> None:
    """Refuse an archive whose members would unpack beyond MAX_UNPACKED_BYTES, before any library opens it.

    The sizes come from the central directory; zipfile never inflates a member beyond its declared size,
    so a lying header cannot get past this either.
    """
    with library_errors(reason):
        source.seek(0)
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        source.seek(0)
    if unpacked > MAX_UNPACKED_BYTES:
        raise StampFailed("The file unpacks to far more data than a document holds.")


def stamp_docx(source: BinaryIO, text: list[str]) -> bytes:
    """Word: the lines at the end of the header and of the footer of every section.

    Every header/footer the document shows gets them: the default one, the first-page one of a section with
    a different first page, and the even-page one when the document has different odd and even pages. A
    header linked to the previous section's resolves to that section's part, which is stamped once.
    python-docx rewrites only the parts it changes, so the body, images, tables, comments and tracked
    changes are kept as they are.
    """
    reason = "The Word file could not be read; it may be damaged."
    _check_unpacked(source, reason)
    with library_errors(reason):
        from docx import Document  # late, like formats.py: the libraries load only when a file needs them
        from docx.shared import Pt

        document = Document(source)
        even_pages = document.settings.odd_and_even_pages_header_footer
        stamped: list[object] = []
        for section in document.sections:
            used = [section.header, section.footer]
            if section.different_first_page_header_footer:
                used += [section.first_page_header, section.first_page_footer]
            if even_pages:
                used += [section.even_page_header, section.even_page_footer]
            for header_or_footer in used:
                part = header_or_footer.part
                if any(part is seen for seen in stamped):
                    continue
                stamped.append(part)
                for line in text:
                    header_or_footer.add_paragraph().add_run(line).font.size = Pt(OFFICE_FONT_PT)
        buffer = io.BytesIO()
        document.save(buffer)
    return buffer.getvalue()


def stamp_pptx(source: BinaryIO, text: list[str]) -> bytes:
    """PowerPoint: a text box with the lines along the bottom of every slide, and the lines in its notes.

    The box is the slide's topmost shape (added last), so nothing on the slide covers it. python-pptx keeps
    the rest of the package (masters, layouts, media, charts, animations) as it is.
    """
    reason = "The PowerPoint file could not be read; it may be damaged."
    _check_unpacked(source, reason)
    with library_errors(reason):
        from pptx import Presentation
        from pptx.dml.color import RGBColor
        from pptx.util import Emu, Pt

        deck = Presentation(source)
        width = deck.slide_width or Emu(9144000)  # the 4:3 default when the file does not say
        height = deck.slide_height or Emu(6858000)
        margin = Emu(height // 50)
        box_height = Pt(OFFICE_FONT_PT * 1.3 * len(text) + 8)
        for slide in deck.slides:
            box = slide.shapes.add_textbox(margin, height - box_height - margin, width - 2 * margin, box_height)
            box.name = "Export-control stamp"
            frame = box.text_frame
            frame.word_wrap = True
            for i, line in enumerate(text):
                run = (frame.paragraphs[0] if i == 0 else frame.add_paragraph()).add_run()
                run.text = line
                run.font.size = Pt(OFFICE_FONT_PT)
                run.font.color.rgb = RGBColor(0x40, 0x40, 0x40)
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:  # None when the notes master has no body placeholder
                for line in text:
                    notes.add_paragraph().text = line
        buffer = io.BytesIO()
        deck.save(buffer)
    return buffer.getvalue()


def stamp_xlsx(source: BinaryIO, text: list[str]) -> bytes:
    """Excel: a first sheet "Export control" with the lines (opened first), and the lines in every header and footer.

    The lines go in the centre of each worksheet's odd, even and first-page header and footer, before what
    was there (which is dropped only if both no longer fit Excel's 255-character limit).
    openpyxl rewrites the whole file from what it models. Kept: cell values and formulas, styles and number
    formats, merged cells, row and column sizes, comments, hyperlinks, defined names, data validation,
    conditional formatting, tables, print settings, charts and images. Lost: drawn shapes and text boxes,
    form controls, slicers, timelines, sparklines and other features stored in Excel's extension lists,
    and the cached results of formulas (Excel recalculates them on opening). Macros never get this far:
    uploads refuse macro-enabled files.
    """
    reason = "The Excel file could not be read; it may be damaged."
    _check_unpacked(source, reason)
    with library_errors(reason):
        from openpyxl import load_workbook
        from openpyxl.styles import Font

        workbook = load_workbook(source)
        sheets = list(workbook.worksheets)
        cover = workbook.create_sheet(XLSX_SHEET, 0)  # a taken name gets a number appended by openpyxl
        for row, line in enumerate(text, start=1):
            cell = cover.cell(row=row, column=1, value=line)
            cell.font = Font(bold=row == 1)
            cell.data_type = "s"  # a line starting with "=" is text, never a formula
        cover.column_dimensions["A"].width = min(max(len(line) for line in text) + 4, 200)
        header = "\n".join(line.replace("&", "&&") for line in text)  # "&" starts a format code
        for sheet in sheets:
            sheet.sheet_view.tabSelected = False  # else Excel opens with both tabs grouped
            for item in (sheet.oddHeader, sheet.oddFooter, sheet.evenHeader, sheet.evenFooter):
                _xlsx_header(item, header)
            for item in (sheet.firstHeader, sheet.firstFooter):
                _xlsx_header(item, header)
        workbook.active = 0
        buffer = io.BytesIO()
        workbook.save(buffer)
    return buffer.getvalue()


def _xlsx_header(item: Any, stamp_text: str) -> None:
    """The stamp in the centre of one header or footer, before its old text while Excel's limit allows."""
    center = item.center
    old = center.text
    center.text = f"{stamp_text}\n{old}" if old else stamp_text
    if _header_length(item) > XLSX_HEADER_LIMIT:
        center.text = stamp_text
    if _header_length(item) > XLSX_HEADER_LIMIT:  # the stamp wins over the sheet's own left and right parts
        item.left.text = item.right.text = None
        center.text = stamp_text[: XLSX_HEADER_LIMIT - (_header_length(item) - len(stamp_text))]


def _header_length(item: Any) -> int:
    # As Excel counts: "&L", "&C", "&R" and each part with its font codes (str(item) also XML-escapes).
    return sum(2 + len(str(part)) for part in (item.left, item.center, item.right) if part.text)
