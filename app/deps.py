"""The `Annotated` dependencies every router uses, so none is spelled inline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Path, Query, Request
from sqlalchemy.orm import Session

from app.config import Settings, get_settings
from app.errors import InvalidInput
from app.routing import request_session

DbSession = Annotated[Session, Depends(request_session)]

# Database ids are 32-bit on every backend we run: a larger number is refused (422), never a database error.
MAX_ID = 2_147_483_647
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
AppSettings = Annotated[Settings, Depends(get_settings)]

DEFAULT_PAGE_SIZE = 20


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_request(
    request: Request,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=500, description="Items per page (bounded by the server)")] = (
        DEFAULT_PAGE_SIZE
    ),
) -> PageRequest:
    limit = request.app.state.settings.max_page_size
    if per_page > limit:
        raise InvalidInput(f"per_page must be at most {limit}")
    return PageRequest(number=page, size=per_page)


Page = Annotated[PageRequest, Depends(page_request)]
