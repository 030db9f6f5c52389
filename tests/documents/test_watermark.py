"""The download stamp: on every page, readable, placed for each page's box and rotation, original untouched."""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import cast

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, PdfObject, RectangleObject
from reportlab.lib.pagesizes import A4, A5, landscape

from app.documents.watermark import WatermarkFailed, watermark_pdf
from tests.documents.samples import pdf_bytes

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
def test_damaged_pdf_raises_watermark_failed(data: bytes) -> None:
    with pytest.raises(WatermarkFailed):
        watermark_pdf(io.BytesIO(data), [LINE], io.BytesIO())


def test_truncated_pdf_raises_watermark_failed() -> None:
    whole = pdf_bytes(["text"] * 3)
    with pytest.raises(WatermarkFailed):
        watermark_pdf(io.BytesIO(whole[: len(whole) // 2]), [LINE], io.BytesIO())


def test_password_protected_pdf_raises_watermark_failed() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(["secret"])))
    writer.encrypt(user_password="open-sesame", algorithm="RC4-128")
    source = io.BytesIO()
    writer.write(source)
    with pytest.raises(WatermarkFailed, match="password"):
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
