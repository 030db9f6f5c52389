"""The download stamp: on every page of a PDF (placed for its box and rotation) and on every other marked format.

The original is never changed; a file that cannot be stamped raises StampFailed, so it is never served unstamped.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import random
import re
from pathlib import Path
from typing import cast

import pytest
from docx import Document
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from pptx import Presentation
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, PdfObject, RectangleObject
from reportlab.lib.pagesizes import A4, A5, landscape

from app.documents.formats import MAX_UNPACKED_BYTES, FileKind
from app.documents.stamps import pdf as stamps_pdf
from app.documents.watermark import StampFailed, stamp, watermark_pdf
from tests.documents.samples import (
    ATTACHMENT_MARKER,
    SCRIPT_MARKER,
    docx_bytes,
    hostile_pdf_bytes,
    pdf_bytes,
    with_declared_size,
    write_pptx,
    write_zip,
    xlsx_with_chart_bytes,
)

LINE = "Downloaded by Alice Walker (US) 2026-11-29 10:31 UTC · CONTROLLED"
JAPANESE = "山田花子 (JP) 2026-11-29 19:31 JST · 輸出管理"


def stamped(source: bytes, lines: list[str]) -> PdfReader:
    out = io.BytesIO()
    watermark_pdf(io.BytesIO(source), lines, out)
    return PdfReader(io.BytesIO(out.getvalue()))


def resolve(obj: object) -> DictionaryObject:
    return cast(DictionaryObject, cast(PdfObject, obj).get_object())


def xobjects(page: PageObject) -> DictionaryObject:
    return resolve(resolve(page["/Resources"])["/XObject"])


def stamp_ops(reader: PdfReader, page_number: int) -> str:
    contents = reader.pages[page_number]["/Contents"].get_object()
    assert isinstance(contents, ArrayObject)
    return contents[-1].get_object().get_data().decode()


def test_every_page_carries_the_stamp_and_keeps_its_text(tmp_path: Path) -> None:
    source = pdf_bytes(["Page one body", "Page two body", "Page three body"])
    reader = stamped(source, [LINE])
    assert len(reader.pages) == 3
    for number, page in enumerate(reader.pages):
        text = page.extract_text()
        assert LINE in text
        assert ("Page one body", "Page two body", "Page three body")[number] in text
        assert "/QuadStamp" in xobjects(page)
        assert "/QuadStamp Do" in stamp_ops(reader, number)


def test_japanese_names_are_written_in_a_japanese_font() -> None:
    reader = stamped(pdf_bytes(["本文", "Body"]), [JAPANESE, LINE])
    for page in reader.pages:
        text = page.extract_text()
        assert JAPANESE in text and LINE in text
    form = resolve(xobjects(reader.pages[0])["/QuadStamp"])
    fonts = {str(resolve(font)["/BaseFont"]) for font in resolve(resolve(form["/Resources"])["/Font"]).values()}
    assert fonts == {"/Helvetica", "/HeiseiKakuGo-W5"}


def test_scripts_without_a_font_are_transliterated() -> None:
    # Helvetica and the Japanese font cannot show Devanagari or Hangul: an ASCII spelling beats empty boxes.
    text = stamped(pdf_bytes(["x"]), ["राम (IN) · 한국 · Zoë · 東京"]).pages[0].extract_text()
    assert "ram (IN) · HanGug · Zoë · 東京" in text


def test_the_original_is_not_changed(tmp_path: Path) -> None:
    path = tmp_path / "original.pdf"
    path.write_bytes(pdf_bytes(["Secret body"] * 3))
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    out = io.BytesIO()
    with path.open("rb") as source:
        watermark_pdf(source, [LINE], out)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert out.getvalue() != path.read_bytes()
    # The source's own pages are untouched: no stamp in a fresh read of the original.
    assert LINE not in PdfReader(path).pages[0].extract_text()


def test_stamp_follows_rotation_and_crop_box() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["r0", "r90", "r180", "r270", "crop"])))
    for number, page in enumerate(writer.pages[:4]):
        page.rotate(number * 90)
    writer.pages[4].cropbox = RectangleObject((50, 100, 400, 600))
    writer.pages[4].rotate(270)
    source = io.BytesIO()
    writer.write(source)
    reader = stamped(source.getvalue(), [LINE])
    # The stamp's text runs left to right as the page is shown: along +x, +y, -x, -y of user space.
    directions = [(1, 0), (0, 1), (-1, 0), (0, -1), (0, -1)]
    for number, page in enumerate(reader.pages):
        box = page.cropbox
        left, bottom, right, top = (float(v) for v in (box.left, box.bottom, box.right, box.top))
        for name, (a, b, c, d, e, f) in _placements(stamp_ops(reader, number)).items():
            if name == "/QuadStamp":
                assert (round(a), round(b)) == directions[number]
            width, height = (float(v) for v in cast(ArrayObject, resolve(xobjects(page)[name])["/BBox"])[2:])
            for x, y in ((0, 0), (width, 0), (0, height), (width, height)):
                ux, uy = a * x + c * y + e, b * x + d * y + f
                assert left - 0.5 <= ux <= right + 0.5 and bottom - 0.5 <= uy <= top + 0.5, (number, name)


def test_mixed_page_sizes_are_stamped_to_fit() -> None:
    small, large = A5, landscape(A4)
    reader = stamped(pdf_bytes(["small", "large"], sizes=[small, large]), [LINE])
    footer_scale = [abs(_placements(stamp_ops(reader, n))["/QuadStamp"][0]) for n in range(2)]
    assert footer_scale == [1.0, 1.0]  # the footer keeps its size while it fits the width
    narrow = stamped(pdf_bytes(["narrow"], sizes=[(120, 400)]), [LINE])
    assert 0 < _placements(stamp_ops(narrow, 0))["/QuadStamp"][0] < 1.0


def test_restamping_keeps_both_stamps() -> None:
    first = io.BytesIO()
    watermark_pdf(io.BytesIO(pdf_bytes(["body", "body"])), ["First reader"], first)
    reader = stamped(first.getvalue(), ["Second reader"])
    for number, page in enumerate(reader.pages):
        assert {"/QuadStamp", "/QuadStamp1"} <= set(xobjects(page))
        assert "/QuadStamp1 Do" in stamp_ops(reader, number)
        text = page.extract_text()
        assert "First reader" in text and "Second reader" in text


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not a pdf at all",
        b"%PDF-1.7\n" + b"\x00garbage" * 50,
    ],
)
def test_damaged_pdf_raises_stamp_failed(data: bytes) -> None:
    with pytest.raises(StampFailed):
        watermark_pdf(io.BytesIO(data), [LINE], io.BytesIO())


def test_truncated_pdf_raises_stamp_failed() -> None:
    whole = pdf_bytes(["text"] * 3)
    with pytest.raises(StampFailed):
        watermark_pdf(io.BytesIO(whole[: len(whole) // 2]), [LINE], io.BytesIO())


def test_password_protected_pdf_raises_stamp_failed() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["secret"])))
    writer.encrypt(user_password="open-sesame", algorithm="RC4-128")
    source = io.BytesIO()
    writer.write(source)
    with pytest.raises(StampFailed, match="password"):
        watermark_pdf(io.BytesIO(source.getvalue()), [LINE], io.BytesIO())


def test_lines_are_required_and_cleaned() -> None:
    with pytest.raises(ValueError, match="line"):
        watermark_pdf(io.BytesIO(pdf_bytes(["x"])), ["", " \n "], io.BytesIO())
    reader = stamped(pdf_bytes(["x"]), ["Name\x00with\ncontrols"])
    assert "Name with controls" in reader.pages[0].extract_text()


def _placements(ops: str) -> dict[str, tuple[float, ...]]:
    """Each stamp form's name and its placement matrix, from `q a b c d e f cm /Name Do Q`."""
    found = re.findall(r"q ((?:-?[\d.]+ ){6})cm (/\w+) Do Q", ops)
    return {name: tuple(float(v) for v in matrix.split()) for matrix, name in found}


