"""The `quad` command (also `python -m app`). Bad input: one line on stderr, exit status 2, nothing written."""

from __future__ import annotations

import argparse
import os
import socket
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.access.principal import SYSTEM
from app.core.config import InsecureSettingsError, get_settings
from app.core.db import build_engine, build_sessionmaker
from app.core.errors import DomainError
from app.core.pagination import PageRequest

EXIT_BAD_INPUT = 2


@contextmanager
def transaction() -> Iterator[Session]:
    """One transaction for the whole command: committed only if the command finished without error."""
    import app.models  # noqa: F401  (every table known, so foreign keys resolve whatever the command imports)

    engine = build_engine(get_settings().resolved_database_url())
    try:
        with build_sessionmaker(engine)() as session, session.begin():
            yield session
    finally:
        engine.dispose()


def cmd_db_upgrade(args: argparse.Namespace) -> None:
    from alembic import command

    from app.core.migrations_state import alembic_config

    command.upgrade(alembic_config(get_settings().resolved_database_url()), args.revision)
    print(f"database upgraded to {args.revision}")


def cmd_db_downgrade(args: argparse.Namespace) -> None:
    from alembic import command

    from app.core.migrations_state import alembic_config

    command.downgrade(alembic_config(get_settings().resolved_database_url()), args.revision)
    print(f"database downgraded to {args.revision}")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    from app.demo import database_is_empty, seed_demo
    from app.storage import storage_from_settings

    with transaction() as session:
        if args.if_empty and not database_is_empty(session):
            print("database already has data; demo data not loaded")
            return
        added = seed_demo(session, storage_from_settings(get_settings()))
    print("demo data: " + ", ".join(f"{count} {kind} added" for kind, count in added.items()))


def cmd_users_create(args: argparse.Namespace) -> None:
    from app.users import service as users
    from app.users.models import UserStatus

    with transaction() as session:
        user = users.create_user(
            session,
            SYSTEM,
            email=args.email,
            display_name=args.name,
            role=users.parse_role(args.role),
            country=args.country,
            organisation=args.org,
            status=UserStatus(args.status),
        )
        where = f", {user.country_code}" if user.country_code else ""
        summary = f"created user {user.id}: {user.email} ({user.role.value}{where})"
    print(summary)


def cmd_users_list(args: argparse.Namespace) -> None:
    from app.users import service as users

    if args.limit < 1:
        raise ValueError("--limit must be at least 1")
    with transaction() as session:
        listed = users.list_users(session, SYSTEM, PageRequest(1, args.limit))
        found, total = listed.items, listed.total
        for user in found:
            print(
                f"{user.id}\t{user.email}\t{user.display_name}\t{user.role.value}\t"
                f"{user.country_code or '-'}\t{user.status.value}"
            )
    if total > len(found):
        print(f"({total - len(found)} more; use --limit)", file=sys.stderr)


def cmd_tokens_create(args: argparse.Namespace) -> None:
    from app.auth import service as auth_service
    from app.users import service as users

    with transaction() as session:
        user = users.require_by_email(session, args.email)
        days = None if args.no_expiry else args.expires_days
        _, raw = auth_service.create_token(session, SYSTEM, user, name=args.name, expires_days=days)
    print(raw)


def cmd_cache_purge(args: argparse.Namespace) -> None:
    """Drops page-cache entries that can no longer be served (older than the data or past their time to live);
    they are harmless but take space. Safe to run at any time, e.g. daily from cron."""
    from app.web.page_cache import purge_expired

    with transaction() as session:
        removed = purge_expired(session, timedelta(seconds=get_settings().page_cache_ttl_seconds))
    print(f"removed {removed} page-cache entries")


def cmd_storage_check(args: argparse.Namespace) -> None:
    """Storage against the database: objects no version refers to (an upload that never committed) and
    versions whose object is gone. --fix removes the first kind once older than the grace period."""
    from datetime import timedelta

    from sqlalchemy import select

    from app.core.db import utcnow
    from app.documents.models import DocumentVersion
    from app.storage import storage_from_settings

    settings = get_settings()
    storage = storage_from_settings(settings)  # also sweeps temporary folders of ended processes
    grace = timedelta(hours=args.grace_hours if args.grace_hours is not None else settings.storage_grace_hours)
    if grace < timedelta(0):
        raise ValueError("--grace-hours must not be negative")
    # Rows first, objects second: an upload committing in between shows as referenced, never as stray.
    with transaction() as session:
        referenced = set(session.scalars(select(DocumentVersion.sha256).distinct()))
    stored = {obj.key: obj for obj in storage.iter_objects()}
    now = utcnow()
    missing = sorted(referenced - stored.keys())
    stray = sorted((obj for key, obj in stored.items() if key not in referenced), key=lambda o: o.modified)
    removed = kept = 0
    for key in missing:
        print(f"missing\t{key}\treferred to by a version, not in storage")
    for obj in stray:
        age = now - obj.modified
        hours = age.total_seconds() / 3600
        if args.fix and age >= grace:
            # Checked again just before removal: a row committed since the listing keeps its object.
            with transaction() as session:
                still_unreferenced = (
                    session.scalar(select(DocumentVersion.id).where(DocumentVersion.sha256 == obj.key).limit(1)) is None
                )
            if still_unreferenced:
                storage.delete(obj.key)
                removed += 1
                print(f"removed\t{obj.key}\t{obj.size} bytes, unreferenced for {hours:.1f} h")
                continue
        elif age < grace:
            print(f"recent\t{obj.key}\t{obj.size} bytes, unreferenced, {hours:.1f} h old (within the grace period)")
            continue
        kept += 1
        print(f"unreferenced\t{obj.key}\t{obj.size} bytes, {hours:.1f} h old")
    print(
        f"storage check: {len(stored)} objects, {len(referenced)} referenced; {len(missing)} missing, "
        f"{len(stray)} unreferenced ({removed} removed)"
    )
    if missing or kept:
        raise StorageOutOfOrder


