"""Every word a user reads goes through gettext, and the Japanese catalog translates all of it.

1. Templates have no bare user-visible text: text and visible attributes (alt, title, placeholder, aria-label,
   ...) outside `{{ ... }}` and outside `{% trans %}` blocks may hold no letters.
2. Every message extracted from templates and app/**.py (the extraction `make messages` runs) has a
   complete, reviewed (not fuzzy) Japanese translation with exactly the msgid's %(name)s placeholders.
3. The catalog compiles, and the running app really serves Japanese.

Each failure lists every offending template line or message, so all of them can be fixed in one pass.
To fix a catalog failure: run `make messages`, translate the empty msgstr in
app/translations/ja/LC_MESSAGES/messages.po, and remove any `#, fuzzy` flag after checking the text.
"""

from __future__ import annotations

import importlib.util
import io
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from types import ModuleType

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import TemplateSyntaxError

from app.web.templating import TEMPLATES_DIR, environment, translations_for

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PO_PATH = PROJECT_ROOT / "app" / "translations" / "ja" / "LC_MESSAGES" / "messages.po"
FIX_CATALOG = (
    "Run `make messages`, then translate these in app/translations/ja/LC_MESSAGES/messages.po "
    "(and remove `#, fuzzy` once a translation is checked)."
)

# Symbols that are written with letters but are not language: they read the same in every language.
# Keep this tiny and never put a word here (a word belongs in gettext). Punctuation and symbols such as
# "·", "—", "/", ":" or "(" need no entry: they hold no letters.
NOT_LANGUAGE: frozenset[str] = frozenset({"B", "KB", "MB", "GB", "SHA-256"})
_NOT_LANGUAGE = re.compile(
    r"(?<![\w-])(?:" + "|".join(map(re.escape, sorted(NOT_LANGUAGE, key=len, reverse=True))) + r")(?![\w-])"
)

# Attributes whose value a user reads or hears.
VISIBLE_ATTRIBUTES = frozenset(
    {
        "alt",
        "title",
        "placeholder",
        "aria-label",
        "aria-description",
        "aria-roledescription",
        "aria-placeholder",
        "aria-valuetext",
    }
)
BUTTON_INPUT_TYPES = frozenset({"submit", "button", "reset"})
LABEL_ATTRIBUTE_TAGS = frozenset({"option", "optgroup", "track"})  # their `label` is shown
HIDDEN_CONTENT_TAGS = frozenset({"script", "style"})

# Stands in for every Jinja construct (`{{ ... }}`, `{% ... %}`, a whole trans block): a private-use
# character, so it is neither a letter nor markup and the HTML around it parses as usual.
JINJA = "\ue000"
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +\-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def _is_language(text: str) -> bool:
    """Any letter (Latin, kana, kanji, ...) means words; digits, punctuation and symbols are not."""
    return any(char.isalpha() for char in text)