# Every marked format (security issue #8, finding 9): stamped, defused, or refused -----------------------------

LINES = [
    "Downloaded by alice@state.example.gov (user 12), US, at 2026-12-02 10:00 UTC",
    "EXPORT-CONTROLLED 3A090 - do not redistribute",
]
JAPANESE_LINES = ["山田花子 (ユーザー 7)、JP、2026-12-02 19:00 JST にダウンロード", "輸出管理対象 3A090 - 再配布禁止"]


def stamp_bytes(kind: FileKind, data: bytes, lines: list[str]) -> bytes:
    out = io.BytesIO()
    stamp(kind, io.BytesIO(data), lines, out)
    return out.getvalue()


def test_stamp_on_a_pdf_is_the_pdf_watermark() -> None:
    reader = PdfReader(
        io.BytesIO(stamp_bytes(FileKind.pdf, pdf_bytes(["Body one", "Body two"]), JAPANESE_LINES + LINES))
    )
    for number, page in enumerate(reader.pages):
        text = page.extract_text()
        assert all(line in text for line in JAPANESE_LINES + LINES)
        assert ("Body one", "Body two")[number] in text


def test_pdf_loses_embedded_files_and_scripts_but_keeps_web_links() -> None:
    source = hostile_pdf_bytes(["Page one body", "Page two body"])
    original = PdfReader(io.BytesIO(source))
    assert ATTACHMENT_MARKER in source and SCRIPT_MARKER.encode() in source  # the sample really carries them
    assert set(original.attachments) == {"design.txt"}  # pypdf lists the name tree; the annotation holds the other

    output = stamp_bytes(FileKind.pdf, source, LINES)
    assert ATTACHMENT_MARKER not in output  # gone from the file, not just unlinked
    assert SCRIPT_MARKER.encode() not in output and b"calc.exe" not in output
    reader = PdfReader(io.BytesIO(output))
    assert reader.attachments == {}
    catalog = reader.root_object
    assert "/OpenAction" not in catalog and "/AA" not in catalog
    names = resolve(catalog["/Names"]) if "/Names" in catalog else DictionaryObject()
    assert "/EmbeddedFiles" not in names and "/JavaScript" not in names
    page = reader.pages[0]
    assert "/AA" not in page
    annotations = [resolve(a) for a in cast(ArrayObject, page["/Annots"])]
    assert [str(a["/Subtype"]) for a in annotations] == ["/Link", "/Link", "/Link"]  # the attachment is gone
    kept_link, launch, chained = annotations
    assert resolve(kept_link["/A"])["/URI"] == "https://quad.example/"
    assert "/A" not in launch and "/A" not in chained  # a harmless link followed by a script is not harmless
    bookmark = resolve(resolve(catalog["/Outlines"])["/First"])
    assert "/A" not in bookmark
    for number, body in enumerate(("Page one body", "Page two body")):
        text = reader.pages[number].extract_text()
        assert body in text and LINES[0] in text


