"""One way for a page to run a form's write and, when the service refuses, show the same form again.

GOV.UK pattern: an error summary at the top linking to each field, a message beside the field, and what the
person typed kept. Templates use `templates/_macros/forms.html` (`error_summary`, `field_error`).

Forms are taken as the strings a browser sends, so a bad choice or a missing field is a message beside its field
rather than FastAPI's generic 422 page: `parse_choice` reads a select into its enum, and `FormReader` keeps every
field's refusal so the summary lists them all at once (`InvalidForm`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response

from app.core.errors import N_, DomainError, InvalidInput, RefusalRecorded
from app.web.deps import MAX_ID
from app.web.templating import gettext_for, negotiate_language, render

E = TypeVar("E", bound=StrEnum)
T = TypeVar("T")


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
        gettext = gettext_for(negotiate_language(request))
        found = exc.errors if isinstance(exc, InvalidForm) else (exc,)
        return cls(tuple(FieldError(error.translated(gettext), error.field) for error in found))


class InvalidForm(InvalidInput):
    """Several fields of one form are wrong: the page lists them all at once, each beside its field. The API
    (and `detail`) gets the first one."""

    def __init__(self, errors: Sequence[DomainError]) -> None:
        first = errors[0]
        super().__init__(first.message, field=first.field, **first.params)
        self.errors = tuple(errors)


class FormReader:
    """Reads a form's fields one by one, keeping every refusal instead of stopping at the first, so the person
    sees all that is wrong in one go. `done()` raises them together, in `order` (the fields' order on the page,
    so the error summary reads top to bottom like the form)."""

    def __init__(self, order: Sequence[str] = ()) -> None:
        self.errors: list[DomainError] = []
        self.order = tuple(order)

    def read(self, parse: Callable[[], T], otherwise: T) -> T:
        try:
            return parse()
        except InvalidInput as exc:
            self.errors.append(exc)
            return otherwise

    def choice(self, enum: type[E], value: str, *, field: str, message: str) -> E | None:
        return self.read(lambda: parse_choice(enum, value, field=field, message=message), None)

    def done(self) -> None:
        if self.errors:
            place = {field: index for index, field in enumerate(self.order)}
            raise InvalidForm(sorted(self.errors, key=lambda error: place.get(error.field or "", len(place))))


def parse_choice(enum: type[E], value: str, *, field: str, message: str = N_("choose one of the options")) -> E:
    """A choice sent as a string (a select, radio buttons): a value that is not on offer is the field's error,
    shown beside it, rather than FastAPI's generic 422 page."""
    try:
        return enum(value)
    except ValueError:
        raise InvalidInput(message, field=field) from None


def parse_id(value: str, *, field: str, message: str = N_("choose one of the options")) -> int:
    """An id sent as a string (a select of people): anything but a database id is the field's error."""
    number = int(value) if value.strip().isdigit() else 0
    if not 1 <= number <= MAX_ID:
        raise InvalidInput(message, field=field)
    return number


@contextmanager
def fields_renamed(renamed: dict[str, str]) -> Iterator[None]:
    """For a page whose inputs are named apart from the service's fields (one role box per member row)."""
    try:
        yield
    except DomainError as exc:
        exc.field = renamed.get(exc.field or "", exc.field)
        raise


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
