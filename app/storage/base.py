"""The storage contract shared by every backend, and the staging code they all use.

Files are content-addressed: the key of a stored object is the sha256 of its bytes, so saving the same
content twice stores it once, and a key can be checked against the content it names.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, Protocol

from app.core.errors import N_, InvalidInput, PayloadTooLarge

CHUNK_SIZE = 1024 * 1024
_MIB = 1024 * 1024
_KEY = re.compile(r"[0-9a-f]{64}")


class FileMissing(KeyError):
    """No object is stored under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:  # KeyError would print the repr of the key
        return f"no stored file {self.key}"


class InvalidKey(ValueError):
    """The key is not a sha256 hex digest; refused so that it can never act as a path or prefix trick."""


def is_key(name: str) -> bool:
    return bool(_KEY.fullmatch(name))


def validate_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidKey(f"not a storage key: {key!r}")
    return key


@dataclass(frozen=True)
class StagedFile:
    path: Path  # a local temporary file with the complete content (type sniffing, text extraction)
    sha256: str  # hex digest of the content, and the key it is saved under
    size: int  # bytes


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified: datetime  # aware, UTC


class Storage(Protocol):
    temp_dir: Path  # local temporary files of this process (staging, extraction copies)

    def stage(self, source: BinaryIO, *, max_bytes: int) -> StagedFile:
        """Copy an upload to a local temp file; PayloadTooLarge over `max_bytes`, InvalidInput when empty."""
        ...

    def save(self, staged: StagedFile) -> bool:
        """Store atomically under its sha256; True only for the one caller that created the object."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; nothing happens when it is absent."""
        ...

    def exists(self, key: str) -> bool: ...

    def open(self, key: str) -> BinaryIO:
        """A readable stream of the content, to be closed by the caller; FileMissing when absent."""
        ...

    def size(self, key: str) -> int:
        """Bytes stored under the key; FileMissing when absent."""
        ...

    def discard(self, staged: StagedFile) -> None:
        """Remove the staged temp file (idempotent); call it whether or not the file was saved."""
        ...

    def iter_objects(self) -> Iterator[StoredObject]:
        """Every stored object (for reconciling storage with the database); other files are skipped."""
        ...


def stage_to_temp(source: BinaryIO, *, max_bytes: int, temp_dir: Path) -> StagedFile:
    """Stream `source` into a private temp file in `temp_dir`, hashing and counting on the way.

    Reads at most `max_bytes + 1` bytes, one chunk at a time, so an oversized upload never sits in memory
    and is cut off as soon as it passes the limit.
    """
    temp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=temp_dir, prefix="stage-")  # mode 0o600: private until saved
    path = Path(name)
    digest = hashlib.sha256()
    size = 0
    try:
        with open(fd, "wb") as out:
            while size <= max_bytes:
                chunk = source.read(min(CHUNK_SIZE, max_bytes + 1 - size))
                if not chunk:
                    break
                size += len(chunk)
                digest.update(chunk)
                out.write(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"the file is larger than the {max_bytes / _MIB:g} MB limit")
        if size == 0:
            raise InvalidInput(N_("the file is empty"))
    except BaseException:
        # Also on a client that disconnects mid-upload: no temp file outlives a failed stage.
        path.unlink(missing_ok=True)
        raise
    return StagedFile(path=path, sha256=digest.hexdigest(), size=size)


def discard_staged(staged: StagedFile) -> None:
    staged.path.unlink(missing_ok=True)