def test_damaged_pdfs_only_ever_raise_stamp_failed() -> None:
    # Random damage to a PDF with every feature the defusing walks: each copy stamps clean or fails closed.
    source = hostile_pdf_bytes(["one", "two", "three"])
    rng = random.Random(8)
    outcomes = {"stamped": 0, "refused": 0}
    for _ in range(150):
        data = bytearray(source)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if rng.random() < 0.3:
            data = data[: rng.randrange(len(data))]
        try:
            output = stamp_bytes(FileKind.pdf, bytes(data), LINES)
        except StampFailed:
            outcomes["refused"] += 1
        else:
            outcomes["stamped"] += 1
            assert ATTACHMENT_MARKER not in output and SCRIPT_MARKER.encode() not in output
    assert outcomes["stamped"] and outcomes["refused"]


def test_a_bug_in_our_drawing_code_is_not_reported_as_a_damaged_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_placement(size: tuple[float, float], page_width: float) -> tuple[float, ...]:
        raise ZeroDivisionError("a bug in the placement arithmetic")

    monkeypatch.setattr(stamps_pdf, "_footer_place", broken_placement)
    with pytest.raises(ZeroDivisionError):
        stamp(FileKind.pdf, io.BytesIO(pdf_bytes(["x"])), LINES, io.BytesIO())


def test_a_page_with_nonsense_resources_fails_closed() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["x"])))
    writer.pages[0][NameObject("/Resources")] = NumberObject(7)
    source = io.BytesIO()
    writer.write(source)
    with pytest.raises(StampFailed, match="damaged"):
        stamp(FileKind.pdf, io.BytesIO(source.getvalue()), LINES, io.BytesIO())


