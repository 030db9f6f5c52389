"""The stamp on Markdown and plain text: the lines above and below the text, set apart from it."""

from __future__ import annotations

import codecs
import re
from typing import BinaryIO

from app.documents.stamps.common import StampFailed

TEXT_RULE = "=" * 72
CHUNK = 1 << 20
# What can start markup inside a line, and what can start a block (heading, list, rule) at its start.
MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>&!|~])")
MARKDOWN_BLOCK_START = re.compile(r"^(\d{1,9})([.)])|^([#+\-=])")


def stamp_text(source: BinaryIO, text: list[str], *, markdown: bool, out: BinaryIO) -> None:
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
