"""Domain errors, and their problem+json form for the API.

Services raise these; they never know about HTTP. `app.web.error_pages` maps them to answers (problem+json for
the API, a readable page for people).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Marks a message for extraction into the translation catalog, and returns it unchanged.

    Services raise errors in English (the JSON API keeps English, which API clients expect). Wrapping a
    static detail in N_() puts it in the catalog, so an HTML page translates it when it is shown (see
    app.web.templating.render_error_page and the `translated` filter). A message built with an f-string
    cannot be found in the catalog and stays English.
    """
    return message


class DomainError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str = "", /, *, field: str | None = None, **params: Any) -> None:
        """`message` is an N_() template in English; `params` fill its %(name)s placeholders (strings among them
        that are N_() words are translated too); `field` names the form field the error belongs to."""
        self.message = message or self.title
        self.params = params
        self.field = field
        self.detail = self.message % params if params else self.message
        super().__init__(self.detail)

    def translated(self, gettext: Callable[[str], str]) -> str:
        """The message in the reader's language: the template and its word parameters are looked up, then
        formatted. The API keeps `detail`, in English."""
        if not self.params:
            return gettext(self.message)
        params = {name: gettext(value) if isinstance(value, str) else value for name, value in self.params.items()}
        return gettext(self.message) % params


class InvalidInput(DomainError):
    status = 422
    title = "Invalid input"


class NotAuthenticated(DomainError):
    status = 401
    title = "Sign-in required"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class RefusalRecorded(Forbidden):
    """A refusal that must stay on the audit trail although the request's own writes are rolled back."""

    def __init__(
        self, detail: str, *, actor_id: int | None, action: str, target_type: str, target_id: object, **data: Any
    ) -> None:
        super().__init__(detail)
        self.audit = {
            "actor_id": actor_id,
            "action": action,
            "target_type": target_type,
            "target_id": target_id,
            **data,
        }


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(DomainError):
    status = 415
    title = "Unsupported media type"


class RateLimited(DomainError):
    status = 429
    title = "Too many requests"

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(detail or N_("Too many requests; try again later."))
        self.retry_after = retry_after


class ServiceUnavailable(DomainError):
    status = 503
    title = "Service unavailable"


class Busy(ServiceUnavailable):
    """Work at capacity right now (app.core.capacity): answered at once with Retry-After, never left to stall."""

    def __init__(self, retry_after: int, detail: str = "") -> None:
        super().__init__(detail or N_("The service is busy. Please try again in a moment."))
        self.retry_after = retry_after
