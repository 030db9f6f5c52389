"""One behaviour suite for every storage backend (local folder, S3 over HTTP), then each backend's own details."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import threading
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from app.core.errors import InvalidInput, PayloadTooLarge
from app.storage import FileMissing, InvalidKey, LocalStorage, storage_from_settings
from app.storage.base import CHUNK_SIZE
from tests.storage.conftest import Backend

MIB = 1024 * 1024


def temp_files(folder: Path) -> list[Path]:
    return list(folder.iterdir()) if folder.exists() else []


class CountingStream(io.RawIOBase):
    """An upload that is produced on demand, chunk by chunk, and counts how much was taken from it."""

    def __init__(self, total: int, chunk: int = MIB) -> None:
        self.consumed = 0
        self._chunks = self._generate(total, chunk)
        self._pending = b""

    @staticmethod
    def _generate(total: int, chunk: int) -> Iterator[bytes]:
        block = b"q" * chunk
        for start in range(0, total, chunk):
            yield block[: min(chunk, total - start)]

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if not self._pending:
            self._pending = next(self._chunks, b"")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.consumed += n
        return n


def test_stage_save_open_round_trip(backend: Backend) -> None:
    content = os.urandom(300_000)
    storage = backend.storage

    staged = storage.stage(io.BytesIO(content), max_bytes=MIB)
    assert staged.sha256 == hashlib.sha256(content).hexdigest()
    assert staged.size == len(content)
    assert staged.path.read_bytes() == content

    assert storage.save(staged) is True
    assert storage.exists(staged.sha256)
    assert storage.size(staged.sha256) == len(content)
    with storage.open(staged.sha256) as stream:
        assert stream.read(10) == content[:10]  # partial reads work, not only read()
        assert stream.read() == content[10:]
    assert backend.stored_keys() == [staged.sha256]

    storage.discard(staged)
    storage.discard(staged)  # idempotent
    assert not staged.path.exists()
    assert temp_files(backend.temp_dir) == []


def test_saving_the_same_content_twice_stores_it_once(backend: Backend) -> None:
    first = backend.storage.stage(io.BytesIO(b"same bytes"), max_bytes=MIB)
    second = backend.storage.stage(io.BytesIO(b"same bytes"), max_bytes=MIB)
    assert first.sha256 == second.sha256
    assert backend.storage.save(first) is True
    assert backend.storage.save(second) is False
    assert backend.stored_keys() == [first.sha256]


def test_over_the_limit_is_refused_and_leaves_nothing(backend: Backend) -> None:
    limit = 3 * MIB
    with pytest.raises(PayloadTooLarge, match="3 MB limit"):
        backend.storage.stage(io.BytesIO(b"x" * (limit + 1)), max_bytes=limit)
    assert temp_files(backend.temp_dir) == []
    assert backend.stored_keys() == []

    exactly = backend.storage.stage(io.BytesIO(b"x" * limit), max_bytes=limit)  # the limit itself is allowed
    assert exactly.size == limit


def test_an_empty_file_is_refused(backend: Backend) -> None:
    with pytest.raises(InvalidInput, match="the file is empty"):
        backend.storage.stage(io.BytesIO(b""), max_bytes=MIB)
    assert temp_files(backend.temp_dir) == []


def test_a_failing_upload_leaves_no_temp_file(backend: Backend) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            raise ConnectionResetError("client went away")

    with pytest.raises(ConnectionResetError):
        backend.storage.stage(io.BufferedReader(Broken()), max_bytes=MIB)
    assert temp_files(backend.temp_dir) == []


def test_a_missing_key_is_file_missing(backend: Backend) -> None:
    key = hashlib.sha256(b"never stored").hexdigest()
    assert backend.storage.exists(key) is False
    with pytest.raises(FileMissing):
        backend.storage.open(key)
    with pytest.raises(KeyError):  # FileMissing is a KeyError
        backend.storage.size(key)
    backend.storage.delete(key)  # deleting what is not there is fine


def test_delete_removes_the_object(backend: Backend) -> None:
    staged = backend.storage.stage(io.BytesIO(b"to be deleted"), max_bytes=MIB)
    assert backend.storage.save(staged)
    backend.storage.delete(staged.sha256)
    assert not backend.storage.exists(staged.sha256)
    with pytest.raises(FileMissing):
        backend.storage.open(staged.sha256)
    assert backend.storage.save(staged) is True  # and it can be stored again


def test_a_huge_stream_is_cut_off_at_the_limit_without_buffering_it(backend: Backend) -> None:
    limit = 50 * MIB
    source = CountingStream(60 * MIB)
    tracemalloc.start()
    try:
        with pytest.raises(PayloadTooLarge, match="50 MB limit"):
            backend.storage.stage(io.BufferedReader(source), max_bytes=limit)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert source.consumed <= limit + CHUNK_SIZE
    # A few chunks, never the file. The bound leaves room for the in-process moto server, whose werkzeug
    # threads allocate a 10 MB drain buffer after each request (tracemalloc counts every thread).
    assert peak < 24 * MIB
    assert temp_files(backend.temp_dir) == []
    assert backend.stored_keys() == []


@pytest.mark.parametrize("key", ["../x", "abc", "", "A" * 64, "0" * 63, "../" + "0" * 61, "0" * 64 + "/"])
def test_keys_that_are_not_sha256_digests_are_refused(backend: Backend, key: str) -> None:
    for operation in (backend.storage.exists, backend.storage.open, backend.storage.size, backend.storage.delete):
        with pytest.raises(InvalidKey):
            operation(key)


def test_concurrent_saves_of_the_same_content_both_succeed(backend: Backend) -> None:
    content = os.urandom(2 * MIB)
    staged = [backend.storage.stage(io.BytesIO(content), max_bytes=4 * MIB) for _ in range(2)]
    start = threading.Barrier(2)
    results: list[bool] = []
    errors: list[BaseException] = []

    def save(index: int) -> None:
        start.wait()
        try:
            results.append(backend.storage.save(staged[index]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert results.count(True) >= 1  # someone created it (the local backend guarantees exactly one: see below)
    assert backend.stored_keys() == [staged[0].sha256]
    with backend.storage.open(staged[0].sha256) as stream:
        assert stream.read() == content


def test_a_save_that_loses_the_race_reports_it_did_not_create(
    backend: Backend, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both savers saw no object; the store itself decides who created it, so only one may delete it later."""
    winner = backend.storage.stage(io.BytesIO(b"raced"), max_bytes=MIB)
    loser = backend.storage.stage(io.BytesIO(b"raced"), max_bytes=MIB)
    assert backend.storage.save(winner) is True
    monkeypatch.setattr(backend.storage, "exists", lambda key: False)
    assert backend.storage.save(loser) is False
    monkeypatch.undo()
    assert backend.stored_keys() == [winner.sha256]
    assert sorted(temp_files(backend.temp_dir)) == sorted([winner.path, loser.path])  # no half-saved copy left


