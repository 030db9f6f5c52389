"""`quad storage check` reconciles storage with the database, through the real CLI, on both backends
(issue #8, finding 8b): stray objects (stored before a commit that never came) and rows whose object is gone."""

from __future__ import annotations

import io
import os
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app.main import create_app
from app.storage import Storage
from app.storage.base import stage_to_temp
from tests.conftest import make_settings
from tests.support.databases import committed_delegate_token, migrated_scratch_database
from tests.support.s3 import make_s3_client
from tests.support.server import serve
from tests.test_cli import Quad

DOCS = "/api/v1/documents"


def store_directly(storage: Storage, content: bytes) -> str:
    """An object with no row: what an instance killed between storing and committing leaves."""
    staged = stage_to_temp(io.BytesIO(content), max_bytes=1 << 20, temp_dir=storage.temp_dir)
    storage.save(staged)
    storage.discard(staged)
    return staged.sha256


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_storage_check_reports_and_fixes(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    extra: dict[str, str] = {}
    if backend == "s3":
        endpoint = request.getfixturevalue("moto_endpoint")
        bucket = f"quad-check-{uuid.uuid4().hex[:8]}"
        make_s3_client(endpoint).create_bucket(Bucket=bucket)
        extra = {
            "QUAD_STORAGE": "s3",
            "QUAD_S3_BUCKET": bucket,
            "QUAD_S3_ENDPOINT_URL": endpoint,
            "QUAD_S3_PREFIX": "files",
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
        }
    data_dir = tmp_path / "data"
    with migrated_scratch_database() as url:
        token = committed_delegate_token(url)
        for key, value in extra.items():
            if key.startswith("AWS_"):
                monkeypatch.setenv(key, value)
        # The app instance whose uploads (and lost commits) the CLI then inspects.
        quad_settings = {k: v for k, v in extra.items() if k.startswith("QUAD_")}
        settings = make_settings(url, data_dir, "http://127.0.0.1:1", **quad_settings)
        app = create_app(settings)
        storage: Storage = app.state.storage
        with serve(app) as base, httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as api:
            data = {"group": "g", "title": "T", "doc_type": "other", "visibility": "quad", "owner": "US"}
            kept = api.post(DOCS, data=data, files={"file": ("a.txt", b"Kept.\n")}).json()["versions"][0]["sha256"]
            lost = api.post(DOCS, data=data, files={"file": ("b.txt", b"Lost.\n")}).json()["versions"][0]["sha256"]
        storage.delete(lost)
        old_stray = store_directly(storage, b"stray from a killed upload")
        new_stray = store_directly(storage, b"an upload that may still commit")
        if backend == "local":
            two_days_ago = time.time() - 48 * 3600
            path = storage.objects_dir / old_stray[:2] / old_stray[2:4] / old_stray  # type: ignore[attr-defined]
            os.utime(path, (two_days_ago, two_days_ago))
        app.state.engine.dispose()

        quad = Quad(url, data_dir)
        quad.env.update(extra)
        report = quad("storage", "check")
        assert report.code == 1, report.err
        assert f"missing\t{lost}" in report.out
        assert old_stray in report.out and new_stray in report.out
        assert "1 missing, 2 unreferenced (0 removed)" in report.out
        assert {kept, old_stray, new_stray} <= {o.key for o in storage.iter_objects()}  # a report removes nothing

        if backend == "local":
            fixed = quad("storage", "check", "--fix")  # default grace: 24 h
            assert f"removed\t{old_stray}" in fixed.out and f"recent\t{new_stray}" in fixed.out
            remaining = {o.key for o in storage.iter_objects()}
            assert old_stray not in remaining and new_stray in remaining
        else:
            fixed = quad("storage", "check", "--fix", "--grace-hours", "0")
            assert f"removed\t{old_stray}" in fixed.out and f"removed\t{new_stray}" in fixed.out
            remaining = {o.key for o in storage.iter_objects()}
            assert old_stray not in remaining and new_stray not in remaining
        assert kept in remaining  # never an object a row refers to
        assert fixed.code == 1  # the missing object still needs an operator
        assert quad("storage", "check", "--grace-hours", "-1").code == 2


def test_temporary_folders_of_ended_processes_are_removed_at_start(tmp_path: Path, database_url: str) -> None:
    """An instance killed mid-upload leaves staging files; the next start removes them, never a live one's."""
    import subprocess
    import sys

    data_dir = tmp_path / "data"
    first = create_app(make_settings(database_url, data_dir, "http://127.0.0.1:1"))
    live_folder = first.state.storage.temp_dir
    (live_folder / "stage-live").write_bytes(b"an upload in progress")
    # A process that claims a folder, writes a partial upload and dies without cleaning up.
    script = (
        "import os, sys; from pathlib import Path; from app.storage import staging; "
        "f = staging.claim_folder(Path(sys.argv[1])); (f / 'stage-partial').write_bytes(b'x' * 4096); "
        "print(f); os._exit(0)"
    )
    root = data_dir / "files" / "tmp"
    done = subprocess.run([sys.executable, "-c", script, str(root)], capture_output=True, text=True, check=True)
    dead_folder = Path(done.stdout.strip())
    assert (dead_folder / "stage-partial").exists()
    second = create_app(make_settings(database_url, data_dir, "http://127.0.0.1:1"))
    assert not dead_folder.exists()
    assert (live_folder / "stage-live").exists()  # the first instance still holds its folder
    assert second.state.storage.temp_dir.is_dir()
    first.state.engine.dispose()
    second.state.engine.dispose()
