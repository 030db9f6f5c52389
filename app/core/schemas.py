"""Schemas shared by every domain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.core.pagination import Paginated

T = TypeVar("T")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    page: int
    per_page: int
    total: int = Field(description="How many items the whole list has")
    has_next: bool = Field(description="Whether a next page has items")

    @classmethod
    def of(cls, result: Paginated[Any], item: Callable[[Any], T]) -> PageOut[T]:
        """`result` of a counted request (`PageRequest.count_total`, the API's `Page`), so `total` is known."""
        return cls(
            items=[item(row) for row in result.items],
            page=result.page.number,
            per_page=result.page.size,
            total=result.counted_total,
            has_next=result.has_next,
        )
