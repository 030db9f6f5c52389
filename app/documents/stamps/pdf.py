"""The stamp on a PDF: a footer and a light diagonal mark on every page, drawn once with reportlab as two Form
XObjects that each page places with a few bytes of content. The original content is never decoded or re-parsed.
The copy also loses its embedded files and everything that runs by itself (see `stamp_pdf`)."""

from __future__ import annotations

import io
import math
import re
from typing import Any, BinaryIO

from anyascii import anyascii
from pypdf import PageObject, PdfReader, PdfWriter
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

from app.documents.stamps.common import StampFailed, library_errors

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

Matrix = tuple[float, float, float, float, float, float]


def stamp_pdf(source: BinaryIO, text: list[str]) -> bytes:
    stamp_pdf, footer_size, mark_size = _draw_stamp(text)  # outside the guard: our bug is not a damaged PDF
    damaged = "The PDF could not be read; it may be damaged."
    with library_errors(damaged):
        reader = PdfReader(source)
        if reader.is_encrypted and not reader.decrypt(""):
            raise StampFailed("The PDF is password-protected.")
        writer = PdfWriter(clone_from=reader)
        pages = list(writer.pages)
    if not pages:
        raise StampFailed("The PDF has no pages.")
    with library_errors(damaged):
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
