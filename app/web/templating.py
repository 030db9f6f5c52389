"""Jinja2 environment: gettext per request (English and Japanese), time zones, Markdown, the render helper."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime as babel_format_datetime
from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.access.policy import csrf_token
from app.access.principal import ANONYMOUS
from app.audit import registry
from app.core.config import PROJECT_ROOT
from app.core.errors import N_
from app.core.i18n import DEFAULT_LANGUAGE, LANGUAGES, gettext_for, translations_for
from app.core.i18n import TRANSLATIONS_DIR as TRANSLATIONS_DIR  # still named through here by tests
from app.core.labels import LabelledEnum, label_of
from app.core.markdown import sanitised_html
from app.core.routing import mark_personal

TEMPLATES_DIR = PROJECT_ROOT / "templates"
DEFAULT_TIME_ZONE = "UTC"
# Each person's clock unless they choose another: their country's capital (Canberra keeps Sydney's time).
CAPITAL_TIME_ZONES = {
    "US": "America/New_York",
    "JP": "Asia/Tokyo",
    "AU": "Australia/Sydney",
    "IN": "Asia/Kolkata",
}
# The zones offered on the profile: the four capitals, the other large cities of the four countries, and the
# places the secretariat and industry work from. Any other valid IANA name is accepted through the API.
TIME_ZONE_CHOICES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Australia/Brisbane",
    "Australia/Adelaide",
    "Australia/Darwin",
    "Australia/Perth",
    "Australia/Hobart",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Europe/London",
    "Europe/Brussels",
    "UTC",
)


def time_zone_of(principal: Any) -> str:
    """The zone a person's pages show times in: their choice, else their country's capital, else UTC."""
    chosen = getattr(principal, "time_zone", None)
    if chosen:
        return str(chosen)
    return CAPITAL_TIME_ZONES.get(getattr(principal, "country", None) or "", DEFAULT_TIME_ZONE)


def current_url(request: Request) -> str:
    """This page's path with its query, as a same-site target for links that come back here."""
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


def language_url(request: Request, language: str) -> str:
    """The header's language link: switches and comes back to this very page, query included."""
    return f"/language?{urlencode({'lang': language, 'next': current_url(request)})}"


def negotiate_language(request: Request) -> str:
    """Chosen language (session), then the signed-in user's preference, then Accept-Language."""
    cached = getattr(request.state, "language", None)
    if cached:
        return str(cached)
    chosen = request.session.get("lang") if "session" in request.scope else None
    principal = getattr(request.state, "principal", None)
    language = chosen if chosen in LANGUAGES else None
    if language is None and principal is not None and principal.language in LANGUAGES:
        language = principal.language
    if language is None:
        language = _from_accept_language(request.headers.get("accept-language", ""))
    request.state.language = language
    return language


def _from_accept_language(header: str) -> str:
    ranked: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in LANGUAGES:
            ranked.append((quality, primary))
    ranked.sort(key=lambda item: -item[0])
    return ranked[0][1] if ranked and ranked[0][0] > 0 else DEFAULT_LANGUAGE


# The page being rendered: its language and time zone. Jinja gives a macro imported the default way (`{% from
# "_macros/x.html" import y %}`, without context) only the environment's globals, not render()'s values; gettext
# and the filters fall back on this, so a macro always speaks the page's language and shows the reader's clock.
_RENDERING: ContextVar[tuple[str, str] | None] = ContextVar("rendering", default=None)


def _language(context: Context) -> str:
    rendering = _RENDERING.get()
    return str(context.get("language") or (rendering[0] if rendering else DEFAULT_LANGUAGE))


def _time_zone(context: Context) -> str:
    rendering = _RENDERING.get()
    return str(context.get("time_zone") or (rendering[1] if rendering else DEFAULT_TIME_ZONE))


def _gettext(context: Context) -> Callable[[str], str]:
    return translations_for(_language(context)).gettext


@pass_context
def _page_gettext(context: Context, message: str) -> str:
    """`_()` in every template and macro; Jinja's newstyle wrapper escapes it and fills its %(name)s variables."""
    return _gettext(context)(message)


@pass_context
def _page_ngettext(context: Context, singular: str, plural: str, num: int) -> str:
    return translations_for(_language(context)).ngettext(singular, plural, num)


def render_markdown(text: str | None) -> Markup:
    """Markdown from users, rendered then sanitised (app.core.markdown)."""
    return Markup(sanitised_html(text))  # noqa: S704


@pass_context
def translated(context: Context, message: str | None) -> str:
    """`{{ error|translated }}`: a message from Python (an error detail marked with app.core.errors.N_) in the
    page's language. A message the catalog does not know (one built with an f-string) stays as it is."""
    if not message:
        return ""
    return _gettext(context)(str(message))


@pass_context
def label(context: Context, value: LabelledEnum | str | None, kind: str | None = None) -> str:
    """`{{ document.doc_type|label }}`: an enum member's label in the page's language.

    `{{ value|label("Role") }}` labels a raw stored value (audit data, a free-text column) with the named
    enum; a value the enum does not declare (free text, or a member since removed) is shown as stored."""
    if value is None or value == "":
        return ""
    if isinstance(value, LabelledEnum) and kind is None:
        return _gettext(context)(value.label)
    if kind is None:
        # Printing a plain string as a label would put untranslated English on the page: say which enum it is.
        raise TypeError(f'label: {value!r} is not a LabelledEnum member; name its enum: |label("Kind")')
    english = label_of(kind, value)
    return _gettext(context)(english) if english is not None else str(value)