def test_docx_gets_the_lines_in_every_header_and_footer_and_keeps_its_content() -> None:
    source = docx_bytes(
        ["Clause 1. The parties agree.", "条項2 供給網の強靭化"], header="Draft v3", sections=2, first_page=True
    )
    document = Document(io.BytesIO(stamp_bytes(FileKind.docx, source, JAPANESE_LINES + LINES)))
    body = [p.text for p in document.paragraphs]
    assert body[:2] == ["Clause 1. The parties agree.", "条項2 供給網の強靭化"] and "Section 2 body" in body
    first, second = document.sections
    shown = [
        first.header,
        first.footer,
        second.header,
        second.footer,
        second.first_page_header,
        second.first_page_footer,
    ]
    for header_or_footer in shown:
        texts = [p.text for p in header_or_footer.paragraphs]
        assert texts[-4:] == JAPANESE_LINES + LINES
    assert first.header.paragraphs[0].text == "Draft v3"  # the header's own text stays
    # The second section's default header is linked to the first: one stamp reaches both, not two.
    assert second.header.is_linked_to_previous
    assert sum(p.text == LINES[0] for p in first.header.paragraphs) == 1


def test_pptx_gets_a_stamp_on_every_slide_and_in_its_notes(tmp_path: Path) -> None:
    path = write_pptx(tmp_path / "deck.pptx", [["Semiconductor supply chains", "Clause 1"], ["半導体", "条項2"]])
    deck = Presentation(io.BytesIO(stamp_bytes(FileKind.pptx, path.read_bytes(), JAPANESE_LINES + LINES)))
    assert len(deck.slides) == 2
    for slide, (title, body) in zip(
        deck.slides, [("Semiconductor supply chains", "Clause 1"), ("半導体", "条項2")], strict=True
    ):
        texts = [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]
        assert title in texts and body in texts
        stamp_box = slide.shapes[-1]
        assert stamp_box.name == "Export-control stamp"
        assert [p.text for p in stamp_box.text_frame.paragraphs] == JAPANESE_LINES + LINES
        assert stamp_box.top + stamp_box.height <= deck.slide_height
        notes = slide.notes_slide.notes_text_frame
        assert all(line in notes.text for line in JAPANESE_LINES + LINES)


def test_xlsx_gets_a_first_sheet_and_headers_and_keeps_data_and_charts() -> None:
    source = xlsx_with_chart_bytes([["Country", "Fabs"], ["JP", 3], ["US", 5], ["IN", 1]])
    lines = [*JAPANESE_LINES, *LINES, '=HYPERLINK("https://evil.example")']
    workbook = load_workbook(io.BytesIO(stamp_bytes(FileKind.xlsx, source, lines)))
    assert workbook.sheetnames == ["Export control", "Data"]
    assert workbook.active is not None and workbook.active.title == "Export control"
    cover = workbook["Export control"]
    assert [cover.cell(row=r, column=1).value for r in range(1, len(lines) + 1)] == lines
    assert cover.cell(row=len(lines), column=1).data_type == "s"  # a line is text, never a formula
    data = workbook["Data"]
    assert [list(row) for row in data.iter_rows(values_only=True)] == [
        ["Country", "Fabs"],
        ["JP", 3],
        ["US", 5],
        ["IN", 1],
    ]
    assert len(data._charts) == 1  # openpyxl keeps charts (see _stamp_xlsx for what it drops)
    for item in (data.oddHeader, data.oddFooter, data.evenHeader, data.firstFooter):
        assert all(line in (item.center.text or "") for line in JAPANESE_LINES + LINES)
    assert data.oddHeader.left.text == "Working group draft"


def test_xlsx_header_stays_within_excels_limit() -> None:
    long_lines = [
        f"Downloaded by {'x' * 150} at 2026-12-02 10:00 UTC",
        " ".join(["EXPORT-CONTROLLED & do not redistribute"] * 3),
    ]
    workbook = load_workbook(io.BytesIO(stamp_bytes(FileKind.xlsx, xlsx_with_chart_bytes([["a", 1]]), long_lines)))
    header = workbook["Data"].oddHeader
    assert sum(2 + len(str(part)) for part in (header.left, header.center, header.right) if part.text) <= 255
    assert (header.center.text or "").startswith("Downloaded by xxx")
    assert workbook["Export control"]["A2"].value == long_lines[1]  # the full lines are on the first sheet


