"""Reading what a page says, for HTTP tests of forms: the error summary, a field's message and attributes, the
success banner."""

from __future__ import annotations

import re
from html import unescape

from app.web.templating import translations_for


def ja(message: str) -> str:
    """The Japanese of a catalog message; fails when it has none."""
    translated = translations_for("ja").gettext(message)
    assert translated != message, f"{message!r} has no Japanese translation"
    return translated


def _between(html: str, start: str, end: str) -> str:
    assert start in html, f"{start!r} is not on the page"
    return html.split(start, 1)[1].split(end, 1)[0]


def error_summary(html: str) -> str:
    return unescape(_between(html, 'class="error-summary"', "</div>"))


def summary_links(html: str) -> list[str]:
    """The fields the error summary links to, in order."""
    return re.findall(r'<a href="#([^"]+)">', _between(html, 'class="error-summary"', "</div>"))


def field_error(html: str, field: str) -> str:
    """The message shown beside a field (without the visually hidden "Error:")."""
    text = _between(html, f'id="{field}-error" class="field-error">', "</span>\n")
    return unescape(re.sub(r"<[^>]+>", "", text)).split(maxsplit=1)[1].strip()


def tag(html: str, element_id: str) -> str:
    """The opening tag of the element with this id."""
    match = re.search(rf'<(input|select|textarea)\b[^>]*\bid="{re.escape(element_id)}"[^>]*>', html)
    assert match, f"no form field with id {element_id!r}"
    return match.group(0)


def banner(html: str) -> str:
    """The success banner (flash) of the page."""
    return unescape(re.sub(r"<[^>]+>", "", _between(html, 'class="success-banner" role="status">', "</div>"))).strip()
