"""Files in a local folder: the embedded default, one machine."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from app.storage.base import (
    CHUNK_SIZE,
    FileMissing,
    StagedFile,
    StoredObject,
    discard_staged,
    is_key,
    stage_to_temp,
    validate_key,
)

FILE_MODE = 0o640


class LocalStorage:
    """Objects at `root/objects/<aa>/<bb>/<sha256>`; temp files under `root/tmp` (same filesystem, so links are
    atomic), in this process's own folder there when the app runs (app.storage.staging)."""

    def __init__(self, root: Path, temp_dir: Path | None = None) -> None:
        self.root = root
        self.objects_dir = root / "objects"
        self.temp_dir = temp_dir or root / "tmp"

    def _path(self, key: str) -> Path:
        validate_key(key)
        # Two levels of fan-out keep every folder small however many files there are.
        return self.objects_dir / key[:2] / key[2:4] / key

    def stage(self, source: BinaryIO, *, max_bytes: int) -> StagedFile:
        return stage_to_temp(source, max_bytes=max_bytes, temp_dir=self.temp_dir)

    def save(self, staged: StagedFile) -> bool:
        if self.exists(staged.sha256):
            return False
        final = self._path(staged.sha256)
        final.parent.mkdir(parents=True, exist_ok=True)
        self.temp_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.temp_dir, prefix="save-")
        temp = Path(name)
        try:
            os.fchmod(fd, FILE_MODE)  # exact mode, whatever the umask
            with open(fd, "wb") as out, staged.path.open("rb") as src:
                shutil.copyfileobj(src, out, CHUNK_SIZE)
                out.flush()
                os.fsync(out.fileno())  # the content is on disk before its name appears
            try:
                # A hard link publishes atomically like os.replace but never overwrites, so of two concurrent
                # savers exactly one learns it created the object (and may delete it if its transaction fails).
                os.link(temp, final)
            except FileExistsError:
                return False
            _fsync_dir(final.parent)
            return True
        finally:
            temp.unlink(missing_ok=True)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def open(self, key: str) -> BinaryIO:
        path = self._path(key)
        try:
            return path.open("rb")
        except FileNotFoundError:
            raise FileMissing(key) from None

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            return path.stat().st_size
        except FileNotFoundError:
            raise FileMissing(key) from None

    def discard(self, staged: StagedFile) -> None:
        discard_staged(staged)

    def iter_objects(self) -> Iterator[StoredObject]:
        for path in sorted(self.objects_dir.glob("*/*/*")):
            if not is_key(path.name) or path.parent.name != path.name[2:4] or path.parent.parent.name != path.name[:2]:
                continue
            try:
                info = path.stat()
            except FileNotFoundError:
                continue
            yield StoredObject(path.name, info.st_size, datetime.fromtimestamp(info.st_mtime, UTC))


def _fsync_dir(folder: Path) -> None:
    # Makes the new directory entry itself survive a power cut.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
