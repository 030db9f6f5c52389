"""Enums that carry their own translatable labels, so a template prints `{{ member|label }}` and never keeps an
if/elif chain of names (where a new member would fall silently into the `else`). tests/test_labels.py walks
every `LabelledEnum` and fails on a member without a label or a label the Japanese catalog lacks.

Each subclass is also registered by its class name, so a template holding a raw stored value (an audit record's
"from"/"to" role, a group's technology area) can still ask for its label: `{{ value|label("Role") }}`, without
the web layer importing the domain that declares the enum.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

_KINDS: dict[str, type[LabelledEnum]] = {}


class LabelledEnum(StrEnum):
    """Subclasses set `__labels__ = {"value": N_("Label"), ...}` right after their members."""

    __labels__: ClassVar[dict[str, str]]

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        known = _KINDS.get(cls.__name__)
        if known is not None and (known.__module__, known.__qualname__) != (cls.__module__, cls.__qualname__):
            raise TypeError(f"two LabelledEnum classes are named {cls.__name__}: templates could not tell them apart")
        _KINDS[cls.__name__] = cls

    @property
    def label(self) -> str:
        """The English label, marked with N_(): templates translate it with gettext."""
        labels: dict[str, str] = type(self).__labels__
        return labels[str(self.value)]


def labelled_kind(name: str) -> type[LabelledEnum]:
    """The loaded `LabelledEnum` subclass with this class name."""
    try:
        return _KINDS[name]
    except KeyError:
        raise LookupError(f"no LabelledEnum named {name!r} is loaded") from None


def labelled_kinds() -> list[type[LabelledEnum]]:
    """Every loaded subclass that has members (abstract bases such as AuditAction have none)."""
    return [kind for kind in _KINDS.values() if len(kind.__members__) > 0]


def label_of(kind: str, value: object) -> str | None:
    """The English label of a raw stored value, or None when the enum does not (or no longer) declare it."""
    try:
        member = labelled_kind(kind)(str(value))
    except ValueError:
        return None
    return member.label
