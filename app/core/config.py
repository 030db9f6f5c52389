"""One validated Settings object, read from the environment and an optional `.env`.

`prod` refuses to start on insecure settings and names each one, so an operator is never left guessing.
"""

from __future__ import annotations

import os
import secrets
import stat
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
MIN_SECRET_KEY_LENGTH = 32


class Environment(StrEnum):
    dev = "dev"
    test = "test"
    prod = "prod"


PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_directory(path: Path, *, tighten_existing: bool = True) -> Path:
    """Creates the folder readable by this account only (0700), and tightens one of ours that is looser:
    it holds the database, the secret key and the stored files.

    A folder that already existed is left alone when `tighten_existing` is false (the folder a configured
    database file sits in may be anyone's, even /tmp), and a shared sticky folder such as /tmp never changes."""
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    status = path.stat()
    if existed and (not tighten_existing or status.st_mode & stat.S_ISVTX):
        return path
    if status.st_mode & 0o777 != PRIVATE_DIR_MODE and status.st_uid == os.geteuid():
        path.chmod(PRIVATE_DIR_MODE)  # mkdir's mode is filtered by the umask; this is exact
    return path


def private_file(path: Path) -> Path:
    """Creates the (empty) file 0600 if it is missing, and tightens one of ours that is looser."""
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE_FILE_MODE)
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, PRIVATE_FILE_MODE)
    finally:
        os.close(fd)
    return path