@pytest.mark.parametrize("kind", [FileKind.markdown, FileKind.text])
def test_text_gets_the_lines_above_and_below_and_keeps_every_byte(kind: FileKind) -> None:
    body = "# 会合メモ\r\n\r\nThe parties *agree*.\r\n"
    output = stamp_bytes(kind, codecs.BOM_UTF8 + body.encode(), JAPANESE_LINES + LINES).decode()
    top, middle, bottom = output.partition(body)[0], body, output.partition(body)[2]
    assert middle in output and not output.startswith("\ufeff")
    for part in (top, bottom):
        assert "\n" not in part.replace("\r\n", "")  # the file's CRLF line endings are kept
        for line in JAPANESE_LINES:
            assert line in part
    if kind is FileKind.text:
        assert top.startswith("=" * 72 + "\r\n") and LINES[0] in top and LINES[1] in bottom
    else:
        # Rendered, the stamp is a quote set apart by rules, the lines as written, and the body unchanged.
        html = MarkdownIt("commonmark").render(output)
        assert html.count("<blockquote>") == 2 and html.count("<hr />") == 2
        assert "<h1>会合メモ</h1>" in html and "<em>agree</em>" in html
        assert LINES[0] in html and "EXPORT-CONTROLLED 3A090 - do not redistribute" in html


def test_markdown_stamp_lines_never_become_markup() -> None:
    lines = ["1. [click](https://evil.example) <b>*Eve*</b> & `x`", "# not a heading"]
    html = MarkdownIt("commonmark").render(stamp_bytes(FileKind.markdown, b"Body\n", lines).decode())
    assert "<a " not in html and "<b>" not in html and "<em>" not in html and "<code>" not in html
    assert "<ol" not in html and "<h1>" not in html
    assert "1. [click](https://evil.example) &lt;b&gt;*Eve*&lt;/b&gt; &amp; `x`" in html


def test_text_that_is_not_utf8_fails_closed_and_writes_nothing() -> None:
    out = io.BytesIO()
    with pytest.raises(StampFailed, match="UTF-8"):
        stamp(FileKind.text, io.BytesIO(b"caf\xe9 ok\n" * 10), LINES, out)
    assert out.getvalue() == b""


def test_damaged_office_files_fail_closed(tmp_path: Path) -> None:
    docx = docx_bytes(["Body"])
    xlsx = xlsx_with_chart_bytes([["a", 1]])
    cases = [
        (FileKind.docx, docx[: len(docx) // 2]),  # truncated: no central directory
        (FileKind.docx, xlsx),  # a ZIP, but not a Word file
        (FileKind.pptx, docx),
        (FileKind.xlsx, b"PK\x03\x04" + b"\x00" * 100),
        (FileKind.docx, write_zip(tmp_path / "a.zip", {"word/document.xml": b"<not-xml"}).read_bytes()),
    ]
    for kind, data in cases:
        out = io.BytesIO()
        with pytest.raises(StampFailed, match="could not be read"):
            stamp(kind, io.BytesIO(data), LINES, out)
        assert out.getvalue() == b""


@pytest.mark.parametrize("kind", [FileKind.docx, FileKind.xlsx, FileKind.pptx])
def test_office_files_that_unpack_too_far_are_refused_before_opening(kind: FileKind, tmp_path: Path) -> None:
    if kind is FileKind.pptx:
        data = write_pptx(tmp_path / "d.pptx", [["t", "b"]]).read_bytes()
    else:
        data = docx_bytes(["Body"]) if kind is FileKind.docx else xlsx_with_chart_bytes([["a", 1]])
    with pytest.raises(StampFailed, match="unpacks"):
        stamp(kind, io.BytesIO(with_declared_size(data, MAX_UNPACKED_BYTES + 1)), LINES, io.BytesIO())


def test_pdf_with_only_an_owner_password_is_stamped_and_written_unencrypted() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["secret body"])))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    source = io.BytesIO()
    writer.write(source)
    reader = PdfReader(io.BytesIO(stamp_bytes(FileKind.pdf, source.getvalue(), LINES)))
    assert not reader.is_encrypted  # the sweep must not drop an encryption dictionary the output still needs
    assert "secret body" in reader.pages[0].extract_text() and LINES[0] in reader.pages[0].extract_text()