@pass_context
def country_name(context: Context, code: str | None) -> str:
    """`{{ user.country_code|country_name }}`: a Quad country's name in the page's language. No country (secretariat
    staff, content the secretariat owns, the owner form's "secretariat" choice) reads "Secretariat"."""
    if not code or code == "secretariat":
        return _gettext(context)(N_("Secretariat"))
    return label(context, code, "CountryCode")


@pass_context
def action_label(context: Context, action: str) -> str:
    """`{{ event.action|action_label }}`: what a stored audit action means, as its domain declared it."""
    declared = registry.lookup(action)
    text = declared.label if declared is not None else N_("Activity")
    return _gettext(context)(text)


@pass_context
def url_for(context: Context, name: str, /, **path_params: Any) -> str:
    """`{{ url_for("documents.detail", document_id=d.id) }}`: a named route's path. Asks the app, not the request's
    router, so pages rendered before routing (an error page from a middleware) can link too."""
    return str(context["request"].app.url_path_for(name, **path_params))


@pass_context
def format_datetime(context: Context, value: datetime | None, time_zone: str | None = None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    zone = ZoneInfo(time_zone or _time_zone(context))
    language = _language(context)
    text = babel_format_datetime(value, fmt, tzinfo=zone, locale=Locale.parse(language))
    # The zone's abbreviation (UTC, JST, AEDT, ...) so people in four capitals know which clock it is.
    return f"{text} {value.astimezone(zone).tzname()}"


def build_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "xml"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(_page_gettext, _page_ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["markdown"] = render_markdown
    env.filters["datetime"] = format_datetime
    env.filters["translated"] = translated
    env.filters["label"] = label
    env.filters["country_name"] = country_name
    env.filters["action_label"] = action_label
    env.globals["url_for"] = url_for
    env.globals["LANGUAGES"] = LANGUAGES
    return env


environment = build_environment()


class LazyCsrfToken:
    """`{{ csrf_token }}` in a template: the session's token, minted only when a page writes it into a form, so
    a page without one (most pages to a signed-out reader) leaves the session, and so the cookie, alone."""

    __slots__ = ("_request",)

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return csrf_token(self._request)

    def __html__(self) -> Markup:
        return escape(csrf_token(self._request))


# How many unread notifications a signed-in person has, for the header's bell: the notifications domain's count,
# installed by main.py as `app.state.count_unread_notifications` (one indexed query), so this layer needs no domain.
UnreadCounter = Callable[[Any, Any], int]


def _unread_notifications(request: Request, principal: Any) -> int | None:
    """None when there is nobody to count for, or when the request's transaction is already over (an error page
    shown after the rollback): the bell is then shown without its number rather than opening a second session."""
    counter: UnreadCounter | None = getattr(request.app.state, "count_unread_notifications", None)
    session = getattr(request.state, "db", None)
    if counter is None or session is None or not principal.is_authenticated:
        return None
    return counter(session, principal)


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    language = negotiate_language(request)
    principal = getattr(request.state, "principal", None) or ANONYMOUS
    values: dict[str, Any] = {
        "request": request,
        "principal": principal,
        "language": language,
        "time_zone": time_zone_of(principal),
        "csrf_token": LazyCsrfToken(request),
        "flash": _pop_flash(request, translations_for(language).gettext),
        "current_path": request.url.path,
        "current_url": current_url(request),
        "language_links": [(code, label, language_url(request, code)) for code, label in LANGUAGES.items()],
    }
    values["unread_notifications"] = _unread_notifications(request, principal)
    values.update(context or {})
    rendering = _RENDERING.set((language, values["time_zone"]))
    try:
        html = environment.get_template(template).render(values)
    finally:
        _RENDERING.reset(rendering)
    return HTMLResponse(html, status_code=status_code, headers=headers)


FLASH_KEY = "flash"


def flash(request: Request, message: str, **params: object) -> None:
    """A success banner for the next page shown (after a redirect): `message` is an N_() template; string
    parameters that are N_() words are translated too, others (a title) are shown as they are."""
    request.session[FLASH_KEY] = {"message": message, "params": params}


def _pop_flash(request: Request, gettext: Callable[[str], str]) -> str | None:
    if "session" not in request.scope:
        return None
    stored = request.session.pop(FLASH_KEY, None)
    if stored is not None:
        mark_personal(request)
    if not isinstance(stored, dict) or not isinstance(stored.get("message"), str):
        return None
    params = {k: gettext(v) if isinstance(v, str) else v for k, v in (stored.get("params") or {}).items()}
    return gettext(stored["message"]) % params if params else gettext(stored["message"])


def render_error_page(
    request: Request,
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    problems: list[str] | None = None,
) -> Response:
    template = f"errors/{status}.html" if status in (403, 404, 422, 500) else "errors/generic.html"
    # Services raise details in English; a page shows them in the reader's language when the catalog knows
    # them (details marked with app.core.errors.N_). Unknown (dynamic) details are returned unchanged.
    detail = gettext_for(negotiate_language(request))(detail)
    context = {"status": status, "detail": detail, "problems": problems or []}
    return render(request, template, context, status_code=status, headers=dict(headers or {}))