# The local backend's own details.


def test_local_layout_mode_and_no_leftovers(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    staged = storage.stage(io.BytesIO(b"layout"), max_bytes=MIB)
    assert storage.save(staged)
    key = staged.sha256
    path = tmp_path / "objects" / key[:2] / key[2:4] / key
    assert path.read_bytes() == b"layout"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    storage.discard(staged)
    assert temp_files(storage.temp_dir) == []


def test_local_concurrent_saves_have_exactly_one_creator(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    for round_ in range(10):
        staged = [storage.stage(io.BytesIO(b"race %d" % round_), max_bytes=MIB) for _ in range(2)]
        start = threading.Barrier(2)
        results: list[bool] = []

        def save(item: Any, start: threading.Barrier = start, results: list[bool] = results) -> None:
            start.wait()
            results.append(storage.save(item))

        threads = [threading.Thread(target=save, args=(item,)) for item in staged]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(results) == [False, True]


# The S3 backend's own details.


def test_s3_big_files_go_up_in_parts(
    s3_bucket: tuple[Any, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.storage.s3 import S3Storage

    client, bucket = s3_bucket
    storage = S3Storage(bucket, client=client, temp_dir=tmp_path)
    content = os.urandom(12 * MIB)  # above the 8 MiB multipart threshold: two parts
    staged = storage.stage(io.BytesIO(content), max_bytes=20 * MIB)
    assert storage.save(staged) is True

    head = client.head_object(Bucket=bucket, Key=staged.sha256)
    assert head["ETag"].strip('"').endswith("-2")  # a multipart ETag names its part count
    assert head["ContentType"] == "application/octet-stream"
    assert head["Metadata"] == {"sha256": staged.sha256}
    assert storage.size(staged.sha256) == len(content)
    with storage.open(staged.sha256) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == staged.sha256

    # A second multipart upload of the same content that lost the race is refused at completion and aborted.
    again = storage.stage(io.BytesIO(content), max_bytes=20 * MIB)
    monkeypatch.setattr(storage, "exists", lambda key: False)
    assert storage.save(again) is False
    assert client.head_object(Bucket=bucket, Key=staged.sha256)["ETag"] == head["ETag"]
    assert client.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_s3_prefix_is_a_folder(s3_bucket: tuple[Any, str], tmp_path: Path) -> None:
    from app.storage.s3 import S3Storage

    client, bucket = s3_bucket
    storage = S3Storage(bucket, prefix="/quad/files/", client=client, temp_dir=tmp_path)
    staged = storage.stage(io.BytesIO(b"prefixed"), max_bytes=MIB)
    assert storage.save(staged)
    assert [item["Key"] for item in client.list_objects_v2(Bucket=bucket)["Contents"]] == [
        f"quad/files/{staged.sha256}"
    ]


# Choosing the backend.


def test_storage_from_settings(tmp_path: Path) -> None:
    from app.storage.s3 import S3Storage

    local = storage_from_settings(Settings(_env_file=None, data_dir=tmp_path))
    assert isinstance(local, LocalStorage)
    assert local.root == tmp_path / "files"
    # Staging is this process's own folder under the data folder (swept when the process has ended).
    assert local.temp_dir.parent == tmp_path / "files" / "tmp" and local.temp_dir.is_dir()

    s3 = storage_from_settings(
        Settings(
            _env_file=None,
            data_dir=tmp_path,
            storage_backend="s3",
            s3_bucket="quad-files",
            s3_endpoint_url="http://127.0.0.1:9",
            s3_prefix="prod",
        )
    )
    assert isinstance(s3, S3Storage)
    assert (s3.bucket, s3.prefix, s3.temp_dir.parent) == ("quad-files", "prod/", tmp_path / "tmp")

    with pytest.raises(ValueError, match="QUAD_S3_BUCKET"):
        storage_from_settings(Settings(_env_file=None, data_dir=tmp_path, storage_backend="s3"))
