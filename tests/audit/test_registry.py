"""Audit actions are declared by their domains: each has a label people can read, the news feed is derived from
the declarations, and `record` is the only place that appends an event."""

from __future__ import annotations

import ast
from pathlib import Path

from fastapi import FastAPI

from app.audit import registry
from app.auth.events import AuthEvent
from app.documents.events import DocumentEvent
from app.groups.events import GroupEvent
from app.users.events import UserEvent

APP_DIR = Path(__file__).resolve().parents[2] / "app"


def test_every_domain_declares_its_actions_with_labels(app: FastAPI) -> None:
    declared = set(registry.declared())
    assert {AuthEvent, DocumentEvent, GroupEvent, UserEvent} <= declared
    for kind in declared:
        for member in kind:
            assert member.label, f"{kind.__name__}.{member.name} has no label"
            assert member.value.count(".") == 1, f"{member.value}: actions are named '<realm>.<verb>'"


def test_news_is_what_the_domains_flag_and_nothing_else() -> None:
    news = set(registry.news_actions())
    assert {"group.create", "document.create", "document.withdraw", "document.reinstate"} <= news
    # Reads, refusals, sign-ins and account changes stay on the audit trail only.
    assert not news & {"document.content_read", "document.content_refused", "auth.sign_in", "user.change"}


def test_a_stored_action_is_looked_up_and_an_unknown_one_is_none() -> None:
    assert registry.lookup("document.version_add") is DocumentEvent.version_add
    assert registry.lookup("no.such") is None


def test_record_is_the_only_place_that_builds_an_audit_event() -> None:
    builders = []
    for path in APP_DIR.rglob("*.py"):
        if path.relative_to(APP_DIR).as_posix() == "audit/service.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "AuditEvent":
                builders.append(f"{path.relative_to(APP_DIR)}:{node.lineno}")
    assert not builders, f"append audit events through app.audit.service.record: {builders}"
