"""Fixtures: a migrated real database, the app served over real HTTP, each test rolled back."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Connection
from sqlalchemy.orm import Session, sessionmaker

from app.access.principal import SYSTEM
from app.auth import service as auth_service
from app.core.config import Settings
from app.groups import service as groups
from app.groups.models import MembershipRole, WorkingGroup
from app.main import create_app
from app.users import service as users
from app.users.models import Role, User, UserStatus
from tests.oidc.harness import ClientSpec, IssuerSpec, OidcProviders, ensure_installed
from tests.support.databases import migrated_scratch_database
from tests.support.s3 import moto_server
from tests.support.server import free_port, serve
from tests.support.sessions import sign_in

SECRET_KEY = "test-secret-key-that-is-long-enough-0123456789"


@pytest.fixture(scope="session")
def server_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """The suite's own migrated database, dropped at the end, so parallel runs never meet."""
    with migrated_scratch_database("quad_test") as url:
        yield url


# The identity providers every test app trusts: real oidc-provider issuers on loopback.
CLIENT_ID, CLIENT_SECRET = "quad-dialogue", "test-client-secret-0123456789"
PROVIDERS = {
    "us-gov": {"kind": "government", "country": "US", "label": "U.S. Government Login"},
    "jp-gov": {"kind": "government", "country": "JP", "label": "Japan Government Login"},
    "industry": {"kind": "industry", "label": "Industry Login"},
    "secretariat": {"kind": "secretariat", "label": "Quad Secretariat Login"},
}
ACCOUNTS = {
    "us-gov": {
        "alice": {"email": "alice@state.example.gov", "name": "Alice Walker", "organisation": "Department of State"},
        "bob": {"email": "bob@commerce.example.gov", "name": "Bob Stone", "organisation": "Commerce"},
        "unverified": {"email": "unverified@example.gov", "name": "Un Verified", "email_verified": False},
        # email_verified left out, and given as the string "true": neither vouches for the address.
        "unvouched": {"email": "unvouched@example.gov", "name": "Un Vouched", "email_verified": None},
        "stringly": {"email": "stringly@example.gov", "name": "String Ly", "email_verified": "true"},
    },
    "jp-gov": {
        "hanako": {"email": "hanako@mofa.example.go.jp", "name": "Hanako Yamada", "organisation": "MOFA"},
        "impostor": {"email": "alice@state.example.gov", "name": "Not Alice"},
    },
    "industry": {
        "carol": {"email": "carol@chipco.example.com", "name": "Carol Chen", "organisation": "ChipCo"},
        "dave": {"email": "dave@radio.example.com", "name": "Dave Diaz"},
    },
    "secretariat": {
        "sec": {"email": "officer@quad-secretariat.example", "name": "Sam Officer"},
        "ada": {"email": "ada@quad-secretariat.example", "name": "Ada Admin"},
        "stranger": {"email": "stranger@quad-secretariat.example", "name": "Stranger"},
    },
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """moto's standalone S3 server on loopback, shared by the storage and document tests."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def e2e_port() -> int:
    """The port of the real server process the browser journeys drive (tests/e2e)."""
    return free_port()


@pytest.fixture(scope="session")
def oidc(server_port: int, e2e_port: int) -> Iterator[OidcProviders]:
    ensure_installed()
    bases = [f"http://127.0.0.1:{port}" for port in (server_port, e2e_port)]
    specs = [
        IssuerSpec(
            name,
            clients=[
                ClientSpec(
                    CLIENT_ID,
                    CLIENT_SECRET,
                    [f"{base}/auth/callback/{name}" for base in bases],
                    [f"{base}/" for base in bases],
                )
            ],
            accounts=ACCOUNTS[name],
        )
        for name in PROVIDERS
    ]
    with OidcProviders(specs) as providers:
        yield providers


@pytest.fixture(scope="session")
def idp_file(tmp_path_factory: pytest.TempPathFactory, oidc: OidcProviders) -> Path:
    entries = []
    for name, spec in PROVIDERS.items():
        lines = [
            "[[providers]]",
            f'name = "{name}"',
            f'label = "{spec["label"]}"',
            f'kind = "{spec["kind"]}"',
            f'issuer = "{oidc.issuer_url(name)}"',
            f'client_id = "{CLIENT_ID}"',
            f'client_secret = "{CLIENT_SECRET}"',
            'organisation_claim = "organisation"',
        ]
        if "country" in spec:
            lines.append(f'country = "{spec["country"]}"')
        entries.append("\n".join(lines))
    path = tmp_path_factory.mktemp("idp") / "providers.toml"
    path.write_text("\n\n".join(entries) + "\n")
    return path


def make_settings(database_url: str, data_dir: Path, base_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "QUAD_ENV": "test",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "QUAD_DATA_DIR": str(data_dir),
        "QUAD_BASE_URL": base_url,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory, server_port: int, idp_file: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path_factory.mktemp("data"),
        f"http://127.0.0.1:{server_port}",
        QUAD_IDP_FILE=str(idp_file),
        # Every test comes from 127.0.0.1: the limits themselves are tested with their own app.
        QUAD_LOGIN_RATE_LIMIT="10000/minute",
        QUAD_TOKEN_RATE_LIMIT="10000/minute",
    )


@pytest.fixture(scope="session")
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture(scope="session")
def base_url(app: FastAPI, server_port: int) -> Iterator[str]:
    with serve(app, server_port) as url:
        yield url


@pytest.fixture
def connection(app: FastAPI) -> Iterator[Connection]:
    """Every request of the test runs inside one outer transaction that is rolled back at the end."""
    with app.state.engine.connect() as conn:
        outer = conn.begin()
        original = app.state.sessionmaker
        app.state.sessionmaker = sessionmaker(
            bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield conn
        finally:
            app.state.sessionmaker = original
            outer.rollback()
            # Rolled-back users' ids come back on SQLite: principals cached for them must not outlive the test.
            auth_service.principals.clear()


@pytest.fixture
def db(app: FastAPI, connection: Connection) -> Iterator[Session]:
    session: Session = app.state.sessionmaker()
    try:
        yield session
    finally:
        session.close()


@pytest.fixture
def client(base_url: str, connection: Connection) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=30) as http:
        yield http


UserFactory = Callable[..., User]


@pytest.fixture
def make_user(db: Session) -> UserFactory:
    counter = iter(range(1, 10_000))

    def factory(
        role: Role | str = Role.delegate,
        country: str | None = "US",
        *,
        status: UserStatus = UserStatus.active,
        email: str | None = None,
        name: str | None = None,
        organisation: str | None = None,
    ) -> User:
        role = Role(role)
        n = next(counter)
        if role in (Role.admin, Role.secretariat):
            country = None
        user = users.create_user(
            db,
            SYSTEM,
            email=email or f"{role.value}{n}-{country or 'x'}@example.org",
            display_name=name or f"{role.value.title()} {n}",
            role=role,
            country=country,
            organisation=organisation,
            status=status,
        )
        db.commit()
        return user

    return factory


@pytest.fixture
def make_group(db: Session) -> Callable[..., WorkingGroup]:
    def factory(slug: str, *members: tuple[User, MembershipRole], area: str = "semiconductors") -> WorkingGroup:
        group = groups.create_group(db, SYSTEM, slug=slug, name=slug.replace("-", " ").title(), technology_area=area)
        for user, role in members:
            groups.add_member(db, SYSTEM, group, user, role)
        db.commit()
        return group

    return factory


@pytest.fixture
def token_for(db: Session) -> Callable[..., str]:
    def factory(user: User, expires_days: int | None = None) -> str:
        _, raw = auth_service.create_token(db, SYSTEM, user, name="test", expires_days=expires_days)
        db.commit()
        return raw

    return factory


@pytest.fixture
def api_as(
    base_url: str, token_for: Callable[..., str], connection: Connection
) -> Iterator[Callable[[User], httpx.Client]]:
    opened: list[httpx.Client] = []

    def factory(user: User) -> httpx.Client:
        http = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token_for(user)}"}, timeout=30)
        opened.append(http)
        return http

    yield factory
    for http in opened:
        http.close()


@pytest.fixture
def browser_as(base_url: str, connection: Connection) -> Iterator[Callable[[User], httpx.Client]]:
    """An HTTP client with a signed-in session cookie, as a browser has after signing in."""
    opened: list[httpx.Client] = []

    def factory(user: User) -> httpx.Client:
        http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        sign_in(http, SECRET_KEY, user)
        opened.append(http)
        return http

    yield factory
    for http in opened:
        http.close()
