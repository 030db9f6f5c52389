"""One list kit: a page request, a paginated result, and the two ways to fetch one (offset and keyset).

Every list service returns `Paginated[T]`; the API turns it into `PageOut` and pages into the pager macro
(templates/_macros/pager.html), so no list invents its own paging.

**Whether there is a next page** is known without counting: `paginate` fetches `LIMIT size + 1` rows and keeps
`size`; the extra row, when it comes, says "there is more".

**The total** (`Paginated.total`) is free when this page is the last one (the rows before it plus its own). A
full page with more after it costs a `count(*)`, which on a large filtered list costs more than the page itself,
so it runs only when the request asks for it (`PageRequest.count_total`):

* the API asks (`Page` in app/web/deps.py): `PageOut.total` stays an exact number, as scripts read it, and is
  counted only when the page is full and more follow (never on the last page); `PageOut.has_next` says the
  same without arithmetic;
* list pages that people browse with previous/next (the home page's groups, a group's documents) do not
  (`UncountedPage`): the pager shows "Page 3" and the links, and "of 12" only when the total is known free.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, func, literal, select, tuple_
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
    # Count the whole list when this page does not tell the total by itself (one count(*) query).
    count_total: bool = True

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


@dataclass(frozen=True)
class Paginated(Generic[T]):
    items: Sequence[T]
    total: int | None  # None: not counted (a full page with more after it, and the request did not ask)
    page: PageRequest
    # Known from the extra row `paginate` fetches; required, so no list forgets it (the pager's "next" needs it).
    has_next: bool

    @property
    def pages(self) -> int | None:
        """How many pages there are, when the total is known."""
        return None if self.total is None else max(1, -(-self.total // self.page.size))

    @property
    def counted_total(self) -> int:
        """The total of a counted request (`PageRequest.count_total`), where it is always known."""
        if self.total is None:
            raise ValueError("this list was fetched without counting: PageRequest(count_total=False)")
        return self.total

    @property
    def first_number(self) -> int:
        """The position of this page's first item in the whole list (from 1), for "items 21-40"."""
        return self.page.offset + 1

    @property
    def last_number(self) -> int:
        return self.page.offset + len(self.items)

    def map(self, convert: Callable[[T], U]) -> Paginated[U]:
        return Paginated([convert(item) for item in self.items], self.total, self.page, self.has_next)


def paginate(
    session: Session,
    query: Select[Any],
    page: PageRequest,
    *,
    order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]],
    options: Sequence[ORMOption] = (),
    scalars: bool = True,
) -> Paginated[Any]:
    """One page of a query (`LIMIT size + 1`, so the next page is known without counting), and the total when
    it is free or `page.count_total` asks for it (see the module's docstring).

    `order_by` must end with a unique column, so pages neither repeat nor skip rows. `scalars=False` returns
    rows (for Core queries selecting several columns)."""
    result = session.execute(limited(query.options(*options), page, order_by))
    return page_of(session, result.scalars().all() if scalars else result.all(), query, page)


def limited(
    query: Select[Any], page: PageRequest, order_by: Sequence[ColumnElement[Any] | InstrumentedAttribute[Any]]
) -> Select[Any]:
    """The statement of one page, with the one row more that tells whether a next page exists. For a list that
    computes columns per row (aggregates of children), select them around it as a subquery, so they are computed
    for the page's rows only (SQLite computes a select list before sorting), then make the result with `page_of`."""
    return query.order_by(*order_by).offset(page.offset).limit(page.size + 1)


def page_of(session: Session, rows: Sequence[Any], query: Select[Any], page: PageRequest) -> Paginated[Any]:
    """The page from the rows of `limited(query, ...)`: the extra row dropped, the total when free or asked."""
    has_next = len(rows) > page.size
    rows = rows[: page.size]
    total: int | None = None
    if not has_next and (rows or page.offset == 0):
        total = page.offset + len(rows)
    elif page.count_total:
        total = count_of(session, query)
    return Paginated(rows, total, page, has_next)


def count_of(session: Session, query: Select[Any]) -> int:
    """How many rows `query` has, without computing its columns (only its FROM and WHERE are kept)."""
    rows = query.order_by(None).with_only_columns(literal(1), maintain_column_froms=True)
    return session.scalar(select(func.count()).select_from(rows.subquery())) or 0


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
