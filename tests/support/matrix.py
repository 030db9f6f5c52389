"""What the access matrix is made of: the people, the world they act in, and one row per route.

Each domain lists its routes in tests/<domain>/matrix_rows.py; tests/auth/test_access_matrix.py merges them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.auth import service as auth_service
from app.groups import service as groups_service
from app.groups.models import WorkingGroup
from app.users.models import Role, User, UserStatus
from tests.support.documents import make_document

PRINCIPALS = ("anonymous", "pending", "industry", "observer", "us_delegate", "jp_delegate", "secretariat", "admin")
SIGNED_IN = set(PRINCIPALS) - {"anonymous"}
ACTIVE = SIGNED_IN - {"pending"}
STAFF = {"secretariat", "admin"}


@dataclass
class World:
    db: Session
    app: FastAPI
    users: dict[str, User]
    group: WorkingGroup
    document_id: int
    make_user: Callable[..., User]
    counter: int = 0

    @property
    def group_slug(self) -> str:
        return self.group.slug

    def fresh_document(self) -> int:
        """A document of the US delegation that the call may change or withdraw."""
        return make_document(self.db, self.app, self.users["us_delegate"], self.group).id

    def fresh_member(self) -> int:
        self.counter += 1
        user = self.make_user(Role.delegate, "AU", email=f"m{self.counter}@gov.example")
        groups_service.add_member(self.db, SYSTEM, self.group, user)
        self.db.commit()
        return user.id

    def fresh_slug(self) -> str:
        self.counter += 1
        return f"new-group-{self.counter}"

    def token_id_of(self, who: str) -> int:
        user = self.users.get(who) or self.users["us_delegate"]
        token, _ = auth_service.create_token(self.db, SYSTEM, user, name="matrix")
        self.db.commit()
        return token.id

    def fresh_pending(self) -> int:
        self.counter += 1
        return self.make_user(Role.industry, "AU", status=UserStatus.pending, email=f"p{self.counter}@co.example").id

    def fresh_delegate(self) -> int:
        self.counter += 1
        return self.make_user(Role.delegate, "IN", email=f"d{self.counter}@gov.example").id


@dataclass
class Row:
    """One route: who may call it, what a permitted call answers, and how to build the request."""

    allowed: set[str]
    ok: int
    path: Callable[[World, str], str] | str
    json: dict[str, Any] | Callable[[World], dict[str, Any]] | None = None
    data: dict[str, str] | Callable[[World], dict[str, str]] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes, str]] | None = None
    denied: int | None = None  # when everyone outside `allowed` gets one fixed answer (e.g. 404)


def page_row(allowed: set[str], ok: int, path: Callable[[World, str], str] | str, **kw: Any) -> Row:
    return Row(allowed, ok, path, **kw)


EVERYONE = set(PRINCIPALS)
QUAD_READERS = {"observer", "us_delegate", "jp_delegate", "secretariat", "admin"}
US_EDITORS = {"us_delegate", "secretariat", "admin"}  # the document owner's delegation and the secretariat
TEXT_FILE = {"file": ("note.txt", b"Hello.\n\nA new paragraph.\n", "text/plain")}
DOC = "/api/v1/documents"
UPLOAD_FORM = {"title": "Matrix paper", "doc_type": "contribution", "visibility": "group", "owner": "US"}
