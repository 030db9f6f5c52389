"""The per-downloader stamp on every marked file format; the stored original is only read, never changed.

A marked file is served stamped or not at all: `stamp()` either writes a stamped copy or raises StampFailed.

- PDF: a footer and a light diagonal mark on every page, drawn once with reportlab as two Form XObjects; each
  page only gets a resource entry and a few bytes of content that place them. Nothing of the original content
  is decoded or re-parsed, so a 100-page file takes milliseconds per page, not seconds. The copy also loses
  its embedded files and everything that runs by itself (JavaScript, launch and submit actions, /OpenAction,
  /AA): a stamped copy must not carry an unstamped attachment or a script that phones home.
- DOCX, PPTX, XLSX: the lines in every header and footer, on every slide, or on a first sheet (see each
  function for what the library keeps). These are ZIP files: their unpacked size is checked before opening.
- Markdown and text: the lines above and below the text, set apart.

Errors: a file the libraries cannot read raises StampFailed; an exception that starts in this module's own
code is a bug and propagates as it is (a 500 and a log entry, not "your file is damaged").
"""

from __future__ import annotations

import codecs
import io
import math
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, BinaryIO

from anyascii import anyascii
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.errors import PyPdfError
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NullObject,
    PdfObject,
    RectangleObject,
    StreamObject,
)
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from app.documents.formats import MAX_UNPACKED_BYTES, FileKind

__all__ = ["StampFailed", "stamp", "watermark_pdf"]

# A standard font where the text allows it (every viewer has it, text extraction is exact); Japanese needs
# the CID font, which reportlab ships metrics for and viewers render with their own Japanese font (it is
# not embedded, so no font file is needed here).
LATIN_FONT = "Helvetica"
CJK_FONT = "HeiseiKakuGo-W5"
FOOTER_SIZE = 7.0
MARK_SIZE = 36.0
MARGIN = 14.0
STAMP_NAME, MARK_NAME = "/QuadStamp", "/QuadMark"

# Keys removed wherever they appear in a stamped PDF: additional (automatic) actions, the open action,
# document JavaScript, embedded and related files (file specifications keep their name, lose the bytes),
# associated files (PDF 2.0), portfolios, XFA forms (they carry scripts) and JavaScript source.
PDF_DROPPED_KEYS = ("/AA", "/OpenAction", "/JavaScript", "/EmbeddedFiles", "/EF", "/RF", "/AF", "/Collection", "/XFA")
# Keys whose value is an action; the action is kept only if it and every /Next action are of a harmless
# type: an allow-list, so a type added to PDF later is dropped too.
PDF_ACTION_KEYS = ("/A", "/PA", "/Next")
PDF_SAFE_ACTIONS = frozenset({"/GoTo", "/URI", "/Named", "/Thread", "/Hide", "/ResetForm", "/SetOCGState", "/Trans"})
# Annotations that exist to carry a file or play embedded media: removed from the page.
PDF_DROPPED_ANNOTATIONS = frozenset({"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound", "/3D"})

# Where an exception must start to count as "the file is damaged" (see _library_errors).
FILE_LIBRARIES = frozenset({"pypdf", "docx", "pptx", "openpyxl", "lxml", "zipfile", "zlib", "xml", "et_xmlfile", "PIL"})

Matrix = tuple[float, float, float, float, float, float]


