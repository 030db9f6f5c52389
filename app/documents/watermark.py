"""Per-downloader stamp on every page of a PDF; the stored original is only read, never changed.

Speed: the stamp is drawn once with reportlab, turned into two Form XObjects (a footer and a light diagonal
mark), and each page only gets a resource entry and a few bytes of content that place them. Nothing of the
original content is decoded or re-parsed, so a 100-page file takes milliseconds, not seconds.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from typing import BinaryIO, cast

from anyascii import anyascii
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    PdfObject,
    RectangleObject,
)
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

__all__ = ["WatermarkFailed", "watermark_pdf"]

# A standard font where the text allows it (every viewer has it, text extraction is exact); Japanese needs
# the CID font, which reportlab ships metrics for and viewers render with their own Japanese font (it is
# not embedded, so no font file is needed here).
LATIN_FONT = "Helvetica"
CJK_FONT = "HeiseiKakuGo-W5"
FOOTER_SIZE = 7.0
MARK_SIZE = 36.0
MARGIN = 14.0
STAMP_NAME, MARK_NAME = "/QuadStamp", "/QuadMark"

Matrix = tuple[float, float, float, float, float, float]


class WatermarkFailed(Exception):
    """The source is not a PDF we can stamp (corrupt, encrypted, empty)."""


def watermark_pdf(source: BinaryIO, lines: Sequence[str], out: BinaryIO) -> None:
    """Write to `out` a copy of the PDF in `source` with `lines` stamped on every page."""
    text = [clean for line in lines if (clean := _clean(line))]
    if not text:
        raise ValueError("a watermark needs at least one line of text")
    stamp, footer_size, mark_size = _draw_stamp(text)  # outside the try: our bug is not a damaged PDF
    try:
        reader = PdfReader(source)
        if reader.is_encrypted and not reader.decrypt(""):
            raise WatermarkFailed("The PDF is password-protected.")
        writer = PdfWriter(clone_from=reader)
        if not writer.pages:
            raise WatermarkFailed("The PDF has no pages.")
        footer, mark = (_form_from_page(writer, page) for page in stamp.pages)
        opener = writer._add_object(_stream(b"q\n"))  # one shared stream saves the original graphics state
        for page in writer.pages:
            width, height, to_user = _display_space(page.cropbox, int(page.rotation or 0))
            names = _add_xobjects(page, {STAMP_NAME: footer, MARK_NAME: mark})
            ops = (
                f"\nQ\nq {_cm(_compose(_footer_place(footer_size, width), to_user))} cm {names[STAMP_NAME]} Do Q\n"
                f"q {_cm(_compose(_mark_place(mark_size, width, height), to_user))} cm {names[MARK_NAME]} Do Q\n"
            )
            closer = writer._add_object(_stream(ops.encode("ascii")))
            page[NameObject("/Contents")] = ArrayObject([opener, *_content_refs(writer, page), closer])
        stamped = io.BytesIO()
        writer.write(stamped)  # broken references surface here too, so still inside the try
    except WatermarkFailed:
        raise
    except Exception as exc:  # pypdf raises many types for damaged files; callers need one
        raise WatermarkFailed("The PDF could not be read; it may be damaged.") from exc
    out.write(stamped.getbuffer())  # a failing `out` (disk full) is the caller's error, not a damaged PDF


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
    if contents is None:
        return []
    resolved = contents.get_object()
    parts = list(resolved) if isinstance(resolved, ArrayObject) else [contents]
    return [part if isinstance(part, IndirectObject) else writer._add_object(part) for part in parts]


def _add_xobjects(page: PageObject, forms: dict[str, IndirectObject]) -> dict[str, str]:
    """Reference the forms from the page's resources, under a fresh name if the page already uses ours."""
    resources = cast(DictionaryObject, page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object())
    xobjects = cast(DictionaryObject, resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object())
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
