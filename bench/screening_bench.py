"""Timing of the export-control screening: the shipped list over 2 MB of mixed English and Japanese text.

Run: .venv/bin/python -m bench.screening_bench [--runs 5]. Target: well under a second (it is linear in the text).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from app.documents.screening import load_screening_list, screen

ENGLISH = (
    "The parties reviewed the draft principles on resilient and diverse supply chains for critical technologies"
    " and agreed to coordinate on standards before the next meeting of the working group ."
)
JAPANESE = "作業部会 は 重要 技術 の 強靭 で 多様 な 供給網 に 関する 原則 案 を 検討 し 、 次回 会合 で 合意 した 。"
PROSE = [*ENGLISH.split(), *JAPANESE.split()]
TERMS = ["EUV lithography", "massive MIMO", "gain of function", "顔認証", "ｽﾊﾟｲｳｪｱ", "ＩＭＳＩ catcher", "位置追跡"]


def sample_text(size: int, seed: int = 8) -> str:
    """About `size` bytes of UTF-8 prose, one word in a thousand a screening term."""
    rng = random.Random(seed)  # noqa: S311 - sample text, not secrets
    words: list[str] = []
    total = 0
    while total < size:
        word = rng.choice(TERMS) if rng.random() < 0.001 else rng.choice(PROSE)
        words.append(word)
        total += len(word.encode()) + 1
    return " ".join(words)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    screening_list = load_screening_list(None)
    print(f"load and compile the default list: {(time.perf_counter() - start) * 1000:.1f} ms")
    text = sample_text(2_000_000)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        matches = screen(text, screening_list)
        times.append(time.perf_counter() - start)
    found = ", ".join(f"{m.category.key} {m.count}" for m in matches)
    fastest, median = min(times) * 1000, statistics.median(times) * 1000
    print(f"screen 2 MB: min {fastest:.0f} ms, median {median:.0f} ms; found {found}")


if __name__ == "__main__":
    main()
