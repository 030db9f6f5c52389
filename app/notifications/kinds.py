"""What a notification is about, declared by the domain that sends it (as events.py declares audit actions).

Each domain subclasses `NotificationKind` in its notices.py: the stored value ("document.added"), a translatable
label for the preferences page, and the channel a person gets until they choose (`__defaults__`). The
notifications domain never lists another domain's kinds; the preferences page asks `declared_kinds()`.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.errors import N_
from app.core.labels import LabelledEnum


class Channel(LabelledEnum):
    """How a person hears of one kind of notification. `email` keeps the notification in the app too, so the
    list at /notifications is always the whole story; only `off` records nothing."""

    in_app = "in_app"
    email = "email"
    off = "off"

    __labels__ = {
        "in_app": N_("In the app"),
        "email": N_("In the app and by email"),
        "off": N_("Off"),
    }


_DECLARED: list[type[NotificationKind]] = []


class NotificationKind(LabelledEnum):
    """Subclasses set `__labels__` (every member, phrased for the preferences page) and `__defaults__` (every
    member's channel before the person chooses one)."""

    __defaults__: ClassVar[dict[str, Channel]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _DECLARED.append(cls)

    @property
    def key(self) -> str:
        """The stored value ("document.added")."""
        return str(self.value)

    @property
    def default_channel(self) -> Channel:
        defaults: dict[str, Channel] = type(self).__defaults__
        return defaults[self.key]


def declared_kinds() -> list[NotificationKind]:
    """Every kind any loaded domain declares, in declaration order."""
    return [member for kind in _DECLARED for member in kind]


def lookup(value: str) -> NotificationKind | None:
    """The declared kind for a stored value, or None for one no longer declared."""
    return next((member for member in declared_kinds() if member.key == value), None)
