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

import re
from collections.abc import Sequence
from typing import BinaryIO

from app.documents.formats import FileKind
from app.documents.stamps.common import StampFailed
from app.documents.stamps.office import stamp_docx, stamp_pptx, stamp_xlsx
from app.documents.stamps.pdf import stamp_pdf
from app.documents.stamps.text import stamp_text

__all__ = ["StampFailed", "stamp", "watermark_pdf"]


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
    See app.documents.stamps (pdf, office, text) for what each format gets.
    """
    text = [clean for line in lines if (clean := _clean(line))]
    if not text:
        raise ValueError("a stamp needs at least one line of text")
    match kind:
        case FileKind.pdf:
            data = stamp_pdf(source, text)
        case FileKind.docx:
            data = stamp_docx(source, text)
        case FileKind.pptx:
            data = stamp_pptx(source, text)
        case FileKind.xlsx:
            data = stamp_xlsx(source, text)
        case FileKind.markdown:
            return stamp_text(source, text, markdown=True, out=out)
        case FileKind.text:
            return stamp_text(source, text, markdown=False, out=out)
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


def _clean(line: str) -> str:
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", line).split())
