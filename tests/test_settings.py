"""Settings: production refuses insecure configuration and names each problem; dev and test have safe defaults."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.core.config import MIN_SECRET_KEY_LENGTH, InsecureSettingsError, Settings
from app.main import create_app
from tests.support.server import serve

GOOD_KEY = "k" * 16 + "0123456789abcdefghijklmnopqrstuvwxyz"  # well over the minimum length
ENV_NAMES = (
    "QUAD_ENV",
    "DATABASE_URL",
    "SECRET_KEY",
    "QUAD_DATA_DIR",
    "QUAD_BASE_URL",
    "QUAD_IDP_FILE",
    "REDIS_URL",
    "QUAD_DEV_LOGIN",
    "QUAD_SESSION_IDLE_MINUTES",
    "QUAD_SESSION_MAX_HOURS",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only what each test passes counts: no inherited variables, and no `.env` in the working folder."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def idp_file(tmp_path: Path) -> Path:
    path = tmp_path / "idp.toml"
    path.write_text("providers = []\n", encoding="utf-8")
    return path


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[arg-type, call-arg]


def prod(tmp_path: Path, idp_file: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "QUAD_ENV": "prod",
        "SECRET_KEY": GOOD_KEY,
        "QUAD_BASE_URL": "https://quad.example.org",
        "QUAD_IDP_FILE": str(idp_file),
        "QUAD_DATA_DIR": str(tmp_path / "data"),
        **overrides,
    }
    return settings(**{k: v for k, v in values.items() if v is not None})


def refusal(config: Settings) -> str:
    with pytest.raises(InsecureSettingsError) as caught:
        config.check_safe_to_start()
    return str(caught.value)


def test_proper_production_settings_start(tmp_path: Path, idp_file: Path) -> None:
    """A long key, an https base URL and a providers file: prod starts and serves /healthz."""
    config = prod(tmp_path, idp_file)
    config.check_safe_to_start()
    assert config.insecure_production_settings() == []
    with serve(create_app(config)) as url:
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200


def test_prod_refuses_missing_secret_key(tmp_path: Path, idp_file: Path) -> None:
    """No SECRET_KEY in prod: refused, and the message names SECRET_KEY (and nothing else)."""
    message = refusal(prod(tmp_path, idp_file, SECRET_KEY=None))
    assert "SECRET_KEY" in message
    assert "QUAD_BASE_URL" not in message and "QUAD_DEV_LOGIN" not in message


def test_prod_refuses_short_secret_key(tmp_path: Path, idp_file: Path) -> None:
    """A key shorter than the minimum is refused by name."""
    message = refusal(prod(tmp_path, idp_file, SECRET_KEY="x" * (MIN_SECRET_KEY_LENGTH - 1)))
    assert "SECRET_KEY" in message


def test_prod_refuses_http_base_url(tmp_path: Path, idp_file: Path) -> None:
    """A plain-http base URL is refused by name."""
    message = refusal(prod(tmp_path, idp_file, QUAD_BASE_URL="http://quad.example.org"))
    assert "QUAD_BASE_URL" in message
    assert "SECRET_KEY" not in message


def test_prod_refuses_development_sign_in(tmp_path: Path, idp_file: Path) -> None:
    """QUAD_DEV_LOGIN on in prod is refused by name."""
    message = refusal(prod(tmp_path, idp_file, QUAD_DEV_LOGIN="true"))
    assert "QUAD_DEV_LOGIN" in message


def test_prod_names_every_problem_at_once(tmp_path: Path, idp_file: Path) -> None:
    """With everything wrong, one refusal lists each problem, so the operator fixes them in one go."""
    config = prod(tmp_path, idp_file, SECRET_KEY="short", QUAD_BASE_URL="http://x.example", QUAD_DEV_LOGIN="1")
    message = refusal(config)
    for name in ("SECRET_KEY", "QUAD_BASE_URL", "QUAD_DEV_LOGIN"):
        assert name in message


def test_create_app_refuses_insecure_prod(tmp_path: Path, idp_file: Path) -> None:
    """create_app itself refuses insecure production settings, naming the problem."""
    with pytest.raises(InsecureSettingsError, match="QUAD_BASE_URL"):
        create_app(prod(tmp_path, idp_file, QUAD_BASE_URL="http://quad.example.org"))
    with pytest.raises(InsecureSettingsError, match="SECRET_KEY"):
        create_app(prod(tmp_path, idp_file, SECRET_KEY=None))


def test_insecure_values_are_accepted_outside_prod(tmp_path: Path) -> None:
    """dev and test do not refuse a missing key or an http URL (they are for laptops and CI)."""
    for env in ("dev", "test"):
        settings(
            QUAD_ENV=env, QUAD_DATA_DIR=str(tmp_path / env), QUAD_BASE_URL="http://127.0.0.1:8000"
        ).check_safe_to_start()


def test_dev_generates_and_keeps_a_secret_key(tmp_path: Path) -> None:
    """Without SECRET_KEY, dev makes a long random key under QUAD_DATA_DIR and reuses it on the next start."""
    data_dir = tmp_path / "data"
    first = settings(QUAD_ENV="dev", QUAD_DATA_DIR=str(data_dir)).resolved_secret_key()
    assert len(first) >= MIN_SECRET_KEY_LENGTH
    key_file = data_dir / "secret_key"
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0, "the key file must be readable by its owner only"
    again = settings(QUAD_ENV="dev", QUAD_DATA_DIR=str(data_dir)).resolved_secret_key()
    assert again == first
    other = settings(QUAD_ENV="dev", QUAD_DATA_DIR=str(tmp_path / "elsewhere")).resolved_secret_key()
    assert other != first


def test_configured_secret_key_wins(tmp_path: Path) -> None:
    """A configured SECRET_KEY is used as is, and no key file is written."""
    config = settings(QUAD_ENV="dev", QUAD_DATA_DIR=str(tmp_path / "data"), SECRET_KEY=GOOD_KEY)
    assert config.resolved_secret_key() == GOOD_KEY
    assert not (tmp_path / "data" / "secret_key").exists()


def test_database_url_defaults_to_sqlite_under_data_dir(tmp_path: Path) -> None:
    """With no DATABASE_URL the database is SQLite at QUAD_DATA_DIR/quad.db; a set URL is used as is."""
    data_dir = tmp_path / "data"
    config = settings(QUAD_DATA_DIR=str(data_dir))
    assert config.resolved_database_url() == f"sqlite:///{data_dir / 'quad.db'}"
    explicit = settings(QUAD_DATA_DIR=str(data_dir), DATABASE_URL="postgresql://u@db.example/quad")
    assert explicit.resolved_database_url() == "postgresql://u@db.example/quad"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The documented variable names are read from the environment."""
    monkeypatch.setenv("QUAD_ENV", "test")
    monkeypatch.setenv("QUAD_DATA_DIR", str(tmp_path / "d"))
    monkeypatch.setenv("QUAD_BASE_URL", "https://quad.example.org/")
    monkeypatch.setenv("DATABASE_URL", "sqlite:///x.db")
    config = Settings(_env_file=None)  # type: ignore[call-arg]
    assert config.env.value == "test"
    assert config.data_dir == tmp_path / "d"
    assert config.base_url == "https://quad.example.org"
    assert config.resolved_database_url() == "sqlite:///x.db"
