"""What the notifications API and pages share: the route gates, the path loader, and the preferences form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import Depends, Request

from app.access.policy import CurrentPrincipal, SignedInPrincipal
from app.core.errors import N_
from app.notifications import service
from app.notifications.kinds import Channel, NotificationKind
from app.notifications.models import Notification
from app.web.deps import DbSession, ObjectId
from app.web.forms import FormReader

# Anyone signed in has their own notifications (a pending account too: it hears when it is approved).
NotificationsOwner = SignedInPrincipal


# Routes name the policy before this loader, so a signed-out caller is told to sign in rather than "not found".
def own_notification(notification_id: ObjectId, db: DbSession, principal: CurrentPrincipal) -> Notification:
    return service.own_notification(db, principal, notification_id)


OwnNotification = Annotated[Notification, Depends(own_notification)]


async def preferences_form(request: Request) -> dict[str, str]:
    """The preferences form as sent: one radio group per declared kind, so its fields are not known up front."""
    form = await request.form()
    return {name: value for name, value in form.items() if isinstance(value, str)}


PreferencesFormData = Annotated[dict[str, str], Depends(preferences_form)]


def preference_field(kind: NotificationKind) -> str:
    """The form's radio group of one kind (dots are awkward in ids)."""
    return "channel-" + kind.key.replace(".", "-")


def read_preferences_form(form: Mapping[str, str], kinds: list[NotificationKind]) -> dict[NotificationKind, Channel]:
    """Each kind's radio group; one left unanswered or sent with a value not on offer is that group's error."""
    reader = FormReader(order=[preference_field(kind) for kind in kinds])
    choices: dict[NotificationKind, Channel] = {}
    for kind in kinds:
        name = preference_field(kind)
        channel = reader.choice(
            Channel, form.get(name, ""), field=name, message=N_("choose in the app, by email or off")
        )
        if channel is not None:
            choices[kind] = channel
    reader.done()
    return choices


def preferences_from_api(channels: Mapping[str, Channel]) -> dict[NotificationKind, Channel]:
    return {service.parse_kind(key, field=f"channels.{key}"): channel for key, channel in channels.items()}
