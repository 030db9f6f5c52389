"""Markdown written by people (group charters, document descriptions), rendered to sanitised HTML.

Rendered once, when the text is saved (the services store it beside the source in a `*_html` column), not on
every view; pages show the stored HTML. The parser refuses raw HTML and nh3 strips whatever else is not on the
list below, so a `<script>` typed into a charter never reaches a page.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
ALLOWED_TAGS = {
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
}


def to_html(text: str | None) -> str:
    """Sanitised HTML of the Markdown `text` ("" for none)."""
    if not text:
        return ""
    return nh3.clean(_markdown.render(text), tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")
