"""Rendered answers of read-only routes, shared by every worker and never stale.

A route opts in with `@cached_response`. The key holds everything that can change the answer: method, path and
query, language, time zone, and who asks (user id and access version, or anonymous; the version changes with
role, status, country, groups, clearance or profile: app/auth/access_version.py). Each entry carries the data
version it was rendered at (app/core/data_version.py), read before the handler ran; an entry is served only
while that is still the current version, so a write is never followed by a stale page.

The key also holds the session's CSRF token, which pages with forms (the sign-out button) carry. An answer is
stored only when it is a 200 that wrote nothing, minted no CSRF token and showed no flash message
(`app.core.routing.mark_personal`).
Entries live in the database (`page_cache`) or in Redis when REDIS_URL is set; the version always comes from the
database, in the request's own transaction.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import Request, Response
from sqlalchemy import BigInteger, LargeBinary, String, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.access.policy import current_principal
from app.core import data_version
from app.core.data_version import DataVersion
from app.core.db import Base, utcnow
from app.core.routing import CACHED_RESPONSE, request_session
from app.web.templating import FLASH_KEY, negotiate_language, time_zone_of

log = logging.getLogger("app.web.page_cache")

F = TypeVar("F", bound=Callable[..., Any])


def cached_response(endpoint: F) -> F:
    """Marks a sync GET route whose 200 answers may be cached (TransactionalRoute asks the cache first)."""
    setattr(endpoint, CACHED_RESPONSE, True)
    return endpoint


class PageCacheEntry(Base):
    __tablename__ = "page_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    data_version: Mapped[int] = mapped_column(BigInteger)
    stored_at: Mapped[datetime]
    media_type: Mapped[str] = mapped_column(String(100))
    content_language: Mapped[str | None] = mapped_column(String(8))
    body: Mapped[bytes] = mapped_column(LargeBinary)


@dataclass(frozen=True)
class Cached:
    media_type: str
    content_language: str | None
    body: bytes

    def response(self) -> Response:
        headers = {"x-cache": "hit"}
        if self.content_language:
            headers["content-language"] = self.content_language
        return Response(self.body, media_type=self.media_type, headers=headers)


class ResponseCache:
    def __init__(self, *, ttl: timedelta, max_body_bytes: int = 2_000_000, redis_url: str | None = None) -> None:
        self.ttl = ttl
        self.max_body_bytes = max_body_bytes
        self.redis: Any = None
        if redis_url:
            import redis  # late: only deployments with Redis load the client

            self.redis = redis.Redis.from_url(redis_url, socket_timeout=0.5)

    async def lookup(self, request: Request) -> Response | None:
        if FLASH_KEY in request.session:
            return None  # the page must show (and use up) this session's message
        principal = await current_principal(request)
        who: list[object] = ["user", principal.user_id, principal.access_version, principal.via_token]
        if not principal.is_authenticated:
            who = ["anonymous"]
        parts: list[object] = [request.method, request.url.path, sorted(request.query_params.multi_items()), who]
        # The session's CSRF token: a page with forms carries it, so such a page is only ever served back to the
        # session it was rendered for (a page that had to mint the token is not stored at all).
        parts += [negotiate_language(request), time_zone_of(principal), request.session.get("csrf")]
        key = hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()
        request.state.cache_key = key
        found = self._fetch(request_session(request), key)
        return found.response() if found is not None else None

    def _fetch(self, session: Session, key: str) -> Cached | None:
        oldest = utcnow() - self.ttl
        if self.redis is not None:
            version = data_version.current(session)
            self._remember_version(session, version)
            return self._from_redis(key, version) if version is not None else None
        entry = PageCacheEntry
        row = session.execute(
            select(DataVersion.value, entry.media_type, entry.content_language, entry.body)
            .outerjoin(
                entry,
                and_(entry.key == key, entry.data_version == DataVersion.value, entry.stored_at > oldest),
            )
            .where(DataVersion.id == 1)
        ).one_or_none()
        self._remember_version(session, row.value if row is not None else None)
        if row is None or row.body is None:
            return None
        return Cached(row.media_type, row.content_language, row.body)

    @staticmethod
    def _remember_version(session: Session, version: int | None) -> None:
        # The version the page is about to be rendered at: read before any of its data, so an entry can only be
        # labelled with a version older than what it shows (never served once a newer one commits), never newer.
        session.info["page_cache_version"] = version

    def store(self, request: Request, response: Response) -> None:
        key: str | None = getattr(request.state, "cache_key", None)
        session = request_session(request)
        version = session.info.pop("page_cache_version", None)
        if (
            key is None
            or version is None
            or response.status_code != 200
            or getattr(request.state, "personal_answer", False)
            or data_version.wrote(session)
            or "set-cookie" in response.headers
            or not isinstance(getattr(response, "body", None), bytes)
            or len(response.body) > self.max_body_bytes
        ):
            return
        media_type = response.headers.get("content-type", response.media_type or "application/octet-stream")
        language = response.headers.get("content-language")
        if self.redis is not None:
            self._to_redis(key, version, Cached(media_type, language, bytes(response.body)))
            return
        row = {
            "key": key,
            "data_version": version,
            "stored_at": utcnow(),
            "media_type": media_type,
            "content_language": language,
            "body": bytes(response.body),
        }
        try:
            # A cache write must never fail or slow the answer: a busy database just means no entry this time.
            with session.begin_nested():
                connection = session.connection()
                connection.execute(delete(PageCacheEntry).where(PageCacheEntry.key == key))
                connection.execute(insert(PageCacheEntry).values(row))
        except (OperationalError, IntegrityError):  # busy, or another worker stored the same key just now
            log.info("page not cached: database busy")

    def _redis_key(self, key: str, version: int) -> str:
        return f"quad:page:{version}:{key}"

    def _from_redis(self, key: str, version: int) -> Cached | None:
        try:
            raw = self.redis.get(self._redis_key(key, version))
        except Exception:  # a cache that is down is a miss, never an error page
            log.warning("page cache (Redis) unavailable", exc_info=True)
            return None
        if raw is None:
            return None
        head, _, body = raw.partition(b"\n")
        media_type, _, language = head.decode().partition("\t")
        return Cached(media_type, language or None, body)

    def _to_redis(self, key: str, version: int, cached: Cached) -> None:
        head = f"{cached.media_type}\t{cached.content_language or ''}".encode()
        try:
            self.redis.set(self._redis_key(key, version), head + b"\n" + cached.body, ex=int(self.ttl.total_seconds()))
        except Exception:
            log.warning("page cache (Redis) unavailable", exc_info=True)


def purge_expired(session: Session, ttl: timedelta) -> int:
    """Drops entries past their time to live or older than the current data version (`quad cache purge`)."""
    current = data_version.current(session) or 0
    result = session.connection().execute(
        delete(PageCacheEntry).where(
            (PageCacheEntry.stored_at <= utcnow() - ttl) | (PageCacheEntry.data_version < current)
        )
    )
    return int(result.rowcount or 0)
