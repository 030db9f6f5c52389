"""Both storage backends behind one fixture: a local folder, and S3 over real HTTP against moto's server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from app.storage import LocalStorage, Storage
from tests.support.s3 import make_s3_client


@pytest.fixture(scope="session")
def s3_client(moto_endpoint: str) -> Any:
    return make_s3_client(moto_endpoint)  # once: loading boto3's service models takes most of a second


@pytest.fixture
def s3_bucket(s3_client: Any) -> tuple[Any, str]:
    """A fresh bucket per test, so tests never see each other's objects."""
    client = s3_client
    bucket = f"quad-test-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    return client, bucket


@dataclass
class Backend:
    name: str
    storage: Storage
    temp_dir: Path
    stored_keys: Callable[[], list[str]]


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "local":
        local = LocalStorage(tmp_path / "files")
        return Backend(
            "local", local, local.temp_dir, lambda: sorted(p.name for p in local.objects_dir.rglob("*") if p.is_file())
        )
    from app.storage.s3 import S3Storage

    client, bucket = request.getfixturevalue("s3_bucket")
    s3 = S3Storage(bucket, prefix="files", client=client, temp_dir=tmp_path / "staging")

    def stored_keys() -> list[str]:
        listing = client.list_objects_v2(Bucket=bucket)
        return sorted(item["Key"].removeprefix("files/") for item in listing.get("Contents", []))

    return Backend("s3", s3, s3.temp_dir, stored_keys)
