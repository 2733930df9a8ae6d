"""The per-user cache directory: created 0700, and used only while no one else can write to it.

Whoever can write a cache decides what the next run reads; a directory another user owns, or one the
group or others may write, is not a cache ttgate uses (a miss costs speed, never correctness).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

_OTHERS_MAY_WRITE = stat.S_IWGRP | stat.S_IWOTH


def default_cache_dir() -> Path | None:
    """``TTGATE_CACHE_DIR`` (empty: no cache), else the user's cache directory."""
    configured = os.environ.get("TTGATE_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    import platformdirs

    return Path(platformdirs.user_cache_dir("ttgate"))


def private_directory(path: Path) -> bool:
    """Create ``path`` (0700) if needed; whether it is ours alone to use."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = path.stat()
    except OSError:
        return False
    owner = getattr(os, "getuid", None)
    if owner is not None and status.st_uid != owner():
        return False
    if status.st_mode & _OTHERS_MAY_WRITE:
        return False  # what is in it may have been planted already
    if stat.S_IMODE(status.st_mode) != 0o700:
        with contextlib.suppress(OSError):
            path.chmod(0o700)  # an older ttgate's 0755: readable, never writable, by others
    return True


def write_atomically(path: Path, text: str) -> None:
    """Write a cache entry whole or not at all (temporary file, then rename); failing only costs speed."""
    try:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    except OSError:
        return  # a read-only or full cache directory
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
