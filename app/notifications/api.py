"""`/api/v1/me/notifications` and `/api/v1/me/notification-preferences`: the caller's own, nobody else's."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from app.core.routing import api_router
from app.core.schemas import PageOut
from app.notifications import service
from app.notifications.deps import NotificationsOwner, OwnNotification, preferences_from_api
from app.notifications.schemas import MarkedRead, NotificationOut, PreferenceOut, PreferencesIn
from app.web.deps import DbSession, Page

api = api_router(prefix="/api/v1/me", tags=["me"])


@api.get("/notifications", summary="My notifications, newest first", name="notifications.api.list")
def list_notifications(
    db: DbSession,
    page: Page,
    principal: NotificationsOwner,
    unread: Annotated[bool, Query(description="Only the unread ones")] = False,
) -> PageOut[NotificationOut]:
    result = service.list_notifications(db, principal, page, unread_only=unread)
    return PageOut.of(result, NotificationOut.of)


@api.post("/notifications/read-all", summary="Mark all my notifications read", name="notifications.api.read_all")
def read_all(db: DbSession, principal: NotificationsOwner) -> MarkedRead:
    return MarkedRead(marked=service.mark_all_read(db, principal))


@api.post(
    "/notifications/{notification_id}/read",
    summary="Mark one of my notifications read (another person's is not found)",
    name="notifications.api.read",
)
def read_one(principal: NotificationsOwner, notification: OwnNotification, db: DbSession) -> NotificationOut:
    return NotificationOut.of(service.mark_read(db, principal, notification))


@api.get(
    "/notification-preferences",
    summary="How I am told of each kind of notification",
    name="notifications.api.preferences",
)
def get_preferences(db: DbSession, principal: NotificationsOwner) -> list[PreferenceOut]:
    return [PreferenceOut.of(p) for p in service.preferences(db, principal)]


@api.put(
    "/notification-preferences",
    summary="Choose in the app, by email or off, per kind (kinds not named keep theirs)",
    name="notifications.api.set_preferences",
)
def put_preferences(body: PreferencesIn, db: DbSession, principal: NotificationsOwner) -> list[PreferenceOut]:
    choices = preferences_from_api(body.channels)
    return [PreferenceOut.of(p) for p in service.set_preferences(db, principal, choices)]
