"""File kinds are judged by content; text comes out paragraph by paragraph; names stay human and safe."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.documents.formats import FileKind, UnsupportedFileType, content_disposition, safe_filename, sniff
from app.documents.readers import ExtractionFailed, extract_text
from tests.documents.samples import write, write_docx, write_pdf, write_pptx, write_xlsx, write_zip

CONTENT_TYPES_XML = (
    b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def test_content_types() -> None:
    assert FileKind.pdf.content_type == "application/pdf"
    assert FileKind.docx.content_type.endswith("wordprocessingml.document")
    assert FileKind.pptx.content_type.endswith("presentationml.presentation")
    assert FileKind.xlsx.content_type.endswith("spreadsheetml.sheet")
    assert FileKind.markdown.content_type == "text/markdown; charset=utf-8"
    assert FileKind.text.content_type == "text/plain; charset=utf-8"
    assert FileKind("pdf") is FileKind.pdf


def test_office_and_pdf_are_sniffed_from_content_not_name(tmp_path: Path) -> None:
    assert sniff(write_pdf(tmp_path / "a.txt", ["hello"]), "a.txt") is FileKind.pdf
    assert sniff(write_docx(tmp_path / "b.bin", ["hello"]), "b.pdf") is FileKind.docx
    assert sniff(write_pptx(tmp_path / "c", [["Title", "Body"]]), "c.xlsx") is FileKind.pptx
    assert sniff(write_xlsx(tmp_path / "d", {"S": [["a"]]}), "d.docx") is FileKind.xlsx


def test_text_named_pdf_is_text(tmp_path: Path) -> None:
    assert sniff(write(tmp_path / "x.pdf", "Just some words.\n"), "x.pdf") is FileKind.text


@pytest.mark.parametrize(
    ("content", "filename", "kind"),
    [
        ("Plain words.\nMore words.\n", "notes.txt", FileKind.text),
        ("Plain words.\n", "notes.md", FileKind.markdown),
        ("Plain words.\n", "NOTES.Markdown", FileKind.markdown),
        ("# Agenda\n\nItems follow.\n", "agenda.txt", FileKind.markdown),
        ("See [the draft](https://example.org/d).\n", "x", FileKind.markdown),
        ("Intro\n- first\n- second\n", "x", FileKind.markdown),
        ("\ufeffBOM first, then text.\n", "bom.txt", FileKind.text),
        ("報告書の本文です。\n", "報告書.txt", FileKind.text),
        ("MZ Corp quarterly notes\n", "mz.txt", FileKind.text),  # a printable magic alone is not a program
        ("#include <stdio.h>\n", "c.txt", FileKind.text),
        ("Tabs\tand\fform feeds\r\n", "t.txt", FileKind.text),
    ],
)
def test_text_and_markdown(tmp_path: Path, content: str, filename: str, kind: FileKind) -> None:
    assert sniff(write(tmp_path / "f", content), filename) is kind


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64, "Linux program"),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64, "Windows program"),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01" + b"\x00" * 64, "macOS program"),
        (b"#!/bin/sh\nrm -rf /\n", "script"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG image"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "GIF image"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG image"),
        (b"\x1f\x8b\x08\x00\x00\x00\x00\x00", "gzip archive"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "7-Zip archive"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "old-format"),
        (b"{\\rtf1\\ansi Hello}", "RTF document"),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video"),
    ],
)
def test_rejects_known_formats_and_names_them(tmp_path: Path, data: bytes, found: str) -> None:
    with pytest.raises(UnsupportedFileType, match=found):
        sniff(write(tmp_path / "upload.pdf", data), "upload.pdf")


@pytest.mark.parametrize(
    ("data", "found"),
    [
        (b"", "empty"),
        (b"text with a NUL \x00 byte", "binary"),
        ("caf\xe9 in Latin-1".encode("latin-1"), "UTF-8"),
        (b"ctrl \x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f\x10\x11\x12 chars", "binary"),
    ],
)
def test_rejects_empty_binary_and_non_utf8(tmp_path: Path, data: bytes, found: str) -> None:
    with pytest.raises(UnsupportedFileType, match=found):
        sniff(write(tmp_path / "f.txt", data), "f.txt")


def test_zip_that_is_not_ooxml(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFileType, match="ZIP archive"):
        sniff(write_zip(tmp_path / "a.zip", {"readme.txt": b"hi"}), "a.docx")
    # The main part alone is not enough: OOXML also has [Content_Types].xml.
    with pytest.raises(UnsupportedFileType, match="ZIP archive"):
        sniff(write_zip(tmp_path / "b.zip", {"word/document.xml": b"<w/>"}), "b.docx")
    with pytest.raises(UnsupportedFileType, match="OpenDocument"):
        sniff(write_zip(tmp_path / "c.odt", {"mimetype": b"application/vnd.oasis.opendocument.text"}), "c.odt")
    with pytest.raises(UnsupportedFileType, match="damaged ZIP"):
        sniff(write(tmp_path / "d.zip", b"PK\x03\x04 truncated"), "d.docx")


def test_macro_enabled_office_is_refused(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "m.docm",
        {
            "[Content_Types].xml": CONTENT_TYPES_XML,
            "word/document.xml": b"<w/>",
            "word/vbaProject.bin": b"\x00",
        },
    )
    with pytest.raises(UnsupportedFileType, match=r"macro-enabled.*\.docx"):
        sniff(path, "m.docm")


def test_extract_pdf_pages_joined_by_blank_lines(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "a.pdf", ["First page text", "Second page text"])
    assert extract_text(path, FileKind.pdf) == "First page text\n\nSecond page text"


def test_extract_docx_paragraphs_and_table_cells(tmp_path: Path) -> None:
    path = write_docx(
        tmp_path / "a.docx",
        ["Export controls", "", "Supply chains"],
        table=[["Country", "Position"], ["Japan", "Supports"]],
    )
    assert extract_text(path, FileKind.docx) == (
        "Export controls\n\nSupply chains\n\nCountry\tPosition\n\nJapan\tSupports"
    )


def test_extract_pptx_lines_and_slides(tmp_path: Path) -> None:
    path = write_pptx(tmp_path / "a.pptx", [["Agenda", "Welcome", "Semiconductors"], ["Next steps", "Report back"]])
    assert extract_text(path, FileKind.pptx) == "Agenda\nWelcome\nSemiconductors\n\nNext steps\nReport back"


def test_extract_xlsx_sheets_and_rows(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "a.xlsx",
        {"Budget": [["Item", "Cost"], ["Chips", 12.5], [None, None], ["Total", "=B2"]], "空": []},
    )
    # data_only: a formula never computed by Excel has no cached value, so its cell reads as empty.
    assert extract_text(path, FileKind.xlsx) == "# Budget\n\nItem\tCost\n\nChips\t12.5\n\nTotal\n\n# 空"


def test_extract_text_and_markdown(tmp_path: Path) -> None:
    path = write(tmp_path / "a.md", "\ufeff# Title\r\n\r\nBody 本文\r\n")
    assert extract_text(path, FileKind.markdown) == "# Title\n\nBody 本文\n"
    assert extract_text(path, FileKind.text) == "# Title\n\nBody 本文\n"


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (FileKind.pdf, b"%PDF-1.7\n" + b"\x00garbage" * 50),
        (FileKind.pdf, b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"),
        (FileKind.docx, b"PK\x03\x04 not really a zip"),
        (FileKind.xlsx, b"not a workbook"),
        (FileKind.pptx, b""),
        (FileKind.text, b"\xff\xfe broken utf-8"),
    ],
)
def test_damaged_files_raise_extraction_failed(tmp_path: Path, kind: FileKind, data: bytes) -> None:
    with pytest.raises(ExtractionFailed) as caught:
        extract_text(write(tmp_path / "f", data), kind)
    message = str(caught.value)
    assert message and "Traceback" not in message and "\n" not in message


def test_truncated_pdf_raises_extraction_failed(tmp_path: Path) -> None:
    whole = write_pdf(tmp_path / "a.pdf", ["Some text"]).read_bytes()
    with pytest.raises(ExtractionFailed):
        extract_text(write(tmp_path / "b.pdf", whole[: len(whole) // 2]), FileKind.pdf)


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("報告書 v2.pdf", "報告書 v2.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\alice\\Desktop\\Plan.docx", "Plan.docx"),
        ("..", "document"),
        ("", "document"),
        ("   ", "document"),
        ("dir/", "document"),
        ("a\x00b\r\nc.txt", "a b c.txt"),
        ("  many    spaces\there .md ", "many spaces here .md"),
        ("report..pdf", "report.pdf"),
        (".hidden", "hidden"),
        ("evil\u202efdp.exe", "evil fdp.exe"),  # a right-to-left override cannot disguise the extension
        ('what: "quotes" <and> pipes|?*.txt', "what_ _quotes_ _and_ pipes___.txt"),
        ("Cafe\u0301.pdf", "Café.pdf"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_safe_filename_limits_length_and_keeps_extension() -> None:
    result = safe_filename("長" * 300 + ".pdf")
    assert len(result) == 150 and result.endswith("長.pdf")
    assert len(safe_filename("x" * 400)) == 150


def test_content_disposition_japanese() -> None:
    value = content_disposition("報告書 v2.pdf")
    assert value == ("attachment; filename=\"___ v2.pdf\"; filename*=UTF-8''%E5%A0%B1%E5%91%8A%E6%9B%B8%20v2.pdf")
    assert content_disposition("a.pdf", inline=True).startswith('inline; filename="a.pdf"')


def test_content_disposition_is_header_safe() -> None:
    value = content_disposition('evil"\\name\r\nSet-Cookie: x.pdf')
    assert "\r" not in value and "\n" not in value
    fallback = value.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "\\" not in fallback
    assert value.isascii()


def test_zip_bomb_is_refused_before_extraction(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A DOCX whose parts inflate beyond the limit is refused at sniffing time (limit lowered to keep it fast)."""
    import zipfile

    from app.documents import formats as fmt

    monkeypatch.setattr(fmt, "MAX_UNPACKED_BYTES", 1024 * 1024)
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        archive.writestr("word/padding.bin", b"\0" * (fmt.MAX_UNPACKED_BYTES + 1))
    with pytest.raises(fmt.UnsupportedFileType, match="unpacks"):
        fmt.sniff(bomb, "bomb.docx")


