"""Liveness, readiness and the OpenAPI description, including readiness failing for the right reasons."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from alembic import command

from app.core.migrations_state import alembic_config
from app.main import create_app
from tests.conftest import make_settings
from tests.support.databases import scratch_database
from tests.support.server import free_port, serve

UNREACHABLE_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/x"


@contextmanager
def served(database_url: str, data_dir: Path) -> Iterator[httpx.Client]:
    """An app of its own on `database_url`, served over HTTP (the app is `http.app`)."""
    port = free_port()
    app = create_app(make_settings(database_url, data_dir, f"http://127.0.0.1:{port}"))
    try:
        with serve(app, port) as url, httpx.Client(base_url=url, timeout=30) as http:
            http.app = app  # type: ignore[attr-defined]
            yield http
    finally:
        app.state.engine.dispose()


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    config.attributes["configure_logging"] = False
    (command.downgrade if down else command.upgrade)(config, revision)


def test_healthz(client: httpx.Client) -> None:
    """Liveness answers 200."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_on_migrated_database(client: httpx.Client) -> None:
    """Readiness is 200 when the database answers and is at the newest migration."""
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"


def test_readyz_503_when_database_unreachable(tmp_path: Path) -> None:
    """Nothing listens where the database should be: /readyz is 503 and says why; /healthz stays 200."""
    with served(UNREACHABLE_DATABASE, tmp_path) as http:
        response = http.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable"
        assert "unreachable" in body["reason"]
        assert "Traceback" not in response.text
        assert "127.0.0.1:1" not in response.text and "postgres@" not in response.text
        assert http.get("/healthz").status_code == 200


@pytest.fixture(scope="module")
def scratch_url() -> Iterator[str]:
    with scratch_database("quad_readyz") as url:
        yield url


def test_readyz_503_on_unmigrated_and_downgraded_schema(scratch_url: str, tmp_path: Path) -> None:
    """An empty database and one downgraded to base are both 'not ready'; at head it becomes ready."""
    with served(scratch_url, tmp_path) as http:
        response = http.get("/readyz")
        assert response.status_code == 503
        assert "schema" in response.json()["reason"]
        assert "no revision" in response.json()["reason"]

        _migrate(scratch_url, "head")
        assert http.get("/readyz").status_code == 200

        # "At head" is trusted for a while (Alembic is not asked on every probe), then asked again.
        _migrate(scratch_url, "base", down=True)
        assert http.get("/readyz").status_code == 200
        http.app.state.schema_recheck_seconds = 0  # type: ignore[attr-defined]
        response = http.get("/readyz")
        assert response.status_code == 503
        assert "schema" in response.json()["reason"]


def test_openapi_describes_the_api(client: httpx.Client) -> None:
    """/openapi.json is JSON listing the API collections, and keeps HTML pages out."""
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    for path in ("/api/v1/me", "/api/v1/countries", "/api/v1/working-groups"):
        assert path in paths, f"{path} is missing from the OpenAPI description"
    assert "/" not in paths and "/groups/{slug}" not in paths
