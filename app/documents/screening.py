"""The export-control screening list: which controlled technologies a document's text talks about.

A controlled document must never sit unmarked by mistake. The screening list (a TOML file: the shipped
screening.toml, or QUAD_SCREENING_FILE) names categories of controlled technology and the terms that point
to them, in English and Japanese; `screen()` finds them in a text so the platform can ask for a marking.

Matching, after NFKC normalisation of text and terms (full-width "ＥＵＶ" and half-width "ｽﾊﾟｲｳｪｱ" read as
"EUV" and "スパイウェア"), always case-insensitive:
- English terms match whole words: not next to an ASCII letter or digit, so "EUV" is not found in
  "EUVX" but is in "EUV-based" or "EUV露光". Spaces and hyphens inside a term match any run of spaces,
  line breaks and hyphens ("gain-of-function" finds "gain of function"), and a plural "s"/"es" may follow.
- Japanese terms match anywhere: Japanese has no spaces between words.
Where terms overlap, the longest wins ("real-time location tracking" counts once, not also as "location
tracking"). All terms of a language are compiled into one regular expression shaped as a trie
(alternatives share their prefixes, no nested repetition), so the time is linear in the text and grows
little with the list: 0.3 to 0.6 s for 2 MB of mixed English and Japanese on the 2-core development
machine (bench/screening_bench.py).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from app.documents.models import ControlCategory

__all__ = [
    "FoundTerm",
    "ScreeningCategory",
    "ScreeningList",
    "ScreeningListError",
    "ScreeningMatch",
    "load_screening_list",
    "screen",
]

DEFAULT_FILE = "screening.toml"
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
CATEGORY_FIELDS = {"label_en": str, "label_ja": str, "terms_en": list, "terms_ja": list}
MAX_TERM = 200
# Inside an English term, any run of these stands for a space or hyphen (NFKC keeps U+2010 to U+2015 dashes).
SEPARATOR = r"[\s\-\u2010-\u2015]+"
SEPARATORS = re.compile(SEPARATOR)
WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")  # the text is lower-cased before matching


class ScreeningListError(ValueError):
    """The screening list file is unusable; the message names the file and the problem."""


@dataclass(frozen=True)
class ScreeningCategory:
    """One category of the list: its key (a ControlCategory value when `control_category` is set) and terms."""

    key: str
    label_en: str
    label_ja: str
    terms_en: tuple[str, ...]
    terms_ja: tuple[str, ...]

    @property
    def control_category(self) -> ControlCategory | None:
        """The document marking this category stands for, or None for a category of the list's own."""
        try:
            return ControlCategory(self.key)
        except ValueError:
            return None


@dataclass(frozen=True)
class FoundTerm:
    term: str  # as the list spells it (NFKC-normalised), not as the text did
    count: int


@dataclass(frozen=True)
class ScreeningMatch:
    """A category found in a text: its terms, each once, in order of first appearance, with how often."""

    category: ScreeningCategory
    terms: tuple[FoundTerm, ...]

    @property
    def count(self) -> int:
        return sum(found.count for found in self.terms)


@dataclass(frozen=True)
class ScreeningList:
    """A validated list with its terms compiled; build it with load_screening_list, share it freely."""

    categories: tuple[ScreeningCategory, ...]
    source: str
    _english: re.Pattern[str] | None = field(repr=False, compare=False)
    _japanese: re.Pattern[str] | None = field(repr=False, compare=False)
    # The normalised form of a matched text -> (category index, term as listed), for each category using it.
    _owners: Mapping[str, tuple[tuple[int, str], ...]] = field(repr=False, compare=False)


