"""Checks for text people type: no control characters (which some databases cannot store), bounded length."""

from __future__ import annotations

import re

from app.core.errors import N_, InvalidInput

# C0 controls except tab and line breaks, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def one_line(value: str, what: str, max_length: int, *, required: bool = True, field: str | None = None) -> str:
    """A name or title: trimmed, on one line, 1..max_length characters (0 allowed when not required).

    `what` names the value in English, marked with N_() so a page shows the error in the reader's language;
    `field` is the form input the error is shown beside."""
    value = value.strip()
    if required and not value:
        raise InvalidInput(N_("%(what)s is required"), what=what, field=field)
    if len(value) > max_length:
        raise InvalidInput(N_("%(what)s is at most %(max)d characters"), what=what, max=max_length, field=field)
    if _CONTROL.search(value) or "\n" in value or "\r" in value or "\t" in value:
        raise InvalidInput(N_("%(what)s may not contain line breaks or control characters"), what=what, field=field)
    return value


def paragraphs(value: str, what: str, max_length: int, *, field: str | None = None) -> str:
    """Free text such as a description or Markdown: line breaks allowed, control characters not."""
    value = value.strip()
    if len(value) > max_length:
        raise InvalidInput(
            N_("%(what)s is too long (%(max)d characters at most)"), what=what, max=max_length, field=field
        )
    if _CONTROL.search(value):
        raise InvalidInput(N_("%(what)s may not contain control characters"), what=what, field=field)
    return value
