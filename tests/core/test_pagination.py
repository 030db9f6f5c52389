"""The list kit against the real database: offset pages with a total that costs a query only when needed, and
keyset pages that walk a long queue in order without repeating or skipping a row."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.pagination import PageRequest, keyset_page, paginate
from app.users.models import Role, User


def _people(make_user: Callable[..., User], count: int) -> list[User]:
    return [make_user(Role.delegate, "US", email=f"page{i}@gov.example") for i in range(count)]


def _count_statements(db: Session) -> list[str]:
    seen: list[str] = []
    event.listen(db.get_bind(), "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_offset_pages_cover_every_row_once_and_count_only_when_needed(db: Session, make_user) -> None:
    people = _people(make_user, 7)
    ids = {p.id for p in people}
    query = select(User).where(User.id.in_(ids))
    seen: list[int] = []
    for number in (1, 2, 3):
        result = paginate(db, query, PageRequest(number, 3), order_by=(User.id,))
        assert result.total == 7 and result.pages == 3
        seen += [u.id for u in result.items]
    assert seen == sorted(ids)
    last = paginate(db, query, PageRequest(3, 3), order_by=(User.id,))
    assert not last.has_next and len(last.items) == 1

    statements = _count_statements(db)
    paginate(db, query, PageRequest(3, 3), order_by=(User.id,))
    assert not any("count(" in s.lower() for s in statements), "the last page knows its total without counting"
    paginate(db, query, PageRequest(1, 3), order_by=(User.id,))
    assert any("count(" in s.lower() for s in statements), "a full first page needs the count"


def test_a_page_past_the_end_is_empty_with_the_true_total(db: Session, make_user) -> None:
    people = _people(make_user, 2)
    query = select(User).where(User.id.in_([p.id for p in people]))
    result = paginate(db, query, PageRequest(5, 10), order_by=(User.id,))
    assert list(result.items) == [] and result.total == 2


def test_keyset_pages_walk_in_order_both_ways(db: Session, make_user) -> None:
    people = _people(make_user, 5)
    ids = [p.id for p in people]
    query = select(User).where(User.id.in_(ids))
    for descending in (False, True):
        walked: list[int] = []
        after = None
        while True:
            page = keyset_page(db, query, key=(User.created_at, User.id), after=after, size=2, descending=descending)
            walked += [u.id for u in page.items]
            if page.after is None:
                break
            after = page.after
        expected = [u.id for u in sorted(people, key=lambda u: (u.created_at, u.id), reverse=descending)]
        assert walked == expected
