"""A document's text, per format: paragraphs separated by blank lines, what search and the redline use.

Run only in the sandbox: app.documents.extraction starts `python -m app.documents.readers KIND PATH MAX_CHARS
MEMORY_BYTES CPU_SECONDS` as a separate process, which limits itself before it opens the file and answers one JSON
object on stdout. A crafted file may take much memory or time; it takes them from that process, not the web one.
"""

from __future__ import annotations

import codecs
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from app.documents.formats import FileKind

__all__ = ["MAX_TEXT_CHARS", "ExtractionFailed", "extract_text"]

# The text kept for search and redlines; a longer text is cut there, with a note saying so.
MAX_TEXT_CHARS = 2_000_000
TRUNCATION_NOTE = "\n\n[Text truncated: only the first 2 MB of text is kept for search and comparison.]"


class ExtractionFailed(Exception):
    """The file has the right kind but its text could not be read (damaged, encrypted)."""


def extract_text(path: Path, kind: FileKind, max_chars: int = MAX_TEXT_CHARS) -> str:
    """The document's text, paragraphs separated by blank lines (what the redline compares).

    At most `max_chars` characters, then a note that the rest was cut. Run it in the sandbox
    (app.documents.extraction), never in the web process: a crafted file may take much memory or time.
    """
    try:
        match kind:
            case FileKind.pdf:
                text = _pdf_text(path, max_chars)
            case FileKind.docx:
                text = _docx_text(path)
            case FileKind.pptx:
                text = _pptx_text(path)
            case FileKind.xlsx:
                text = _xlsx_text(path)
            case _:
                text = _plain_text(path, max_chars)
    except (ExtractionFailed, MemoryError):  # MemoryError: the sandbox reports it as such, not as "damaged"
        raise
    except UnicodeDecodeError as exc:
        raise ExtractionFailed("The text is not valid UTF-8.") from exc
    except Exception as exc:  # each library has its own errors; callers need one, without internals
        raise ExtractionFailed(f"The {kind.name.upper()} file could not be read; it may be damaged.") from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if len(text) > max_chars:
        text = text[:max_chars] + TRUNCATION_NOTE
    return text


def _plain_text(path: Path, max_chars: int) -> str:
    # Never more than the text kept (plus one character, so the cut is noticed), however big the file.
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    with path.open("rb") as f:
        return decoder.decode(f.read(max_chars * 4 + 4))


def _pdf_text(path: Path, max_chars: int = MAX_TEXT_CHARS) -> str:
    from pypdf import PdfReader  # late: the libraries are only loaded when a document is read

    reader = PdfReader(path)
    if reader.is_encrypted and not reader.decrypt(""):
        raise ExtractionFailed("The PDF is password-protected.")
    if not reader.pages:  # pypdf reads some damaged files leniently as having no pages
        raise ExtractionFailed("The PDF has no readable pages; it may be damaged.")
    pages: list[str] = []
    length = 0
    for page in reader.pages:
        if length > max_chars:  # enough text kept: the rest of a long PDF is not read at all
            break
        if text := page.extract_text().strip():
            pages.append(text)
            length += len(text) + 2
    return "\n\n".join(pages)


def _docx_text(path: Path) -> str:
    from docx import Document
    from docx.table import Table

    blocks: list[str] = []
    for item in Document(str(path)).iter_inner_content():
        if isinstance(item, Table):
            # One paragraph per row, so a changed cell shows as one changed row in the redline.
            blocks.extend(_row_text(row.cells) for row in item.rows)
        else:
            blocks.append(item.text)
    return _join(blocks)


def _row_text(cells: list[Any]) -> str:
    unique: list[Any] = []
    for cell in cells:
        if not unique or cell._tc is not unique[-1]._tc:  # a merged cell comes once per grid column it spans
            unique.append(cell)
    return "\t".join(" ".join(p.text for p in cell.paragraphs if p.text) for cell in unique)


def _pptx_text(path: Path) -> str:
    from pptx import Presentation

    slides = []
    for slide in Presentation(str(path)).slides:
        slides.append("\n".join(line for shape in slide.shapes for line in _shape_lines(shape) if line.strip()))
    return _join(slides)


def _shape_lines(shape: Any) -> list[str]:
    if getattr(shape, "shapes", None) is not None:  # a group: its children, in order
        return [line for child in shape.shapes for line in _shape_lines(child)]
    if getattr(shape, "has_text_frame", False):
        return [p.text for p in shape.text_frame.paragraphs]
    if getattr(shape, "has_table", False):
        return ["\t".join(" ".join(cell.text.split()) for cell in row.cells) for row in shape.table.rows]
    return []


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        blocks: list[str] = []
        for sheet in workbook.worksheets:
            blocks.append(f"# {sheet.title}")
            # One paragraph per row: see _docx_text.
            for row in sheet.iter_rows(values_only=True):
                if any(v is not None and v != "" for v in row):
                    blocks.append("\t".join(_cell(v) for v in row).rstrip("\t"))
        return _join(blocks)
    finally:
        workbook.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).replace("\n", " ")


def _join(blocks: list[str]) -> str:
    return "\n\n".join(b.strip() for b in blocks if b.strip())


# The sandboxed extractor ---------------------------------------------------------------------------------------
# See the module's docstring: the process app.documents.extraction starts.

EXIT_OUT_OF_MEMORY = 4
NEAR_LIMIT_BYTES = 24 * 1024 * 1024


def _peak_address_space() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def sandbox_main(argv: list[str]) -> int:
    import json
    import resource
    import sys

    kind, path, max_chars, memory, cpu = FileKind(argv[0]), Path(argv[1]), int(argv[2]), int(argv[3]), int(argv[4])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU at the soft limit, SIGKILL at the hard one
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # reads only: no parser writes a file
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    try:
        answer = {"text": extract_text(path, kind, max_chars)}
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    except ExtractionFailed as exc:
        # Parsers report a failed allocation in their own words (lxml: "unknown error"); a library error
        # after the address space came near its limit is the limit, not a damaged file.
        if exc.__cause__ is not None and _peak_address_space() > memory - NEAR_LIMIT_BYTES:
            return EXIT_OUT_OF_MEMORY
        answer = {"error": str(exc)}
    try:
        sys.stdout.write(json.dumps(answer))
        sys.stdout.flush()
    except MemoryError:
        return EXIT_OUT_OF_MEMORY
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(sandbox_main(sys.argv[1:]))
