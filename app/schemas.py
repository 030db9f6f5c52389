"""Schemas shared by every domain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

from app.deps import PageRequest

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int

    @classmethod
    def of(cls, items: Sequence[T], page: PageRequest, total: int) -> PageOut[T]:
        return cls(items=list(items), page=page.number, per_page=page.size, total=total)
