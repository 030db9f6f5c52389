"""The few real files the seeded document versions point at, and storing them where the bench server reads.

Storage is content-addressed (the key is the sha256 of the bytes), so 20,000 versions can share a handful of
stored objects. Every file is generated here, byte for byte the same on every run (reportlab's `invariant`
mode leaves out the creation time and the random document id), so its sha256 can be part of the dataset's
fingerprint and a reused database always finds its files.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from app.documents.formats import FileKind
from app.storage import LocalStorage

REPORT_PAGES = 100  # the controlled documents' file: what a watermarked download stamps
SLIDES_PAGES = 4


@dataclass(frozen=True)
class BenchFile:
    name: str  # e.g. "report-v1": the file of the versions numbered 1 of report-like documents
    extension: str
    kind: FileKind
    data: bytes

    @property
    def sha256(self) -> str:
        return sha256(self.data).hexdigest()

    @property
    def size(self) -> int:
        return len(self.data)

    @property
    def content_type(self) -> str:
        return self.kind.content_type


def _pdf(title: str, pages: int, revision: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(title)
    for page in range(1, pages + 1):
        pdf.setFont("Helvetica-Bold", 14)
        pdf.drawString(60, 800, f"{title} (revision {revision})")
        pdf.setFont("Helvetica", 10)
        for line in range(1, 46):
            pdf.drawString(
                60, 780 - line * 16, f"Page {page}, line {line}: the parties review supply chains and export controls."
            )
        pdf.drawString(290, 30, str(page))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _note(revision: int) -> bytes:
    lines = [f"Meeting note, revision {revision}", ""]
    lines += [
        f"{n}. The delegations exchanged views on item {n} and agreed to follow up in writing." for n in range(1, 31)
    ]
    if revision > 1:
        lines.append("Corrections from the delegations were added in this revision.")
    return ("\n".join(lines) + "\n").encode()


def _brief(revision: int) -> bytes:
    lines = [f"# Policy brief (revision {revision})", "", "## Summary", ""]
    lines += [
        f"- Point {n}: align standards and share risk assessments across the four countries." for n in range(1, 21)
    ]
    lines += ["", "## Next steps", "", "The working group reviews this brief at its next meeting.", ""]
    return "\n".join(lines).encode()


@cache
def bench_files() -> Mapping[str, BenchFile]:
    """Two revisions of each: a plain-text note, a Markdown brief, a short PDF and a 100-page PDF report."""
    files: dict[str, BenchFile] = {}
    for revision in (1, 2):
        for base, extension, kind, data in (
            ("note", "txt", FileKind.text, _note(revision)),
            ("brief", "md", FileKind.markdown, _brief(revision)),
            ("slides", "pdf", FileKind.pdf, _pdf("Working group slides", SLIDES_PAGES, revision)),
            ("report", "pdf", FileKind.pdf, _pdf("Technical report", REPORT_PAGES, revision)),
        ):
            name = f"{base}-v{revision}"
            files[name] = BenchFile(name=name, extension=extension, kind=kind, data=data)
    return files


def file_digests() -> dict[str, str]:
    return {name: file.sha256 for name, file in bench_files().items()}


def storage_root(data_dir: Path) -> Path:
    """Where the app keeps files under its data folder (`storage_from_settings`: `<QUAD_DATA_DIR>/files`)."""
    return data_dir / "files"


def store_files(data_dir: Path) -> int:
    """Stores every bench file through the app's own LocalStorage; idempotent. Returns how many were new."""
    storage = LocalStorage(storage_root(data_dir))
    created = 0
    for file in bench_files().values():
        staged = storage.stage(io.BytesIO(file.data), max_bytes=file.size)
        try:
            if staged.sha256 != file.sha256:
                raise RuntimeError(f"staging {file.name} gave sha256 {staged.sha256}, expected {file.sha256}")
            created += storage.save(staged)
        finally:
            storage.discard(staged)
    return created


def remove_files(data_dir: Path) -> None:
    shutil.rmtree(storage_root(data_dir), ignore_errors=True)
