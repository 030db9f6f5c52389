"""The translation catalogs, for code that has no request: English and Japanese messages by language code.

Pages get their language from the request (app.web.templating); a notification or an email is written in its
recipient's language, chosen by the service that sends it. Both read the same catalogs from here.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent.parent / "translations"
LANGUAGES = {"en": "English", "ja": "日本語"}
DEFAULT_LANGUAGE = "en"


@cache
def translations_for(language: str) -> NullTranslations:
    """Compiles the .po catalog in memory, so the repository holds no binary .mo files."""
    po_path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    if language == DEFAULT_LANGUAGE or not po_path.exists():
        return NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def gettext_for(language: str) -> Callable[[str], str]:
    return translations_for(language).gettext


def known_language(language: str | None) -> str:
    """A person's language when the platform speaks it, else English."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


# A parameter given in several languages: {"en": "Semiconductors", "ja": "半導体"}; others are shown as given.
Localised = Mapping[str, str]


def render_message(template: str, params: Mapping[str, object], language: str) -> str:
    """An N_() template with its %(name)s parameters, in `language`. A parameter that is a mapping of languages
    (a group's English and Japanese names) gives the value in that language, falling back to English; other
    parameters (a title someone typed) are shown as they are, never looked up in the catalog."""
    gettext = gettext_for(known_language(language))
    values = {name: _in_language(value, language) for name, value in params.items()}
    text = gettext(template)
    return text % values if values else text


def _in_language(value: object, language: str) -> object:
    if isinstance(value, Mapping):
        return value.get(language) or value.get(DEFAULT_LANGUAGE) or ""
    return value
