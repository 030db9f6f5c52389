"""Who may call each notifications route, and what a permitted call answers (merged into the access matrix).

Everyone signed in has their own notifications (a pending account too); each caller acts on one of their own."""

from __future__ import annotations

from collections.abc import Callable

from app.notifications.deps import preference_field
from app.notifications.kinds import declared_kinds
from app.notifications.models import Notification
from tests.support.matrix import SIGNED_IN, Row, World, page_row

ME = "/api/v1/me"


def preferences_form(world: World) -> dict[str, str]:
    """An answer for every kind the loaded domains declare (the form requires each), two of them changed."""
    form = {preference_field(kind): "in_app" for kind in declared_kinds()}
    return {**form, "channel-document-added": "email", "channel-account-approved": "off"}


def own_notification(world: World, who: str) -> int:
    """A notification of the caller (of a delegate, for the anonymous caller, who is refused before it matters).
    Added as a row: `notify` tells active accounts only, and the pending caller must have one too."""
    user = world.users.get(who) or world.users["us_delegate"]
    notification = Notification(user_id=user.id, kind="document.added", subject="Matrix", body="", params={})
    world.db.add(notification)
    world.db.commit()
    return notification.id


def with_unread(path: str) -> Callable[[World, str], str]:
    """The path, once the caller has an unread notification: "mark all as read" then always changes something."""

    def build(world: World, who: str) -> str:
        own_notification(world, who)
        return path

    return build


ROWS: dict[tuple[str, str], Row] = {
    ("GET", f"{ME}/notifications"): Row(SIGNED_IN, 200, f"{ME}/notifications?unread=true"),
    ("POST", f"{ME}/notifications/read-all"): Row(SIGNED_IN, 200, with_unread(f"{ME}/notifications/read-all"), json={}),
    ("POST", f"{ME}/notifications/{{notification_id}}/read"): Row(
        SIGNED_IN, 200, lambda w, p: f"{ME}/notifications/{own_notification(w, p)}/read", json={}
    ),
    ("GET", f"{ME}/notification-preferences"): Row(SIGNED_IN, 200, f"{ME}/notification-preferences"),
    ("PUT", f"{ME}/notification-preferences"): Row(
        SIGNED_IN, 200, f"{ME}/notification-preferences", json={"channels": {"document.added": "off"}}
    ),
    ("GET", "/notifications"): page_row(SIGNED_IN, 200, "/notifications"),
    ("POST", "/notifications/read-all"): page_row(SIGNED_IN, 303, with_unread("/notifications/read-all")),
    ("POST", "/notifications/{notification_id}/read"): page_row(
        SIGNED_IN, 303, lambda w, p: f"/notifications/{own_notification(w, p)}/read"
    ),
    ("GET", "/profile/notifications"): page_row(SIGNED_IN, 200, "/profile/notifications"),
    ("POST", "/profile/notifications"): page_row(SIGNED_IN, 303, "/profile/notifications", data=preferences_form),
}
