"""Redline between two versions' texts: paragraphs first, then words inside each changed paragraph."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import groupby, pairwise
from typing import Literal

__all__ = ["Block", "Elided", "Redline", "Segment", "collapse", "compare"]


@dataclass(frozen=True)
class Segment:
    kind: Literal["same", "added", "removed"]
    text: str


@dataclass(frozen=True)
class Block:
    kind: Literal["same", "added", "removed", "changed"]
    old: str | None
    new: str | None
    segments: tuple[Segment, ...]


@dataclass(frozen=True)
class Redline:
    blocks: tuple[Block, ...]
    added_words: int
    removed_words: int
    changed_paragraphs: int


@dataclass(frozen=True)
class Elided:
    """A run of unchanged paragraphs left out of the page."""

    count: int


PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n\s*")
# Japanese and Chinese have no spaces, so each of their characters is a word of its own.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af\U00020000-\U0003134f"
# A token carries the whitespace after it: half as many tokens, and no ubiquitous " " token to slow difflib.
TOKEN = re.compile(rf"(?:[{CJK}]|[^\W{CJK}]+|[^\w\s]+|^)\s*")
WORD = re.compile(rf"[{CJK}]|[^\W{CJK}]+")
# difflib's "popular element" heuristic (autojunk) keeps long sequences fast but makes diffs coarser: it is on
# for paragraphs (thousands, mostly unique) and for very long paragraphs, off for ordinary ones (exact diffs).
EXACT_WORD_DIFF = 2000
# Share of word pairs two paragraphs must have in common to be shown as one changed paragraph.
RELATED = 0.25


def compare(old: str, new: str) -> Redline:
    """Paragraph-level diff of `old` and `new`, with word-level segments inside changed paragraphs."""
    old_paras, new_paras = _paragraphs(old), _paragraphs(new)
    old_keys, new_keys = [_key(p) for p in old_paras], [_key(p) for p in new_paras]
    blocks: list[Block] = []
    for tag, i1, i2, j1, j2 in _opcodes(old_keys, new_keys, autojunk=True):
        if tag == "equal":
            blocks.extend(
                Block("same", o, n, (Segment("same", n),))
                for o, n in zip(old_paras[i1:i2], new_paras[j1:j2], strict=True)
            )
            continue
        pairs = min(i2 - i1, j2 - j1)
        for o, n in zip(old_paras[i1 : i1 + pairs], new_paras[j1 : j1 + pairs], strict=True):
            # difflib leaves frequent paragraphs unmatched (its speed heuristic); equal ones stay "same".
            blocks.extend([Block("same", o, n, (Segment("same", n),))] if _key(o) == _key(n) else _changed(o, n))
        blocks.extend(_removed(o) for o in old_paras[i1 + pairs : i2])
        blocks.extend(_added(n) for n in new_paras[j1 + pairs : j2])
    added = sum(_words(s.text) for b in blocks for s in b.segments if s.kind == "added")
    removed = sum(_words(s.text) for b in blocks for s in b.segments if s.kind == "removed")
    changed = sum(b.kind == "changed" for b in blocks)
    return Redline(tuple(blocks), added, removed, changed)


def collapse(redline: Redline, context: int = 2) -> list[Block | Elided]:
    """The blocks with long unchanged runs replaced by Elided, keeping `context` paragraphs around each change."""
    out: list[Block | Elided] = []
    blocks = redline.blocks
    i = 0
    while i < len(blocks):
        if blocks[i].kind != "same":
            out.append(blocks[i])
            i += 1
            continue
        j = i
        while j < len(blocks) and blocks[j].kind == "same":
            j += 1
        head = context if i > 0 else 0  # context after a change before this run
        tail = context if j < len(blocks) else 0  # context before a change after it
        if j - i > head + tail + 1:  # hiding a single paragraph would not shorten the page
            out.extend(blocks[i : i + head])
            out.append(Elided(j - i - head - tail))
            out.extend(blocks[j - tail : j])
        else:
            out.extend(blocks[i:j])
        i = j
    return out


def _paragraphs(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p for p in (part.strip("\n") for part in PARAGRAPH_BREAK.split(text)) if p.strip()]


def _key(paragraph: str) -> str:
    return " ".join(paragraph.split())


def _opcodes(a: Sequence[str], b: Sequence[str], *, autojunk: bool) -> list[tuple[str, int, int, int, int]]:
    """SequenceMatcher opcodes, with the common head and tail matched first (cheap, and most of a new version)."""
    head = 0
    while head < len(a) and head < len(b) and a[head] == b[head]:
        head += 1
    tail = 0
    while tail < len(a) - head and tail < len(b) - head and a[-1 - tail] == b[-1 - tail]:
        tail += 1
    ops: list[tuple[str, int, int, int, int]] = []
    if head:
        ops.append(("equal", 0, head, 0, head))
    matcher = SequenceMatcher(None, a[head : len(a) - tail], b[head : len(b) - tail], autojunk=autojunk)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i1 != i2 or j1 != j2:
            ops.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        ops.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return ops


def _changed(old: str, new: str) -> list[Block]:
    """One changed block with word segments, or removed + added blocks when the two are not one edited paragraph."""
    if not _related(old, new):
        return [_removed(old), _added(new)]
    a, b = _tokens(old), _tokens(new)
    # Words are compared without the whitespace they carry; a whitespace change is shown on its own below.
    a_keys, b_keys = [t.rstrip() for t in a], [t.rstrip() for t in b]
    pieces: list[tuple[Literal["same", "added", "removed"], str]] = []
    shared = False
    ops = _opcodes(a_keys, b_keys, autojunk=len(a) + len(b) > EXACT_WORD_DIFF)
    for tag, i1, i2, j1, j2 in ops:
        if tag != "equal":
            pieces += [("removed", "".join(a[i1:i2])), ("added", "".join(b[j1:j2]))]
            continue
        shared = shared or any(WORD.match(t) for t in a_keys[i1:i2])
        if (same := "".join(a[i1:i2])) == "".join(b[j1:j2]):
            pieces.append(("same", same))
            continue
        for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
            word = x.rstrip()  # == y.rstrip(): only the whitespace after it differs, if anything
            pieces += (
                [("same", x)] if x == y else [("same", word), ("removed", x[len(word) :]), ("added", y[len(word) :])]
            )
    if not shared:
        return [_removed(old), _added(new)]
    return [Block("changed", old, new, _segments(pieces))]


def _segments(pieces: list[tuple[Literal["same", "added", "removed"], str]]) -> tuple[Segment, ...]:
    """Each run of changes as one removed and one added segment, like a replaced word; same runs merged."""
    runs: list[tuple[Literal["same", "added", "removed"], str]] = []
    for is_same, run in groupby(pieces, key=lambda piece: piece[0] == "same"):
        group = list(run)
        if is_same:
            runs.append(("same", "".join(text for _, text in group)))
            continue
        removed = "".join(text for kind, text in group if kind == "removed")
        added = "".join(text for kind, text in group if kind == "added")
        space = removed[len(removed.rstrip()) :]
        if space and added.endswith(space) and removed.strip() and added.strip():
            # Tokens carry their trailing space; a space both sides keep is not part of the change.
            removed, added = removed[: -len(space)], added[: -len(space)]
        else:
            space = ""
        runs += [("removed", removed), ("added", added), ("same", space)]
    merged: list[Segment] = []
    for kind, text in runs:
        if text and merged and merged[-1].kind == kind:
            merged[-1] = Segment(kind, merged[-1].text + text)
        elif text:
            merged.append(Segment(kind, text))
    return tuple(merged)


def _related(a: str, b: str) -> bool:
    """Whether two paragraphs share enough word pairs to be one edited paragraph (cheap, before the diff).

    Word diffs of unrelated paragraphs are slow (many tiny matches) and unreadable, so they are skipped.
    """
    pa, pb = _word_pairs(a), _word_pairs(b)
    if len(pa) < 4 or len(pb) < 4:  # short paragraphs: let the word diff decide
        return True
    return len(pa & pb) >= RELATED * min(len(pa), len(pb))


def _word_pairs(text: str) -> set[tuple[str, str]]:
    words = WORD.findall(text)
    return set(pairwise(words))


def _tokens(text: str) -> list[str]:
    return [t for t in TOKEN.findall(text) if t]


def _removed(old: str) -> Block:
    return Block("removed", old, None, (Segment("removed", old),))


def _added(new: str) -> Block:
    return Block("added", None, new, (Segment("added", new),))


def _words(text: str) -> int:
    return len(WORD.findall(text))
