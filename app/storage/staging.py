"""Temporary files of uploads and extractions, in folders the app owns, that no crash leaves behind.

Each process works in its own folder under a staging root in the data folder and holds an exclusive flock on
it while it lives. The kernel drops the lock when the process ends however it ends (killed, out of memory),
so at start, and from time to time, any folder whose lock can be taken belongs to a process that is gone
and is removed with everything in it. Processes that share the data folder (several workers) never touch
each other's live files.
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import shutil
import time
from pathlib import Path

log = logging.getLogger("app.storage")

# Loose files that versions before per-process folders left directly in the staging root.
LEGACY_PREFIXES = ("stage-", "save-", "extract-")
LEGACY_AGE_SECONDS = 3600
# Lock descriptors of this process's folders: open for the process's lifetime, that is the lock.
_held: dict[Path, int] = {}


def claim_folder(root: Path) -> Path:
    """A new private folder under `root` for this process's temporary files, after sweeping dead ones."""
    root.mkdir(parents=True, exist_ok=True)
    sweep(root)
    while True:
        folder = root / f"p{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir(mode=0o700)
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # A sweeper may have taken the lock between mkdir and flock and removed the folder: then try again.
        try:
            if os.stat(folder).st_ino == os.fstat(fd).st_ino:
                _held[folder] = fd
                return folder
        except FileNotFoundError:
            pass
        os.close(fd)


def sweep(root: Path) -> int:
    """Removes the folders of processes that have ended (and old loose files); returns how many."""
    removed = 0
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return 0
    for entry in entries:
        if entry in _held:
            continue
        try:
            if entry.is_dir() and not entry.is_symlink():
                removed += _remove_if_abandoned(entry)
            elif entry.name.startswith(LEGACY_PREFIXES) and time.time() - entry.stat().st_mtime > LEGACY_AGE_SECONDS:
                entry.unlink(missing_ok=True)
                removed += 1
        except OSError as exc:  # another sweeper got there first, or a permission problem: never fatal
            log.info("staging sweep skipped %s: %s", entry.name, exc)
    if removed:
        log.info("removed %s temporary item(s) left by ended processes in %s", removed, root)
    return removed


def _remove_if_abandoned(folder: Path) -> int:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0  # a live process holds it
        shutil.rmtree(folder, ignore_errors=True)
        return 1
    finally:
        os.close(fd)  # also releases the lock


def release_folder(folder: Path) -> None:
    """Removes this process's folder (a clean shutdown)."""
    fd = _held.pop(folder, None)
    if fd is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.close(fd)