def _load_messages_script() -> ModuleType:
    """scripts/messages.py (what `make messages` runs), so the test extracts exactly as it does."""
    path = PROJECT_ROOT / "scripts" / "messages.py"
    spec = importlib.util.spec_from_file_location("quad_messages_script", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------------------------
# 1. No bare text in templates
# ---------------------------------------------------------------------------------------------------------


def template_skeleton(source: str) -> str:
    """The template's literal text with each Jinja construct and each trans block replaced by JINJA.

    Newlines are padded in so that line N of the skeleton is line N of the template, even where
    trim_blocks swallowed a newline.
    """
    parts: list[str] = []
    lines = 1
    trans_depth = 0
    in_block = False
    block_name: str | None = None
    for lineno, token_type, value in environment.lex(source):
        if token_type == "block_begin":
            in_block, block_name = True, None
            continue
        if in_block and token_type == "name" and block_name is None:
            block_name = value
            if value == "trans":
                trans_depth += 1
            elif value == "endtrans":
                trans_depth = max(trans_depth - 1, 0)
            continue
        if token_type == "block_end":
            in_block = False
            continue
        if token_type != "data" or trans_depth:
            if not parts or parts[-1] != JINJA:
                parts.append(JINJA)
            continue
        if lineno > lines:
            parts.append("\n" * (lineno - lines))
            lines = lineno
        parts.append(value)
        lines += value.count("\n")
    return "".join(parts)


class BareTextFinder(HTMLParser):
    """Collects (line, description) for visible text and visible attribute values holding letters."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[tuple[int, str]] = []
        self.hidden_depth = 0

    def _report(self, line: int, what: str, text: str) -> None:
        literal = " ".join(text.replace(JINJA, " … ").split())
        if _is_language(_NOT_LANGUAGE.sub("", text.replace(JINJA, " "))):
            self.problems.append((line, f"{what} {literal!r}"))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_attributes(tag, attrs)
        if tag in HIDDEN_CONTENT_TAGS:
            self.hidden_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check_attributes(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN_CONTENT_TAGS and self.hidden_depth:
            self.hidden_depth -= 1

    def handle_data(self, data: str) -> None:
        if self.hidden_depth:
            return
        line = self.getpos()[0]
        for offset, text_line in enumerate(data.split("\n")):
            self._report(line + offset, "text", text_line)

    def _check_attributes(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.replace(JINJA, "").lower(): value or "" for name, value in attrs}
        visible = set(VISIBLE_ATTRIBUTES)
        if tag == "input" and values.get("type", "").strip().lower() in BUTTON_INPUT_TYPES:
            visible.add("value")
        if tag in LABEL_ATTRIBUTE_TAGS:
            visible.add("label")
        if tag == "meta" and values.get("name", "").lower() == "description":
            visible.add("content")
        start_line = self.getpos()[0]
        start_text = self.get_starttag_text() or ""
        for name in sorted(visible & values.keys()):
            position = start_text.lower().find(name + "=")
            line = start_line + start_text[: max(position, 0)].count("\n")
            self._report(line, f'<{tag} {name}="…">', values[name])


def bare_text(source: str) -> list[tuple[int, str]]:
    finder = BareTextFinder()
    finder.feed(template_skeleton(source))
    finder.close()
    return finder.problems


def template_names() -> list[str]:
    return sorted(name for name in environment.list_templates() if not Path(name).name.startswith("."))


def test_templates_have_no_text_outside_gettext() -> None:
    problems = []
    for name in template_names():
        source = (TEMPLATES_DIR / name).read_text(encoding="utf-8")
        try:
            found = bare_text(source)
        except TemplateSyntaxError as error:
            problems.append(f"templates/{name}:{error.lineno}: does not parse: {error.message}")
            continue
        problems += [f"templates/{name}:{line}: {what}" for line, what in found]
    assert not problems, (
        f"{len(problems)} piece(s) of user-visible text are not translatable. Wrap each in "
        '{{ _("...") }} (or {% trans %}...{% endtrans %}), then run `make messages`:\n  ' + "\n  ".join(problems)
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('<p>{{ _("Fine") }} · {{ count }} — <a href="/x">{{ name }}</a></p>', []),
        ("<p>{% trans %}Also fine, {{ user }}{% endtrans %}</p>", []),
        ('<p>{% trans n=2 %}One{% pluralize %}{{ n }} many{% endtrans %} <span title="{{ t }}">/</span></p>', []),
        ('<input type="hidden" name="action" value="publish"><button name="go" value="approve">{{ x }}</button>', []),
        ("<script>const label = 'not user text';</script><style>p::after { content: 'x'; }</style>", []),
        ("<!-- a comment with words -->&nbsp;&mdash;{# a Jinja comment #}", []),
        ('<span>{{ size }} MB</span> <abbr title="SHA-256">{{ _("Checksum") }}</abbr>', []),
        ("<p>\n  Bare words\n</p>", [(2, "text 'Bare words'")]),
        ("<p>{{ n }} MB free</p>", [(1, "text '… MB free'")]),
        ("<p>{{ n }} items</p>", [(1, "text '… items'")]),
        ("<p>日本語</p>", [(1, "text '日本語'")]),
        ('<img src="a.png"\n     alt="A chart">', [(2, "<img alt=\"…\"> 'A chart'")]),
        ('<a href="/" title="Edit {{ name }}">{{ _("x") }}</a>', [(1, "<a title=\"…\"> 'Edit …'")]),
        ('<input type="submit" value="Save">', [(1, "<input value=\"…\"> 'Save'")]),
        ('<input placeholder="{{ _(\'Search\') }}" aria-label="Search">', [(1, "<input aria-label=\"…\"> 'Search'")]),
        ("{% if x %}\n{{ a }}\n{% endif %}\n<p>Late</p>", [(4, "text 'Late'")]),
    ],
)
def test_bare_text_finder(source: str, expected: list[tuple[int, str]]) -> None:
    assert bare_text(source) == expected


# ---------------------------------------------------------------------------------------------------------
# 2. The Japanese catalog translates every message
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return _load_messages_script().extract_messages()


@pytest.fixture(scope="module")
def japanese() -> Catalog:
    assert PO_PATH.exists(), f"{PO_PATH.relative_to(PROJECT_ROOT)} is missing; run `make messages`"
    with PO_PATH.open("rb") as po_file:
        return read_po(po_file, locale="ja")


def _describe(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    where = ", ".join(sorted({f"{filename}:{lineno}" for filename, lineno in message.locations}))
    return f"{msgid!r}" + (f" ({where})" if where else "")


def _strings(message: Message) -> list[str]:
    if isinstance(message.string, (list, tuple)):
        return list(message.string)
    return [message.string or ""]


def test_extraction_finds_the_messages(extracted: Catalog) -> None:
    ids = {message.id for message in extracted if message.id}
    assert "Quad Dialogue" in ids  # templates/base.html
    assert ("%(num)d member", "%(num)d members") in ids  # plural forms from ngettext
    assert any("templates/_macros/" in filename for message in extracted for filename, _ in message.locations)


def test_japanese_catalog_translates_every_message(extracted: Catalog, japanese: Catalog) -> None:
    missing, untranslated, fuzzy = [], [], []
    for message in extracted:
        if not message.id:
            continue
        translation = japanese.get(message.id, context=message.context)
        if translation is None:
            missing.append(_describe(message))
            continue
        forms = _strings(translation)[: japanese.num_plurals] if message.pluralizable else _strings(translation)[:1]
        if len(forms) < (japanese.num_plurals if message.pluralizable else 1) or not all(forms):
            untranslated.append(_describe(message))
        elif translation.fuzzy:
            fuzzy.append(_describe(message))
    report = [f"not in the catalog: {text}" for text in missing]
    report += [f"empty msgstr: {text}" for text in untranslated]
    report += [f"fuzzy (needs review): {text}" for text in fuzzy]
    assert not report, f"{len(report)} message(s) lack a Japanese translation. {FIX_CATALOG}\n  " + "\n  ".join(report)


def test_japanese_catalog_has_one_plural_form(japanese: Catalog) -> None:
    assert japanese.num_plurals == 1
    assert japanese.plural_expr == "0"


def test_translations_keep_the_placeholders(japanese: Catalog) -> None:
    """%(name)s placeholders are filled by name: the translation needs exactly the msgid's, and must format."""
    problems = []
    for message in japanese:
        if not message.id:
            continue
        ids = list(message.id) if isinstance(message.id, (list, tuple)) else [message.id]
        # With one plural form the msgstr stands for every count, so it takes the plural msgid's placeholders.
        expected = {match.group(0) for match in PLACEHOLDER.finditer(ids[-1])}
        for form in _strings(message):
            if not form:
                continue
            found = {match.group(0) for match in PLACEHOLDER.finditer(form)}
            if found != expected:
                problems.append(
                    f"{ids[0]!r}: msgstr {form!r} has {sorted(found) or 'no placeholders'}, "
                    f"the msgid has {sorted(expected) or 'none'}"
                )
                continue
            if expected:
                try:
                    form % {PLACEHOLDER.match(token).group(1): 1 for token in expected}  # type: ignore[union-attr]
                except (ValueError, TypeError, KeyError) as error:
                    problems.append(f"{ids[0]!r}: msgstr {form!r} does not format: {error}")
    assert not problems, f"{len(problems)} translation(s) break their placeholders:\n  " + "\n  ".join(problems)


# ---------------------------------------------------------------------------------------------------------
# 3. The catalog compiles and the app serves Japanese
# ---------------------------------------------------------------------------------------------------------


def test_japanese_catalog_compiles(japanese: Catalog) -> None:
    errors = [f"{message.lineno}: {message.id!r}: {', '.join(map(str, errs))}" for message, errs in japanese.check()]
    assert not errors, "the catalog has errors:\n  " + "\n  ".join(errors)
    buffer = io.BytesIO()
    write_mo(buffer, japanese)
    assert buffer.getvalue()


def test_the_app_speaks_japanese() -> None:
    japanese = translations_for("ja")
    assert japanese.gettext("Quad Dialogue") != "Quad Dialogue"
    assert japanese.ngettext("%(num)d member", "%(num)d members", 1) == japanese.ngettext(
        "%(num)d member", "%(num)d members", 5
    )
    assert translations_for("en").gettext("Quad Dialogue") == "Quad Dialogue"
