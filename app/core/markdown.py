"""Markdown people write, rendered to sanitised HTML: the one renderer for pages (the `markdown` filter) and for
services that store the HTML next to the text (meeting minutes), so both agree on what is allowed."""

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


def sanitised_html(text: str | None) -> str:
    """The parser refuses raw HTML and nh3 strips whatever else is not in ALLOWED_TAGS."""
    html = _markdown.render(text or "")
    return nh3.clean(html, tags=ALLOWED_TAGS, link_rel="noopener noreferrer nofollow")
