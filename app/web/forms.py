"""One way for a page to run a form's write and, when the service refuses, show the same form again.

GOV.UK pattern: an error summary at the top linking to each field, a message beside the field, and what the
person typed kept. Templates use `templates/_macros/forms.html` (`error_summary`, `field_error`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from app.core.errors import DomainError, RefusalRecorded
from app.web.templating import gettext_for, negotiate_language, render


@dataclass(frozen=True)
class FieldError:
    message: str  # already in the reader's language
    field: str | None = None  # the input's id, or None for an error about the whole form


@dataclass(frozen=True)
class FormErrors:
    errors: tuple[FieldError, ...] = field(default_factory=tuple)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __iter__(self) -> Iterator[FieldError]:
        return iter(self.errors)

    def for_field(self, name: str) -> str | None:
        return next((e.message for e in self.errors if e.field == name), None)

    @classmethod
    def of(cls, request: Request, exc: DomainError) -> FormErrors:
        message = exc.translated(gettext_for(negotiate_language(request)))
        return cls((FieldError(message, exc.field),))


NO_ERRORS = FormErrors()


def form_page(
    request: Request,
    template: str,
    context: Callable[[], Mapping[str, Any]],
    action: Callable[[], Response],
    *,
    values: Mapping[str, Any] | None = None,
) -> Response:
    """Runs a page's write. On a domain error the request's transaction is rolled back and the form is shown
    again with the message and the submitted `values`; `context()` is called after the rollback, so it reads
    fresh state. An audited refusal is let through, so the request's transaction records it."""
    try:
        return action()
    except RefusalRecorded:
        raise
    except DomainError as exc:
        db = getattr(request.state, "db", None)
        if db is not None:
            db.rollback()
        page = {**context(), "errors": FormErrors.of(request, exc), "values": dict(values or {})}
        return render(request, template, page, status_code=exc.status)