class InsecureSettingsError(RuntimeError):
    """Raised when production settings are unsafe; the message lists every problem."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    env: Environment = Field(Environment.dev, alias="QUAD_ENV")
    database_url: str = Field("", alias="DATABASE_URL")
    secret_key: str = Field("", alias="SECRET_KEY")
    data_dir: Path = Field(PROJECT_ROOT / "var", alias="QUAD_DATA_DIR")
    base_url: str = Field("http://127.0.0.1:8000", alias="QUAD_BASE_URL")
    idp_file: Path | None = Field(None, alias="QUAD_IDP_FILE")
    redis_url: str | None = Field(None, alias="REDIS_URL")
    session_idle_minutes: int = Field(120, ge=5, alias="QUAD_SESSION_IDLE_MINUTES")
    session_max_hours: int = Field(12, ge=1, alias="QUAD_SESSION_MAX_HOURS")
    dev_login: bool | None = Field(None, alias="QUAD_DEV_LOGIN")
    login_rate_limit: str = Field("20/minute", alias="QUAD_LOGIN_RATE_LIMIT")
    token_rate_limit: str = Field("30/minute", alias="QUAD_TOKEN_RATE_LIMIT")
    rate_limit_prefix: str = Field("quad", alias="QUAD_RATE_LIMIT_PREFIX")
    storage_backend: Literal["local", "s3"] = Field("local", alias="QUAD_STORAGE")
    s3_bucket: str | None = Field(None, alias="QUAD_S3_BUCKET")
    s3_endpoint_url: str | None = Field(None, alias="QUAD_S3_ENDPOINT_URL")
    s3_region: str = Field("us-east-1", alias="QUAD_S3_REGION")
    s3_prefix: str = Field("", alias="QUAD_S3_PREFIX")
    max_upload_mb: int = Field(50, ge=1, le=2048, alias="QUAD_MAX_UPLOAD_MB")
    # Files above this size have their text extracted after the response, off the request path.
    inline_extraction_kb: int = Field(512, ge=0, alias="QUAD_INLINE_EXTRACTION_KB")
    # Every extraction runs in a child process with these limits (app.documents.extraction).
    extraction_worker: bool = Field(True, alias="QUAD_EXTRACTION_WORKER")
    extraction_memory_mb: int = Field(512, ge=32, alias="QUAD_EXTRACTION_MEMORY_MB")
    extraction_timeout_seconds: int = Field(60, ge=1, le=3600, alias="QUAD_EXTRACTION_TIMEOUT_SECONDS")
    extraction_attempts: int = Field(3, ge=1, le=20, alias="QUAD_EXTRACTION_ATTEMPTS")
    extraction_retry_seconds: int = Field(30, ge=0, alias="QUAD_EXTRACTION_RETRY_SECONDS")
    # `quad storage check --fix` leaves unreferenced objects younger than this (an upload may still commit).
    storage_grace_hours: float = Field(24, ge=0, alias="QUAD_STORAGE_GRACE_HOURS")
    # Peers whose X-Forwarded-For names the real client (addresses or networks); empty trusts none.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1"], alias="QUAD_TRUSTED_PROXIES"
    )
    log_level: str = Field("INFO", alias="QUAD_LOG_LEVEL")
    # Requests served at once per worker process (its thread pool), and the database connections it keeps: a
    # request holds one thread and at most one connection, so the pool has one more for the extraction worker
    # and a spare. A request that still waits this long for a connection is answered 503 with Retry-After.
    threads: int = Field(4, ge=1, le=256, alias="QUAD_THREADS")
    db_pool_size: int | None = Field(None, ge=1, le=512, alias="QUAD_DB_POOL_SIZE")
    db_pool_timeout: float = Field(2.0, gt=0, le=60, alias="QUAD_DB_POOL_TIMEOUT")
    # A request that waits this long for a free thread (every one busy) is answered 503 with Retry-After.
    thread_wait_seconds: float = Field(2.0, gt=0, le=60, alias="QUAD_THREAD_WAIT_SECONDS")
    # Answers of read-only pages and lists kept for reuse (app/web/page_cache.py); never served once the data or
    # the asker's access changed. The time to live only bounds how long an unused entry stays.
    page_cache: bool = Field(True, alias="QUAD_PAGE_CACHE")
    page_cache_ttl_seconds: int = Field(600, ge=1, le=86400, alias="QUAD_PAGE_CACHE_TTL_SECONDS")
    # Marked files stamped at once per worker process, how many more may wait (each at most the wait): past that a
    # download is answered 503 with Retry-After at once (app.core.capacity). Stamping a 100-page PDF is ~40 ms of CPU
    # and a spooled copy; a waiting request keeps its thread, so the queue is only reachable with QUAD_THREADS above
    # the concurrency.
    watermark_concurrency: int = Field(2, ge=1, le=64, alias="QUAD_WATERMARK_CONCURRENCY")
    watermark_queue: int = Field(8, ge=0, le=1024, alias="QUAD_WATERMARK_QUEUE")
    watermark_wait_seconds: float = Field(2.0, ge=0, le=60, alias="QUAD_WATERMARK_WAIT_SECONDS")
    # The export-control screening list (TOML); None: the shipped app/documents/screening.toml.
    screening_file: Path | None = Field(None, alias="QUAD_SCREENING_FILE")
    # Where people write about their account (shown to industry waiting for approval).
    contact_email: str = Field("secretariat@quad-dialogue.example", alias="QUAD_CONTACT_EMAIL")

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    @property
    def resolved_db_pool_size(self) -> int:
        return self.db_pool_size if self.db_pool_size is not None else self.threads + 2

    @property
    def is_https(self) -> bool:
        return self.base_url.startswith("https://")

    @property
    def dev_login_enabled(self) -> bool:
        """Development sign-in exists only in dev, and only when no provider is configured (unless forced)."""
        if self.env is not Environment.dev:
            return bool(self.dev_login) and self.env is not Environment.test
        if self.dev_login is not None:
            return self.dev_login
        return self.idp_file is None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'quad.db'}"

    def resolved_secret_key(self) -> str:
        """The configured key; in dev and test a random key kept under the data folder survives restarts."""
        if self.secret_key:
            return self.secret_key
        if self.env is Environment.prod:
            raise InsecureSettingsError("SECRET_KEY is not set")
        key_file = self.data_dir / "secret_key"
        if not key_file.exists():
            private_directory(key_file.parent)
            private_file(key_file).write_text(secrets.token_urlsafe(48))
        return key_file.read_text().strip()

    def insecure_production_settings(self) -> list[str]:
        problems: list[str] = []
        if len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(f"SECRET_KEY must be set to at least {MIN_SECRET_KEY_LENGTH} random characters")
        if not self.is_https:
            problems.append("QUAD_BASE_URL must start with https://")
        if self.dev_login:
            problems.append("QUAD_DEV_LOGIN must be off (development sign-in is never allowed in prod)")
        if self.idp_file is None:
            problems.append("QUAD_IDP_FILE must name the identity providers file")
        if self.storage_backend == "s3" and not self.s3_bucket:
            problems.append("QUAD_S3_BUCKET must be set when QUAD_STORAGE=s3")
        return problems

    def check_safe_to_start(self) -> None:
        if self.env is Environment.prod and (problems := self.insecure_production_settings()):
            raise InsecureSettingsError("refusing to start with insecure settings: " + "; ".join(problems))


@lru_cache
def get_settings() -> Settings:
    return Settings()
