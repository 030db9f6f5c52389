"""`/notifications` (the list behind the bell, mark as read) and `/profile/notifications` (how to be told)."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from app.access.principal import Principal
from app.core.errors import N_
from app.core.routing import page_router
from app.notifications import service
from app.notifications.deps import (
    NotificationsOwner,
    OwnNotification,
    PreferencesFormData,
    preference_field,
    read_preferences_form,
)
from app.notifications.kinds import Channel, declared_kinds
from app.web.deps import DbSession, Page
from app.web.forms import NO_ERRORS, form_page
from app.web.templating import flash, negotiate_language, render
from app.web.urls import see_other

pages = page_router()


@pages.get("/notifications", response_class=HTMLResponse, name="notifications.list")
def notifications_page(request: Request, db: DbSession, page: Page, principal: NotificationsOwner) -> HTMLResponse:
    language = negotiate_language(request)
    result = service.list_notifications(db, principal, page)
    items = [(notification, *service.text_of(notification, language)) for notification in result.items]
    return render(request, "notifications/list.html", {"result": result, "items": items})


@pages.post("/notifications/read-all", name="notifications.read_all")
def read_all(request: Request, db: DbSession, principal: NotificationsOwner) -> Response:
    marked = service.mark_all_read(db, principal)
    if marked:
        flash(request, N_("All notifications are marked as read."))
    return see_other(request, "notifications.list")


@pages.post("/notifications/{notification_id}/read", name="notifications.read")
def read_one(request: Request, principal: NotificationsOwner, notification: OwnNotification, db: DbSession) -> Response:
    service.mark_read(db, principal, notification)
    flash(request, N_("The notification is marked as read."))
    return see_other(request, "notifications.list")


def _preferences_context(db: DbSession, principal: Principal) -> dict[str, Any]:
    rows = [(p, preference_field(p.kind)) for p in service.preferences(db, principal)]
    return {"rows": rows, "channels": list(Channel), "errors": NO_ERRORS, "values": {}}


@pages.get("/profile/notifications", response_class=HTMLResponse, name="notifications.preferences")
def preferences_page(request: Request, db: DbSession, principal: NotificationsOwner) -> HTMLResponse:
    return render(request, "notifications/preferences.html", _preferences_context(db, principal))


@pages.post("/profile/notifications", response_class=HTMLResponse, name="notifications.save_preferences")
def save_preferences(
    request: Request, db: DbSession, principal: NotificationsOwner, form: PreferencesFormData
) -> Response:
    def save() -> Response:
        service.set_preferences(db, principal, read_preferences_form(form, declared_kinds()))
        flash(request, N_("Your notification settings are saved."))
        return see_other(request, "notifications.preferences")

    context = partial(_preferences_context, db, principal)
    return form_page(request, "notifications/preferences.html", context, save, values=form)