class StorageOutOfOrder(Exception):
    """`quad storage check` found what an operator must look at: exit status 1."""


def start_message(host: str, port: int, dev_login: bool) -> str:
    """What `quad serve` prints once it listens: the address to open and how to sign in."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104  (a listen-all address is not one to open)
    if ":" in shown:
        shown = f"[{shown}]"
    lines = [f"Quad Dialogue is ready: open http://{shown}:{port}/ (API reference: /api/docs). Stop with Ctrl-C."]
    if dev_login:
        lines.append(
            'Sign in: choose "Sign in", then a demo person under "Development sign-in" (no password), e.g. '
            "Emily Carter (US delegate), Hiroshi Tanaka (Japanese delegate, pages in Japanese), "
            "Sakura Ito (secretariat) or Morgan Admin (admin)."
        )
    return "\n".join(lines)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    settings = get_settings()
    settings.check_safe_to_start()
    config = uvicorn.Config(
        "app.asgi:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        # The app itself reads X-Forwarded-For from QUAD_TRUSTED_PROXIES only (app.main), so uvicorn must not.
        proxy_headers=False,
        log_level=settings.log_level.lower(),
    )
    # glibc gives each thread that allocates its own malloc arena; two keep a worker's memory from fragmenting
    # across them (peak RSS 132 -> 125 MB under load). Read when a process starts: the workers get it.
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    message = start_message(args.host, args.port, settings.dev_login_enabled)
    if args.workers > 1:
        # The supervisor starts the workers itself; say where to go before it does.
        print(message, flush=True)
        uvicorn.run(
            config.app,
            host=config.host,
            port=config.port,
            workers=config.workers,
            proxy_headers=False,
            log_level=config.log_level,
        )
        return

    class AnnouncingServer(uvicorn.Server):
        """Prints the address only once the socket listens and the app has started, so it is true when seen."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                print(message, flush=True)

    AnnouncingServer(config).run()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quad", description="Quad Dialogue administration")
    sub = parser.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="database migrations").add_subparsers(dest="db_command", required=True)
    upgrade = db.add_parser("upgrade", help="migrate to the newest schema (or --revision)")
    upgrade.add_argument("--revision", default="head")
    upgrade.set_defaults(func=cmd_db_upgrade)
    downgrade = db.add_parser("downgrade", help="step back one migration (or to --revision, e.g. base)")
    downgrade.add_argument("--revision", default="-1")
    downgrade.set_defaults(func=cmd_db_downgrade)

    seed = sub.add_parser("seed-demo", help="load demo countries' people, groups and memberships")
    seed.add_argument("--if-empty", action="store_true", help="only when the database has no users yet")
    seed.set_defaults(func=cmd_seed_demo)

    users = sub.add_parser("users", help="accounts").add_subparsers(dest="users_command", required=True)
    create = users.add_parser("create", help="create (pre-provision) an account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, help="admin, secretariat, delegate, industry or observer")
    create.add_argument("--country", help="US, JP, AU or IN (required for delegate, industry, observer)")
    create.add_argument("--org", help="organisation")
    create.add_argument("--status", default="active", choices=["active", "pending", "disabled"])
    create.set_defaults(func=cmd_users_create)
    listing = users.add_parser("list", help="list accounts")
    listing.add_argument("--limit", type=int, default=1000)
    listing.set_defaults(func=cmd_users_list)

    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(dest="tokens_command", required=True)
    token = tokens.add_parser("create", help="create an API token for a user; prints it once")
    token.add_argument("--email", required=True)
    token.add_argument("--name", default="cli")
    expiry = token.add_mutually_exclusive_group()
    expiry.add_argument("--expires-days", type=int, default=90, help="days until it stops working (default 90)")
    expiry.add_argument("--no-expiry", action="store_true", help="a token that never expires (service accounts)")
    token.set_defaults(func=cmd_tokens_create)

    storage = sub.add_parser("storage", help="stored files").add_subparsers(dest="storage_command", required=True)
    check = storage.add_parser(
        "check", help="report stored objects no version refers to, and versions whose object is missing"
    )
    check.add_argument("--fix", action="store_true", help="remove unreferenced objects older than the grace period")
    check.add_argument(
        "--grace-hours", type=float, default=None, help="age before --fix removes (default QUAD_STORAGE_GRACE_HOURS)"
    )
    check.set_defaults(func=cmd_storage_check)

    cache = sub.add_parser("cache", help="the page cache").add_subparsers(dest="cache_command", required=True)
    cache.add_parser("purge", help="drop entries that can no longer be served").set_defaults(func=cmd_cache_purge)

    serve = sub.add_parser("serve", help="serve the platform over HTTP")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import os

    args = build_parser().parse_args(argv)
    if args.command == "serve":
        args.host = args.host or os.environ.get("HOST", "127.0.0.1")
        args.port = args.port or int(os.environ.get("PORT", "8000"))
    handler: Callable[[argparse.Namespace], None] = args.func
    try:
        handler(args)
    except DomainError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StorageOutOfOrder:
        return 1
    except (InsecureSettingsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except SQLAlchemyError as exc:
        reason = str(exc.orig if isinstance(exc, DBAPIError) else exc).splitlines()[0]
        print(f"error: the database refused the command ({reason}); try 'quad db upgrade'", file=sys.stderr)
        return 1
    return 0