def test_pdf_with_leading_whitespace_is_a_pdf(tmp_path: Path) -> None:
    """PDF readers accept the header anywhere in the first 1024 bytes; so does sniffing (else: served as text,
    unstamped when marked)."""
    from tests.documents.samples import pdf_bytes

    padded = write(tmp_path / "padded.pdf", b"\r\n  \n\t" * 100 + pdf_bytes(["hello"]))
    assert sniff(padded, "padded.pdf") is FileKind.pdf
    assert "hello" in extract_text(padded, FileKind.pdf)
    late = write(tmp_path / "late.txt", b" " * 1100 + b"%PDF-1.7 is only mentioned here\n")
    assert sniff(late, "late.txt") is FileKind.text
    program = write(tmp_path / "prog.pdf", b"MZ\x90\x00" + b"\x00" * 60 + b"%PDF-1.7\n")
    with pytest.raises(UnsupportedFileType, match="Windows program"):
        sniff(program, "prog.pdf")


def test_office_bomb_is_refused_by_ratio_and_member_size(tmp_path: Path) -> None:
    """Tens of MiB of repeated XML in a small DOCX: refused at sniffing, before any parser sees it."""
    from app.documents import formats as fmt

    base = write_docx(tmp_path / "base.docx", ["x"])
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(base) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b"<w:body>" + b"<w:p><w:r><w:t>x</w:t></w:r></w:p>" * 1_200_000)
            dst.writestr(item, data)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(UnsupportedFileType, match="unpacks"):
        sniff(bomb, "bomb.docx")
    big_member = tmp_path / "member.docx"
    with zipfile.ZipFile(big_member, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES_XML)
        archive.writestr("word/document.xml", b"<w:document/>")
        archive.writestr("word/media/big.bin", b"\1" * (fmt.MAX_MEMBER_BYTES + 1))
    with pytest.raises(UnsupportedFileType, match="unpacks"):
        sniff(big_member, "member.docx")


def test_extracted_text_is_bounded_with_a_note(tmp_path: Path) -> None:
    path = write(tmp_path / "long.txt", "word " * 100_000)
    text = extract_text(path, FileKind.text, max_chars=1000)
    assert text.startswith("word word") and text.endswith("kept for search and comparison.]")
    assert len(text) < 1200
    assert extract_text(write(tmp_path / "short.txt", "short"), FileKind.text) == "short"
