"""Timings of the document hot paths: stamping a 100-page PDF and redlining two 5,000-paragraph versions.

Run: .venv/bin/python -m bench.watermark_bench [--runs 20]. Targets: both well under a second on 2 cores.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import time
from collections.abc import Callable

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from app.documents.redline import compare
from app.documents.watermark import watermark_pdf

LINES = ["Downloaded by 山田花子 Hanako Yamada (JP) 2026-11-29 10:31 UTC · CONTROLLED", "EAR99 · release: US, JP"]


def sample_pdf(pages: int) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for page in range(pages):
        pdf.setFont("Helvetica", 10)
        for line in range(45):
            text = f"Page {page + 1}, line {line + 1}: the parties review export controls."
            pdf.drawString(60, 790 - line * 16, text)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def sample_texts(paragraphs: int, seed: int = 7) -> tuple[str, str]:
    """Two versions: every 50th paragraph edited, one in 500 removed, a few inserted."""
    rng = random.Random(seed)  # noqa: S311 - sample text, not secrets
    vocabulary = [f"w{i}" for i in range(3000)]
    weights = [1 / (i + 1) for i in range(3000)]  # Zipf-like, as words in real prose
    old = [" ".join(rng.choices(vocabulary, weights, k=60)) + "." for _ in range(paragraphs)]
    new = [p.replace(" w1 ", " TERM ", 1) if i % 50 == 0 else p for i, p in enumerate(old)]
    for i in range(paragraphs - 1, 0, -500):
        del new[i]
    for i in range(100, paragraphs, 1000):
        new.insert(i, "A new paragraph inserted in this version.")
    return "\n\n".join(old), "\n\n".join(new)


def timed(work: Callable[[], object], runs: int) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    pdf = sample_pdf(100)
    old, new = sample_texts(5000)
    rows = [
        ("watermark_pdf, 100 pages", timed(lambda: watermark_pdf(io.BytesIO(pdf), LINES, io.BytesIO()), args.runs)),
        ("redline.compare, 5,000 paragraphs", timed(lambda: compare(old, new), args.runs)),
    ]
    print(f"{'case':<36} {'min ms':>8} {'median ms':>10}   ({args.runs} runs)")
    for name, (fastest, median) in rows:
        print(f"{name:<36} {fastest * 1000:>8.1f} {median * 1000:>10.1f}")


if __name__ == "__main__":
    main()