def load_screening_list(path: Path | None = None) -> ScreeningList:
    """The screening list in the TOML file at `path`, validated and compiled; None loads the shipped default.

    Call it once at start (`load_screening_list(settings.screening_file)`) and keep the result: compiling
    takes a few milliseconds, screening with it is then fast and thread-safe. The file holds one table per
    category, `[categories.<key>]`, with `label_en`, `label_ja` (strings) and `terms_en`, `terms_ja` (lists
    of strings, together not empty); see app/documents/screening.toml. Raises ScreeningListError naming the
    file and the problem: unreadable file, bad TOML, a bad key, a missing, unknown or mistyped field, a
    category without terms, an empty or overlong term.
    """
    if path is None:
        source = f"the default list ({DEFAULT_FILE})"
        raw = resources.files("app.documents").joinpath(DEFAULT_FILE).read_bytes()
    else:
        source = str(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ScreeningListError(f"screening list {source}: cannot be read ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ScreeningListError(f"screening list {source}: not valid TOML ({exc})") from exc
    categories = _categories(data, source)
    return _compile(categories, source)


def screen(text: str, screening_list: ScreeningList) -> list[ScreeningMatch]:
    """The categories of `screening_list` whose terms occur in `text`, in order of first appearance.

    Call it as `screen(extracted_text, screening_list)`; an empty list means nothing was found. Each match
    names its category and the terms found in it (each once, in order of first appearance, with a count).
    A term listed in two categories counts for both. Linear in the length of the text.
    """
    # Lower case here rather than re.IGNORECASE: literal branches stay literal, which re checks far faster.
    normalised = unicodedata.normalize("NFKC", text).lower()
    # (start, end, category index, term) for every hit; where an English and a Japanese term overlap
    # ("EUV" and "EUV露光"), the one starting first, then the longer, wins, as within one language.
    hits: list[tuple[int, int, int, str]] = []
    for pattern in (screening_list._english, screening_list._japanese):
        if pattern is None:
            continue
        for found in _matches(pattern, normalised, whole_words=pattern is screening_list._english):
            for index, term in screening_list._owners.get(_key(found.group(1)), ()):
                hits.append((found.start(), found.end(1), index, term))
    hits.sort(key=lambda hit: (hit[0], -hit[1]))
    kept: list[tuple[int, str]] = []
    last: tuple[int, int] = (-1, -1)  # the span of the last kept match; one term in two categories shares it
    for start, end, index, term in hits:
        if (start, end) != last and start < last[1]:
            continue
        kept.append((index, term))
        last = (start, end)
    counts: dict[int, dict[str, int]] = {}  # dicts keep insertion order: first appearance
    for index, term in kept:
        terms = counts.setdefault(index, {})
        terms[term] = terms.get(term, 0) + 1
    return [
        ScreeningMatch(
            category=screening_list.categories[index],
            terms=tuple(FoundTerm(term=term, count=count) for term, count in terms.items()),
        )
        for index, terms in counts.items()
    ]


def _matches(pattern: re.Pattern[str], text: str, *, whole_words: bool) -> Iterator[re.Match[str]]:
    # The start of a word is checked here, not by a look-behind in the pattern: a pattern that starts with
    # its terms' first letters lets re skip ahead to a possible first letter in C, several times faster.
    position = 0
    while found := pattern.search(text, position):
        start = found.start()
        if whole_words and start and text[start - 1] in WORD_CHARS:
            position = start + 1  # inside a word: a term may still start further on, even within this match
            continue
        yield found
        position = max(found.end(), start + 1)


# Validation --------------------------------------------------------------------------------------------------


def _categories(data: dict[str, Any], source: str) -> list[ScreeningCategory]:
    def fail(problem: str) -> ScreeningListError:
        return ScreeningListError(f"screening list {source}: {problem}")

    unknown = sorted(set(data) - {"categories"})
    if unknown:
        raise fail(f"unknown top-level key {unknown[0]!r} (only [categories.<key>] tables are allowed)")
    tables = data.get("categories")
    if not isinstance(tables, dict) or not tables:
        raise fail("no categories (add at least one [categories.<key>] table)")
    categories = []
    for key, table in tables.items():
        where = f"category {key!r}"
        if not KEY.match(key):
            raise fail(f"{where}: the key must be lower-case letters, digits, '-' or '_' (up to 64)")
        if not isinstance(table, dict):
            raise fail(f"{where} must be a table, not {_type_name(table)}")
        for name in table:
            if name not in CATEGORY_FIELDS:
                raise fail(f"{where}: unknown field {name!r} (expected {', '.join(CATEGORY_FIELDS)})")
        for name, expected in CATEGORY_FIELDS.items():
            if name not in table:
                raise fail(f"{where}: missing field {name!r}")
            if not isinstance(table[name], expected):
                wanted = "a string" if expected is str else "a list of strings"
                raise fail(f"{where}: {name!r} must be {wanted}, not {_type_name(table[name])}")
        for name in ("label_en", "label_ja"):
            if not table[name].strip():
                raise fail(f"{where}: {name!r} is empty")
        terms = {name: _terms(table[name], f"{where}: {name!r}", fail) for name in ("terms_en", "terms_ja")}
        if not terms["terms_en"] and not terms["terms_ja"]:
            raise fail(f"{where} has no terms (give terms_en or terms_ja at least one)")
        categories.append(
            ScreeningCategory(
                key=key,
                label_en=table["label_en"].strip(),
                label_ja=table["label_ja"].strip(),
                terms_en=terms["terms_en"],
                terms_ja=terms["terms_ja"],
            )
        )
    return categories


def _terms(values: list[Any], where: str, fail: Any) -> tuple[str, ...]:
    terms: dict[str, None] = {}  # ordered, without repeats
    for position, value in enumerate(values, start=1):
        if not isinstance(value, str):
            raise fail(f"{where}: term {position} must be a string, not {_type_name(value)}")
        term = " ".join(unicodedata.normalize("NFKC", value).split())
        if not term:
            raise fail(f"{where}: term {position} is empty")
        if len(term) > MAX_TERM:
            raise fail(f"{where}: term {position} is longer than {MAX_TERM} characters")
        terms[term] = None
    return tuple(terms)


def _type_name(value: object) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false", list: "a list", dict: "a table"}
    return names.get(type(value), type(value).__name__)


# Compilation -------------------------------------------------------------------------------------------------


def _compile(categories: list[ScreeningCategory], source: str) -> ScreeningList:
    owners: dict[str, list[tuple[int, str]]] = {}
    english: list[str] = []
    japanese: list[str] = []
    for index, category in enumerate(categories):
        for terms, bucket in ((category.terms_en, english), (category.terms_ja, japanese)):
            for term in terms:
                key = _key(term)
                if key not in owners:  # a term in both languages' lists keeps the first one's way of matching
                    bucket.append(key)
                if (index, term) not in owners.setdefault(key, []):
                    owners[key].append((index, term))
    return ScreeningList(
        categories=tuple(categories),
        source=source,
        # The term is group 1; the plural ending and the end of the word are outside it (see _matches for its start).
        _english=_pattern(english, "(", ")(?:e?s)?(?![a-z0-9])"),
        _japanese=_pattern(japanese, "(", ")"),
        _owners={key: tuple(value) for key, value in owners.items()},
    )


def _key(text: str) -> str:
    """How a term and a matched text are compared: lower case, separators as one space."""
    return SEPARATORS.sub(" ", text.lower()).strip()


def _pattern(keys: list[str], before: str, after: str) -> re.Pattern[str] | None:
    if not keys:
        return None
    trie: dict[str, Any] = {}
    for key in keys:
        node = trie
        for token in key:
            node = node.setdefault(token, {})
        node[""] = {}  # the end of a term
    return re.compile(before + _trie_regex(trie) + after)


def _trie_regex(node: dict[str, Any]) -> str:
    """A regular expression for the terms below `node`: alternatives share prefixes, so each position of the
    text costs a step or two, not one attempt per term. Longer terms are tried first (greedy `?`)."""
    ends = "" in node
    branches = [_token(token) + _trie_regex(child) for token, child in sorted(node.items()) if token]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    if ends:
        return f"(?:{body})?"
    return body


def _token(char: str) -> str:
    return SEPARATOR if char == " " else re.escape(char)


# The list in force in this process: set once at start from the settings (create_app), read by the extraction
# that screens each upload. Every instance loads the same file, so nothing here needs sharing.
_active: ScreeningList | None = None


def configure(path: Path | None) -> ScreeningList:
    """Loads and keeps the list for this process; raises ScreeningListError at start when the file is bad."""
    global _active
    _active = load_screening_list(path)
    return _active


def active_list() -> ScreeningList:
    """The configured list, or the shipped default when nothing configured one (the CLI, scripts)."""
    return _active if _active is not None else configure(None)


def as_record(matches: list[ScreeningMatch]) -> list[dict[str, object]]:
    """The findings as stored with a version and shown on pages and in the API."""
    return [
        {
            "category": match.category.key,
            "label_en": match.category.label_en,
            "label_ja": match.category.label_ja,
            "terms": [{"term": found.term, "count": found.count} for found in match.terms],
        }
        for match in matches
    ]
