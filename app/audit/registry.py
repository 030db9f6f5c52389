"""What an audit action means, declared by the domain that records it.

Each domain subclasses `AuditAction` in its events.py: the stored value ("document.create"), a translatable label
for people (the activity feed, account history), and whether the action is news for a group's members. The audit
module never lists another domain's actions; the feed asks the registry.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.labels import LabelledEnum

_DECLARED: list[type[AuditAction]] = []


class AuditAction(LabelledEnum):
    """Subclasses set `__labels__` (every member) and `__news__` (the members that appear in the news feed)."""

    __news__: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        _DECLARED.append(cls)

    @property
    def is_news(self) -> bool:
        news: frozenset[str] = type(self).__news__
        return self.value in news


def declared() -> list[type[AuditAction]]:
    return list(_DECLARED)


def news_actions() -> tuple[str, ...]:
    members: list[AuditAction] = [member for kind in _DECLARED for member in kind]
    return tuple(sorted(str(member.value) for member in members if member.is_news))


def lookup(value: str) -> AuditAction | None:
    """The declared action for a stored value, or None for one no longer declared."""
    for kind in _DECLARED:
        try:
            return kind(value)
        except ValueError:
            continue
    return None
