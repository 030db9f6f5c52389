"""Enums that carry their own translatable labels, so a template prints `gettext(member.label)` and never keeps an
if/elif chain of names (where a new member would fall silently into the `else`). A test walks every
`LabelledEnum` and fails on a member without a label."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class LabelledEnum(StrEnum):
    """Subclasses set `__labels__ = {"member": N_("Label"), ...}` right after their members."""

    __labels__: ClassVar[dict[str, str]]

    @property
    def label(self) -> str:
        """The English label, marked with N_(): templates translate it with gettext."""
        labels: dict[str, str] = type(self).__labels__
        return labels[str(self.value)]
