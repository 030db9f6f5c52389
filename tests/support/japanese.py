"""What a Japanese reader sees on a page, and the English words in it.

`visible_text` keeps the text a person reads or hears: element text, and the attributes that are shown or spoken
(title, aria-label, placeholder, alt; data-label, which the small-screen table layout shows through CSS; and
data-copied-text, which copy.js puts on its button). It leaves out scripts and styles, <code> (checksums,
control codes, tokens, commands: machine text, not prose) and any part the page itself marks as another language
(`lang="en"`: the language switcher's "English", the API reference that Swagger UI draws in English).

`english_words` then finds the Latin-script words that are neither in the allow-list below nor in the exact
strings the caller passes (the people, organisations, e-mail addresses and provider names of the test data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from app.web.templating import CAPITAL_TIME_ZONES, TIME_ZONE_CHOICES

SHOWN_ATTRIBUTES = frozenset({"title", "aria-label", "placeholder", "alt", "data-label", "data-copied-text"})
SKIPPED_ELEMENTS = frozenset({"script", "style", "code", "template"})
VOID_ELEMENTS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)

# Words a Japanese page legitimately carries in Latin script, each for a reason:
ALLOWED_WORDS = frozenset(
    {
        # the country codes shown beside a signed-in person's name and on stamped files
        "US",
        "JP",
        "AU",
        "IN",
        # technical names Japanese writes as they are (API トークン, PDF, OpenAPI, RFC 9457, ECCN, Markdown ...)
        "API",
        "ID",
        "PDF",
        "Word",
        "PowerPoint",
        "Excel",
        "Markdown",
        "OpenAPI",
        "JSON",
        "RFC",
        "ECCN",
        "SHA",
        "URL",
        "JavaScript",
        # the calendar file type (.ics) and the calendar programs the feed page names
        "ics",
        "Outlook",
        "Google",
        "Apple",
        # file-size units and the "G" of 5G/6G
        "KB",
        "MB",
        "B",
        "G",
    }
)

# Patterns removed before words are counted: addresses, file names, IANA time-zone names and web addresses.
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"https?://\S+")
_FILE_NAME = re.compile(r"[\w.-]+\.(?:txt|md|pdf|docx|pptx|xlsx)\b", re.IGNORECASE)
_ZONE_NAME = re.compile(r"\b(?:Africa|America|Asia|Atlantic|Australia|Europe|Indian|Pacific)/[A-Za-z_/]+|\bUTC\b")
_WORD = re.compile(r"[A-Za-z]+(?:['’-][A-Za-z]+)*")


def _zone_abbreviations() -> frozenset[str]:
    """What the datetime filter appends to a time (JST, AEDT, EDT, IST ...), in winter and in summer."""
    zones = set(TIME_ZONE_CHOICES) | set(CAPITAL_TIME_ZONES.values())
    found = set()
    for zone in zones:
        for month in (1, 7):
            name = datetime(2026, month, 15, 12, tzinfo=ZoneInfo(zone)).tzname()
            if name and name.isalpha():
                found.add(name)
    return frozenset(found)


ZONE_ABBREVIATIONS = _zone_abbreviations()


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.page_language: str | None = None
        self._open: list[tuple[str, bool]] = []  # (tag, skipped) for every element still open

    @property
    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self._open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "html":
            self.page_language = values.get("lang")
        language = values.get("lang")
        skipped = tag in SKIPPED_ELEMENTS or (language is not None and not language.startswith("ja"))
        if not self._skipping and not skipped:
            self.chunks.extend(v for k, v in attrs if k in SHOWN_ATTRIBUTES and v)
        if tag not in VOID_ELEMENTS:
            self._open.append((tag, skipped))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index][0] == tag:
                del self._open[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.chunks.append(data)


def visible_text(html: str) -> tuple[str | None, list[str]]:
    """The page's declared language (<html lang>) and its visible text, chunk by chunk."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return parser.page_language, parser.chunks


def english_words(chunks: Iterable[str], known_strings: Iterable[str] = ()) -> list[tuple[str, list[str]]]:
    """Each text that still holds English words, with those words."""
    known = sorted({s for s in known_strings if s}, key=len, reverse=True)  # "Emily Carter" before "Emily"
    found: list[tuple[str, list[str]]] = []
    for chunk in chunks:
        shown = " ".join(chunk.split())
        text = shown
        for pattern in (_EMAIL, _URL, _FILE_NAME, _ZONE_NAME):
            text = pattern.sub(" ", text)
        for string in known:
            text = text.replace(string, " ")
        words = [w for w in _WORD.findall(text) if w not in ALLOWED_WORDS and w not in ZONE_ABBREVIATIONS]
        if words:
            found.append((shown, words))
    return found
