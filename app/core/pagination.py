"""One list kit: a page request, a paginated result, and the two ways to fetch one (offset and keyset).

Every list service returns `Paginated[T]`; the API turns it into `PageOut` and pages into the pager macro
(templates/_macros/pager.html), so no list invents its own paging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.interfaces import ORMOption

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_PAGE_SIZE = 20
# Fixed rather than a setting, so the API description states exactly what the server accepts.
MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class PageRequest:
    number: int = 1
    size: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Paginated(Generic[T]):
    items: Sequence[T]
    total: int
    page: PageRequest

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page.size))

    @property
    def has_next(self) -> bool:
        return self.page.number < self.pages

    def map(self, convert: Callable[[T], U]) -> Paginated[U]:
        return Paginated([convert(item) for item in self.items], self.total, self.page)


def paginate(
    session: Session,
    query: Select[Any],
    page: PageRequest,
    *,
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    options: Sequence[ORMOption] = (),
    scalars: bool = True,
) -> Paginated[Any]:
    """One page of a query, and the total. The total costs no second query when this page is the last one.

    `order_by` must end with a unique column, so pages neither repeat nor skip rows. `scalars=False` returns
    rows (for Core queries selecting several columns)."""
    statement = query.options(*options).order_by(*order_by).offset(page.offset).limit(page.size)
    result = session.execute(statement)
    rows: Sequence[Any] = result.scalars().all() if scalars else result.all()
    if len(rows) < page.size and (rows or page.offset == 0):
        return Paginated(rows, page.offset + len(rows), page)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    return Paginated(rows, total, page)


@dataclass(frozen=True)
class KeysetPage(Generic[T]):
    """A page of a long queue read in order without OFFSET: `after` is the last row's key, for the next page."""

    items: Sequence[T]
    after: tuple[Any, ...] | None


def keyset_page(
    session: Session,
    query: Select[Any],
    *,
    key: tuple[InstrumentedAttribute[Any], InstrumentedAttribute[Any]],
    after: tuple[Any, Any] | None,
    size: int,
    descending: bool = False,
) -> KeysetPage[Any]:
    """The `size` rows after `after` in (key[0], key[1]) order; key[1] must be unique (the id). Costs the same on
    page 500 as on page 1, where OFFSET reads and discards every row before."""
    first, second = key
    if after is not None:
        position = tuple_(first, second)
        query = query.where(position < tuple_(*after) if descending else position > tuple_(*after))
    order = (first.desc(), second.desc()) if descending else (first, second)
    rows = session.scalars(query.order_by(*order).limit(size + 1)).all()
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if rows and more else None
    return KeysetPage(rows, (getattr(last, first.key), getattr(last, second.key)) if last is not None else None)