class StampFailed(Exception):
    """The file cannot be stamped (damaged, encrypted, too large unpacked, unsupported), so it must not be served.

    `reason` is one English sentence for the person downloading; the original exception, if any, is chained.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def stamp(kind: FileKind, source: BinaryIO, lines: Sequence[str], out: BinaryIO) -> None:
    """Write to `out` a copy of the file in `source` (of kind `kind`) with `lines` stamped on it.

    Call it as `stamp(FileKind(version.kind), original, lines, out)` where `original` is a seekable binary
    file opened on the stored file (spool an object-store stream to a temporary file first), `lines` are
    the stamp lines (any script, Japanese included; control characters become spaces, empty lines are
    dropped) and `out` is a writable binary file. Nothing is written to `out` until the file is known to
    stamp: after StampFailed or ValueError, `out` is untouched. `source` is read from its start, never changed.

    Raises StampFailed(reason) when the file cannot be stamped (damaged, password-protected, unpacks beyond
    formats.MAX_UNPACKED_BYTES, no pages, not UTF-8 text): serve nothing then. Raises ValueError when no
    line has any text (a caller's mistake). Any other exception is a bug here, not a property of the file.
    See watermark_pdf, _stamp_docx, _stamp_pptx, _stamp_xlsx and _stamp_text for what each format gets.
    """
    text = [clean for line in lines if (clean := _clean(line))]
    if not text:
        raise ValueError("a stamp needs at least one line of text")
    match kind:
        case FileKind.pdf:
            data = _stamp_pdf(source, text)
        case FileKind.docx:
            data = _stamp_docx(source, text)
        case FileKind.pptx:
            data = _stamp_pptx(source, text)
        case FileKind.xlsx:
            data = _stamp_xlsx(source, text)
        case FileKind.markdown:
            return _stamp_text(source, text, markdown=True, out=out)
        case FileKind.text:
            return _stamp_text(source, text, markdown=False, out=out)
        case _:  # a kind added to FileKind without a stamp: never serve it unstamped
            raise StampFailed(f"Files of kind {kind} cannot be stamped.")
    out.write(data)  # a failing `out` (disk full) is the caller's error, not a damaged file


def watermark_pdf(source: BinaryIO, lines: Sequence[str], out: BinaryIO) -> None:
    """Write to `out` a stamped, defused copy of the PDF in `source`: the same as `stamp(FileKind.pdf, ...)`.

    Every page gets a footer with all `lines` and a light diagonal mark with the first line, placed for the
    page's crop box and rotation. The copy has no embedded files (the /EmbeddedFiles name tree, file
    attachment and media annotations, associated files) and nothing that runs by itself (the /JavaScript
    name tree, /OpenAction, /AA anywhere, JavaScript, Launch, SubmitForm and other non-navigation actions on
    links, fields and bookmarks, XFA forms); links to pages and web addresses stay. A password-protected
    (unless its user password is empty), page-less or damaged PDF raises StampFailed.
    """
    stamp(FileKind.pdf, source, lines, out)


@contextmanager
def _library_errors(reason: str) -> Iterator[None]:
    """Turn an exception raised inside a file library into StampFailed(reason); let our own bugs through.

    The libraries raise dozens of types for damaged files (KeyError, ValueError, zlib.error, their own
    errors...), so the type says little; where the exception started says more. If its innermost frame is in
    one of FILE_LIBRARIES, the file is the problem. If it starts in this module, the bug is ours, and a
    500 with a log entry is the honest answer. Structural surprises our code meets (a page's /Resources
    that is a number) are checked explicitly and raise StampFailed themselves.
    """
    try:
        yield
    except StampFailed:
        raise
    except Exception as exc:
        if isinstance(exc, PyPdfError) or _started_in_library(exc):
            raise StampFailed(reason) from exc
        raise


def _started_in_library(exc: BaseException) -> bool:
    tb, module = exc.__traceback__, ""
    while tb is not None:
        module = str(tb.tb_frame.f_globals.get("__name__", ""))
        tb = tb.tb_next
    return module.split(".")[0] in FILE_LIBRARIES


# PDF -------------------------------------------------------------------------------------------------------


def _stamp_pdf(source: BinaryIO, text: list[str]) -> bytes:
    stamp_pdf, footer_size, mark_size = _draw_stamp(text)  # outside the guard: our bug is not a damaged PDF
    damaged = "The PDF could not be read; it may be damaged."
    with _library_errors(damaged):
        reader = PdfReader(source)
        if reader.is_encrypted and not reader.decrypt(""):
            raise StampFailed("The PDF is password-protected.")
        writer = PdfWriter(clone_from=reader)
        pages = list(writer.pages)
    if not pages:
        raise StampFailed("The PDF has no pages.")
    with _library_errors(damaged):
        footer, mark = (_form_from_page(writer, page) for page in stamp_pdf.pages)
        opener = writer._add_object(_stream(b"q\n"))  # one shared stream saves the original graphics state
        for page in pages:
            width, height, to_user = _display_space(page.cropbox, _rotation(page))
            names = _add_xobjects(page, {STAMP_NAME: footer, MARK_NAME: mark})
            ops = (
                f"\nQ\nq {_cm(_compose(_footer_place(footer_size, width), to_user))} cm {names[STAMP_NAME]} Do Q\n"
                f"q {_cm(_compose(_mark_place(mark_size, width, height), to_user))} cm {names[MARK_NAME]} Do Q\n"
            )
            closer = writer._add_object(_stream(ops.encode("ascii")))
            page[NameObject("/Contents")] = ArrayObject([opener, *_content_refs(writer, page), closer])
        _defuse_and_sweep(writer)
        stamped = io.BytesIO()
        writer.write(stamped)  # broken references surface here too, so still inside the guard
    return stamped.getvalue()


def _rotation(page: PageObject) -> int:
    rotate = page.rotation  # pypdf resolves an inherited or indirect /Rotate
    if not isinstance(rotate, int | float) or rotate % 90:  # NumberObject is an int; anything else is damage
        raise StampFailed("The PDF has a page with an invalid rotation; it may be damaged.")
    return int(rotate)


def _defuse_and_sweep(writer: PdfWriter) -> None:
    """Remove embedded files and active content (see watermark_pdf), then every object no longer reachable.

    One walk over the objects reachable from the catalog and the document information: each dictionary is
    cleaned before its values are visited, so what hung only under a removed key (the attachment's bytes,
    the script's text) is never reached and is left out of the output, not just unlinked.
    """
    reachable: set[int] = set()
    stack: list[Any] = [ref for ref in (writer.root_object.indirect_reference, writer._info_obj) if ref is not None]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.pdf is not writer or item.idnum in reachable:
                continue
            reachable.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            _defuse(item)
            stack.extend(item.values())  # raw values: references stay references, so each is visited once
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    objects = writer._objects
    for index in range(len(objects)):
        if index + 1 not in reachable:
            objects[index] = None


def _defuse(obj: DictionaryObject) -> None:
    for key in PDF_DROPPED_KEYS:
        if key in obj:
            del obj[key]
    if "/JS" in obj:  # a script action reached some other way than the keys below: no script left in it
        del obj["/JS"]
    for key in PDF_ACTION_KEYS:
        if key in obj and not _harmless_action(obj[key]):
            del obj[key]
    annots = obj.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    if isinstance(annots, ArrayObject):
        kept = [ref for ref in annots if _annotation_subtype(ref) not in PDF_DROPPED_ANNOTATIONS]
        if len(kept) != len(annots):
            annots[:] = kept


def _harmless_action(value: PdfObject) -> bool:
    """Whether an action and every /Next action after it only navigate; values that are no action pass.

    A structure element's /A holds attributes, not an action: dictionaries without /S are not actions.
    """
    seen: set[int] = set()
    pending = [value]
    while pending:
        item = pending.pop().get_object()
        if id(item) in seen:  # a /Next chain that loops
            continue
        seen.add(id(item))
        if isinstance(item, ArrayObject):  # /Next may be an array of actions
            pending.extend(item)
        elif isinstance(item, DictionaryObject) and "/S" in item:
            if item["/S"] not in PDF_SAFE_ACTIONS or "/JS" in item:
                return False
            if "/Next" in item:
                pending.append(item.raw_get("/Next"))
    return True


def _annotation_subtype(ref: PdfObject) -> object:
    annotation = ref.get_object()
    if isinstance(annotation, DictionaryObject) and "/Subtype" in annotation:
        return annotation["/Subtype"]
    return None


def _clean(line: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", line).split())


def _runs(line: str) -> list[tuple[str, str]]:
    """Split a line into (font, text) runs: Latin in Helvetica, Japanese in the CID font, the rest transliterated.

    Helvetica shows what Windows-1252 encodes; the Japanese font what Windows-31J (cp932) encodes, which
    includes kanji, kana, Greek and Cyrillic. Other scripts (Devanagari, Hangul) would show as empty boxes,
    so they are written in ASCII ("राम" -> "ram"): a name must stay readable on the stamp.
    """
    runs: list[tuple[str, str]] = []
    for ch in line:
        font, text = LATIN_FONT, ch
        if not _encodes(ch, "cp1252"):
            font, text = (CJK_FONT, ch) if _encodes(ch, "cp932") else (LATIN_FONT, anyascii(ch))
        if runs and runs[-1][0] == font:
            runs[-1] = (font, runs[-1][1] + text)
        elif text:
            runs.append((font, text))
    return runs


def _encodes(ch: str, encoding: str) -> bool:
    try:
        ch.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def _width(line: str, size: float) -> float:
    return sum(pdfmetrics.stringWidth(text, font, size) for font, text in _runs(line))


def _draw(pdf: canvas.Canvas, x: float, y: float, line: str, size: float) -> None:
    # One text object, so extractors read the line as one line across font changes.
    text = pdf.beginText(x, y)
    for font, part in _runs(line):
        text.setFont(font, size)
        text.textOut(part)
    pdf.drawText(text)


def _draw_stamp(lines: list[str]) -> tuple[PdfReader, tuple[float, float], tuple[float, float]]:
    """Draw the footer (page 1) and the diagonal mark (page 2), each on a page the size of its text."""
    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))
    leading = FOOTER_SIZE * 1.25
    footer_w = max(_width(line, FOOTER_SIZE) for line in lines) + 2
    footer_h = leading * len(lines) + 2
    mark_text = lines[0]
    mark_w = _width(mark_text, MARK_SIZE) + 2
    mark_h = MARK_SIZE * 1.2

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(footer_w, footer_h), pageCompression=1)
    pdf.setFillColorRGB(0.25, 0.25, 0.25)
    for i, line in enumerate(lines):
        _draw(pdf, 1, footer_h - 1 - leading * (i + 1) + (leading - FOOTER_SIZE), line, FOOTER_SIZE)
    pdf.showPage()
    pdf.setPageSize((mark_w, mark_h))
    pdf.setFillColorRGB(0.5, 0.5, 0.5)
    pdf.setFillAlpha(0.18)  # light enough to read the page through it
    _draw(pdf, 1, MARK_SIZE * 0.25, mark_text, MARK_SIZE)
    pdf.showPage()
    pdf.save()

    return PdfReader(io.BytesIO(buffer.getvalue())), (footer_w, footer_h), (mark_w, mark_h)


def _form_from_page(writer: PdfWriter, page: PageObject) -> IndirectObject:
    """The stamp page as a Form XObject of the output document, drawn by each page with one `Do`."""
    contents = page.get_contents()
    assert contents is not None  # reportlab always writes a content stream
    form = _stream(contents.get_data()).flate_encode()
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/BBox")] = page.mediabox
    form[NameObject("/Resources")] = page["/Resources"]
    # clone() copies the fonts and graphics states the stamp uses into the output document.
    return writer._add_object(form.clone(writer))


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def _content_refs(writer: PdfWriter, page: PageObject) -> list[PdfObject]:
    """The page's content streams as references (an array may only hold streams indirectly)."""
    contents = page.get("/Contents")
    if contents is None or contents.get_object() is None or isinstance(contents.get_object(), NullObject):
        return []
    resolved = contents.get_object()
    parts = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
    if not all(isinstance(part.get_object(), StreamObject) for part in parts):
        raise StampFailed("The PDF has a page whose content is not a stream; it may be damaged.")
    return [part if isinstance(part, IndirectObject) else writer._add_object(part) for part in parts]


def _add_xobjects(page: PageObject, forms: dict[str, IndirectObject]) -> dict[str, str]:
    """Reference the forms from the page's resources, under a fresh name if the page already uses ours."""
    resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
    if not isinstance(resources, DictionaryObject):
        raise StampFailed("The PDF has a page whose resources are not a dictionary; it may be damaged.")
    xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
    if not isinstance(xobjects, DictionaryObject):
        raise StampFailed("The PDF has a page whose images are not a dictionary; it may be damaged.")
    names: dict[str, str] = {}
    for base, ref in forms.items():
        name, n = base, 0
        # Resources are often shared by pages; our own entry from an earlier page is fine to reuse.
        while name in xobjects and xobjects.raw_get(name) != ref:
            n += 1
            name = f"{base}{n}"
        xobjects[NameObject(name)] = ref
        names[base] = name
    return names


def _display_space(box: RectangleObject, rotate: int) -> tuple[float, float, Matrix]:
    """Width and height as the reader sees the page, and the matrix from that view to user space."""
    x0, y0 = float(min(box.left, box.right)), float(min(box.bottom, box.top))
    x1, y1 = float(max(box.left, box.right)), float(max(box.bottom, box.top))
    w, h = x1 - x0, y1 - y0
    match rotate % 360:
        case 90:  # shown turned clockwise: the view's x runs up the page
            return h, w, (0, 1, -1, 0, x1, y0)
        case 180:
            return w, h, (-1, 0, 0, -1, x1, y1)
        case 270:
            return h, w, (0, -1, 1, 0, x0, y1)
        case _:
            return w, h, (1, 0, 0, 1, x0, y0)


def _footer_place(size: tuple[float, float], page_width: float) -> Matrix:
    # Bottom left, shrunk only when the page is narrower than the footer.
    s = min(1.0, max(page_width - 2 * MARGIN, 1.0) / size[0])
    return (s, 0, 0, s, MARGIN * min(1.0, s), MARGIN * min(1.0, s))


def _mark_place(size: tuple[float, float], width: float, height: float) -> Matrix:
    # Centred along the rising diagonal, about 60% of its length, never larger than 2x the drawn size.
    angle = math.atan2(height, width)
    s = min(2.0, 0.6 * math.hypot(width, height) / size[0])
    a, b = s * math.cos(angle), s * math.sin(angle)
    c, d = -b, a
    w2, h2 = size[0] / 2, size[1] / 2
    return (a, b, c, d, width / 2 - a * w2 - c * h2, height / 2 - b * w2 - d * h2)


def _compose(first: Matrix, then: Matrix) -> Matrix:
    a1, b1, c1, d1, e1, f1 = first
    a2, b2, c2, d2, e2, f2 = then
    return (
        a1 * a2 + b1 * c2,
        a1 * b2 + b1 * d2,
        c1 * a2 + d1 * c2,
        c1 * b2 + d1 * d2,
        e1 * a2 + f1 * c2 + e2,
        e1 * b2 + f1 * d2 + f2,
    )


def _cm(m: Matrix) -> str:
    return " ".join(f"{v:.4f}".rstrip("0").rstrip(".") or "0" for v in m)


# Office files ----------------------------------------------------------------------------------------------

OFFICE_FONT_PT = 8
XLSX_SHEET = "Export control"
XLSX_HEADER_LIMIT = 255  # Excel refuses a header or footer longer than this, format codes included


def _check_unpacked(source: BinaryIO, reason: str) -> None:
    """Refuse an archive whose members would unpack beyond MAX_UNPACKED_BYTES, before any library opens it.

    The sizes come from the central directory; zipfile never inflates a member beyond its declared size,
    so a lying header cannot get past this either.
    """
    with _library_errors(reason):
        source.seek(0)
        with zipfile.ZipFile(source) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        source.seek(0)
    if unpacked > MAX_UNPACKED_BYTES:
        raise StampFailed("The file unpacks to far more data than a document holds.")


def _stamp_docx(source: BinaryIO, text: list[str]) -> bytes:
    """Word: the lines at the end of the header and of the footer of every section.

    Every header/footer the document shows gets them: the default one, the first-page one of a section with
    a different first page, and the even-page one when the document has different odd and even pages. A
    header linked to the previous section's resolves to that section's part, which is stamped once.
    python-docx rewrites only the parts it changes, so the body, images, tables, comments and tracked
    changes are kept as they are.
    """
    reason = "The Word file could not be read; it may be damaged."
    _check_unpacked(source, reason)
    with _library_errors(reason):
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


def _stamp_pptx(source: BinaryIO, text: list[str]) -> bytes:
    """PowerPoint: a text box with the lines along the bottom of every slide, and the lines in its notes.

    The box is the slide's topmost shape (added last), so nothing on the slide covers it. python-pptx keeps
    the rest of the package (masters, layouts, media, charts, animations) as it is.
    """
    reason = "The PowerPoint file could not be read; it may be damaged."
    _check_unpacked(source, reason)
    with _library_errors(reason):
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


def _stamp_xlsx(source: BinaryIO, text: list[str]) -> bytes:
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
    with _library_errors(reason):
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


# Markdown and text -----------------------------------------------------------------------------------------

TEXT_RULE = "=" * 72
CHUNK = 1 << 20
# What can start markup inside a line, and what can start a block (heading, list, rule) at its start.
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&!|~])")
MARKDOWN_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([#+\-=])")


def _stamp_text(source: BinaryIO, text: list[str], *, markdown: bool, out: BinaryIO) -> None:
    """The lines above and below the text, set apart; the text in between byte for byte (a UTF-8 BOM dropped).

    Plain text gets the lines between two rules of "=". Markdown gets them as a block quote (special
    characters escaped, so a name never turns into markup) followed or preceded by a thematic break. Line
    endings follow the file's own (CRLF if its first chunk has one). The file is checked as UTF-8 in one
    pass before anything is written, then copied in chunks: a large file is never held in memory.
    """
    source.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    first, last = b"", b""
    try:
        while chunk := source.read(CHUNK):
            first = first or chunk
            decoder.decode(chunk)
            last = chunk
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise StampFailed("The text is not valid UTF-8.") from exc
    newline = "\r\n" if b"\r\n" in first else "\n"
    if markdown:
        quoted = ["> " + _markdown_literal(line) for line in text]
        block = [f"{line}\\" for line in quoted[:-1]] + quoted[-1:]  # a backslash ending a line: a hard break
        top, bottom = [*block, "", "---", "", ""], ["", "---", "", *block, ""]
    else:
        top, bottom = [TEXT_RULE, *text, TEXT_RULE, "", ""], ["", TEXT_RULE, *text, TEXT_RULE, ""]
    if last and not last.endswith(b"\n"):
        bottom.insert(0, "")
    out.write(newline.join(top).encode())
    source.seek(0)
    if source.read(3) != codecs.BOM_UTF8:
        source.seek(0)
    while chunk := source.read(CHUNK):
        out.write(chunk)
    out.write(newline.join(bottom).encode())


def _markdown_literal(line: str) -> str:
    """The line escaped so Markdown shows it as it is: a name never turns into a link, emphasis or a list."""
    escaped = MARKDOWN_INLINE.sub(r"\\\1", line)
    return MARKDOWN_BLOCK_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)
