"""What an uploaded file really is, and names that are safe to store and to send (its text: app.documents.readers).

The kind is decided from the bytes alone: a name or a client's Content-Type is whatever the uploader says.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import zipfile
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from app.core.errors import N_

__all__ = [
    "FileKind",
    "UnsupportedFileType",
    "content_disposition",
    "safe_filename",
    "sniff",
]


class FileKind(StrEnum):
    pdf = "pdf"
    docx = "docx"
    pptx = "pptx"
    xlsx = "xlsx"
    markdown = "markdown"
    text = "text"

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self]


CONTENT_TYPES: dict[FileKind, str] = {
    FileKind.pdf: "application/pdf",
    FileKind.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.pptx: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    FileKind.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.markdown: "text/markdown; charset=utf-8",
    FileKind.text: "text/plain; charset=utf-8",
}


class UnsupportedFileType(Exception):
    """The file is not one of the kinds we accept; the message says what it seems to be.

    `message` is an N_() template and `params` fill it, so an upload page can say it in the reader's language;
    str() is the English sentence."""

    def __init__(self, message: str, **params: str) -> None:
        self.message = message
        self.params = params
        super().__init__(message % params if params else message)


ACCEPTED = N_("PDF, Word (.docx), PowerPoint (.pptx), Excel (.xlsx), Markdown or plain text")
LOOKS_LIKE = N_("This looks like %(what)s. Upload %(accepted)s.")
BINARY = N_("a binary file")

# (offset, magic, what it is) for formats people upload by mistake. Checked before the text test, so each
# magic is long or binary enough not to be the start of ordinary text.
SIGNATURES: tuple[tuple[int, bytes, str], ...] = (
    (0, b"\x7fELF", N_("a Linux program")),
    (0, b"MZ", N_("a Windows program")),
    (0, b"\xfe\xed\xfa\xce", N_("a macOS program")),
    (0, b"\xfe\xed\xfa\xcf", N_("a macOS program")),
    (0, b"\xce\xfa\xed\xfe", N_("a macOS program")),
    (0, b"\xcf\xfa\xed\xfe", N_("a macOS program")),
    (0, b"\xca\xfe\xba\xbe", N_("a macOS or Java program")),
    (0, b"\x00asm", N_("a WebAssembly program")),
    (0, b"#!", N_("a script")),
    (0, b"\x89PNG\r\n\x1a\n", N_("a PNG image")),
    (0, b"\xff\xd8\xff", N_("a JPEG image")),
    (0, b"GIF87a", N_("a GIF image")),
    (0, b"GIF89a", N_("a GIF image")),
    (0, b"II*\x00", N_("a TIFF image")),
    (0, b"MM\x00*", N_("a TIFF image")),
    (0, b"\x00\x00\x01\x00", N_("an icon image")),
    (8, b"WEBP", N_("a WebP image")),
    (4, b"ftypheic", N_("a HEIC image")),
    (4, b"ftyp", N_("a video or audio file")),
    (8, b"WAVE", N_("an audio file")),
    (8, b"AVI ", N_("a video file")),
    (0, b"ID3", N_("an audio file")),
    (0, b"OggS", N_("an audio or video file")),
    (0, b"fLaC", N_("an audio file")),
    (0, b"\x1a\x45\xdf\xa3", N_("a video file")),
    (0, b"7z\xbc\xaf\x27\x1c", N_("a 7-Zip archive")),
    (0, b"Rar!\x1a\x07", N_("a RAR archive")),
    (0, b"\x1f\x8b", N_("a gzip archive")),
    (0, b"\xfd7zXZ\x00", N_("an xz archive")),
    (0, b"\x28\xb5\x2f\xfd", N_("a zstd archive")),
    (4, b"1AY&SY", N_("a bzip2 archive")),
    (257, b"ustar", N_("a tar archive")),
    (0, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", N_("an old-format or password-protected Office file")),
    (0, b"SQLite format 3\x00", N_("an SQLite database")),
    (0, b"{\\rtf", N_("an RTF document")),
)
TEXT_MAGICS = (b"#!", b"{\\rtf")
OOXML_PARTS = {
    "word/document.xml": FileKind.docx,
    "ppt/presentation.xml": FileKind.pptx,
    "xl/workbook.xml": FileKind.xlsx,
}
OOXML_SAVE_AS = {FileKind.docx: ".docx", FileKind.pptx: ".pptx", FileKind.xlsx: ".xlsx"}
# Control characters other than tab, newline, form feed and carriage return: text has almost none.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
MARKDOWN = re.compile(
    r"^ {0,3}#{1,6}[ \t]+\S"  # heading
    r"|\[[^\]\n]+\]\([^)\s]+\)"  # link
    r"|^ {0,3}(?:```|~~~)"  # fenced code
    r"|^ {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S.*\n {0,3}(?:[-*+]|\d{1,3}[.)])[ \t]+\S",  # a list of 2+ items
    re.MULTILINE,
)
CHUNK = 1 << 20


def sniff(path: Path, filename: str) -> FileKind:
    """The kind of the file at `path`, judged by its content; `filename` only tells Markdown from plain text."""
    with path.open("rb") as f:
        head = f.read(4096)
    if not head:
        raise UnsupportedFileType(N_("The file is empty."))
    if head.startswith(b"%PDF-"):
        return FileKind.pdf
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(path)
    for offset, magic, what in SIGNATURES:
        # A printable magic ("MZ", "ID3") could begin a sentence: binary formats also hold NUL bytes early on.
        if head[offset : offset + len(magic)] == magic and (
            magic in TEXT_MAGICS or b"\x00" in head or not _printable(magic)
        ):
            raise UnsupportedFileType(LOOKS_LIKE, what=what, accepted=ACCEPTED)
    # PDF readers find the header anywhere in the first 1024 bytes (after whitespace or junk); so must we,
    # or a real PDF would be taken for text and a marked one served unstamped. Checked after the program
    # signatures, so a program with "%PDF-" inside is still refused.
    if b"%PDF-" in head[:PDF_HEADER_WINDOW]:
        return FileKind.pdf
    if head.lstrip().lower().startswith((b"<svg", b"<?xml")) and b"<svg" in head.lower():
        raise UnsupportedFileType(LOOKS_LIKE, what=N_("an SVG image"), accepted=ACCEPTED)
    sample = _check_text(path)
    if filename.lower().endswith((".md", ".markdown")) or MARKDOWN.search(sample):
        return FileKind.markdown
    return FileKind.text


# Limits on what an Office archive may unpack to. The upload limit bounds the compressed size only; these
# refuse a "bomb" (a small file with tens of MiB of repeated XML) before any library unpacks it. Real
# documents stay well within them: their XML compresses some 5-20 times, and images do not compress.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024  # all members together
MAX_MEMBER_BYTES = 32 * 1024 * 1024  # any one member
MAX_RATIO = 100  # uncompressed / compressed, for members big enough to matter
RATIO_CHECKED_FROM = 1024 * 1024
PDF_HEADER_WINDOW = 1024


def _printable(magic: bytes) -> bool:
    return all(32 <= byte < 127 for byte in magic)


def _sniff_zip(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            _check_unpacked_sizes(archive)
            types = b""
            if "[Content_Types].xml" in names:
                with archive.open("[Content_Types].xml") as member:
                    types = member.read(1 << 20)  # bounded: a crafted archive may inflate to gigabytes
    except UnsupportedFileType:
        raise
    except Exception as exc:  # bad headers, encrypted or unknown compression: all just "not usable"
        raise UnsupportedFileType(N_("This looks like a damaged ZIP archive.")) from exc
    kinds = [kind for part, kind in OOXML_PARTS.items() if part in names]
    if not types or len(kinds) != 1:
        if "mimetype" in names:
            raise UnsupportedFileType(LOOKS_LIKE, what=N_("an OpenDocument or e-book file"), accepted=ACCEPTED)
        raise UnsupportedFileType(LOOKS_LIKE, what=N_("a ZIP archive"), accepted=ACCEPTED)
    kind = kinds[0]
    # Macros run code on the reader's machine; the plain formats cannot hold them.
    if b"macroEnabled" in types or any(name.lower().endswith("vbaproject.bin") for name in names):
        raise UnsupportedFileType(
            N_("This is a macro-enabled Office file. Save it without macros as %(extension)s and upload that."),
            extension=OOXML_SAVE_AS[kind],
        )
    return kind


def _check_unpacked_sizes(archive: zipfile.ZipFile) -> None:
    """Refuses archives that would inflate hugely, judged from the sizes the archive declares.

    zipfile itself stops reading a member at its declared size, so a member cannot lie its way past this.
    """
    total = 0
    for info in archive.infolist():
        total += info.file_size
        too_big = info.file_size > MAX_MEMBER_BYTES or total > MAX_UNPACKED_BYTES
        packed = max(info.compress_size, 1)
        if too_big or (info.file_size >= RATIO_CHECKED_FROM and info.file_size / packed > MAX_RATIO):
            raise UnsupportedFileType(N_("This file unpacks to far more data than a document holds."))


def _check_text(path: Path) -> str:
    """Decode the whole file as UTF-8 (a BOM allowed), in chunks; return the start for the Markdown test."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    sample, chars, controls = "", 0, 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                text = decoder.decode(chunk)
                if "\x00" in text:
                    raise UnsupportedFileType(LOOKS_LIKE, what=BINARY, accepted=ACCEPTED)
                chars += len(text)
                controls += len(CONTROL.findall(text))
                if len(sample) < 65536:
                    sample += text[: 65536 - len(sample)]
            decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise UnsupportedFileType(
            N_("This is not a supported file (text must be UTF-8). Upload %(accepted)s."), accepted=ACCEPTED
        ) from exc
    if controls > max(8, chars // 1000):
        raise UnsupportedFileType(LOOKS_LIKE, what=BINARY, accepted=ACCEPTED)
    return sample


# Characters that make trouble in file systems, shells or headers; replaced so the name still reads.
UNSAFE_CHARS = re.compile(r'[<>:"|?*\\/]')
MAX_NAME = 150


def safe_filename(name: str) -> str:
    """A name safe to store and to show, close to what the person uploaded ("報告書 v2.pdf" stays)."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    # Control and format characters (bidi overrides can disguise ".exe" as ".pdf") become spaces.
    name = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in name)
    name = UNSAFE_CHARS.sub("_", " ".join(name.split()))
    name = re.sub(r"\.{2,}", ".", name).strip(" .")  # no "..", no hidden files, no trailing dot
    if not name:
        return "document"
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem or len(ext) > 16:
        stem, ext = name, ""
    ext = f".{ext}" if ext else ""
    if len(stem) + len(ext) > MAX_NAME:
        stem = stem[: MAX_NAME - len(ext)].rstrip(" .")
    return f"{stem}{ext}"


def content_disposition(filename: str, inline: bool = False) -> str:
    """A Content-Disposition value for any name: an ASCII fallback plus the exact UTF-8 name (RFC 6266)."""
    name = "".join(ch for ch in filename if unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp")) or "document"
    fallback = (
        "".join(ch if " " <= ch < "\x7f" else "_" for ch in name).replace('"', "").replace("\\", "") or "document"
    )
    encoded = quote(name, safe="!#$&+-.^_`|~")
    return f"{'inline' if inline else 'attachment'}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
