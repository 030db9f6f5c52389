"""One permissions interface for every domain: an enum of actions, one check, one refusal message per action.

Each domain's permissions.py builds a `Rules` over its own action enum. Services call `require` as the first
line of every write; pages take their booleans from `allowed`, so a template never re-derives a rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

from app.access.principal import Principal
from app.core.errors import Forbidden

A = TypeVar("A", bound=StrEnum)
T = TypeVar("T")


@dataclass(frozen=True)
class Rules(Generic[A, T]):
    check: Callable[[Principal, A, T], bool]
    # One translatable (N_) message per action; `app.access` tests assert every member has one.
    denied: Mapping[A, str]

    def allows(self, principal: Principal, action: A, obj: T) -> bool:
        return self.check(principal, action, obj)

    def require(self, principal: Principal, action: A, obj: T) -> None:
        if not self.check(principal, action, obj):
            raise Forbidden(self.denied[action])

    def allowed(self, principal: Principal, obj: T) -> frozenset[A]:
        """Every action the principal may take on obj: the booleans a page shows its buttons by."""
        return frozenset(action for action in self.denied if self.check(principal, action, obj))
