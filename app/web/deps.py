"""The `Annotated` dependencies every router uses, so none is spelled inline."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Form, Path, Query
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from app.core.routing import request_session

DbSession = Annotated[Session, Depends(request_session)]

# Database ids are 32-bit on every backend we run: a larger number is refused (422), never a database error.
MAX_ID = 2_147_483_647
ObjectId = Annotated[int, Path(ge=1, le=MAX_ID)]
FormId = Annotated[int, Form(ge=1, le=MAX_ID)]
AppSettings = Annotated[Settings, Depends(get_settings)]


def page_request(
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = DEFAULT_PAGE_SIZE,
) -> PageRequest:
    return PageRequest(number=page, size=per_page)


def uncounted_page_request(
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number, from 1")] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Items per page")] = DEFAULT_PAGE_SIZE,
) -> PageRequest:
    return PageRequest(number=page, size=per_page, count_total=False)


# A page of a list with its exact total (the API's PageOut, pages that show "N people").
Page = Annotated[PageRequest, Depends(page_request)]
# A page of a list people browse with previous/next: no count(*) (app/core/pagination.py says when it costs).
UncountedPage = Annotated[PageRequest, Depends(uncounted_page_request)]

# The optional reason a confirmation page (withdraw, reject, remove, revoke) sends; kept on the audit trail.
FormReason = Annotated[str, Form()]
