"""The repository boundary: nothing a run reads lies outside the repository it checks.

A pull request's author writes every file, name and symbolic link in the checkout; the job around
it holds what they must not see (``/proc/self/environ``, credentials files, the runner's home). So
every file ttgate opens because the checkout names it (.tf, .tf.json, tfvars, module sources, files
read by ``file()``, the found ``.ttgate.yml`` and what it ``extends``) must, once symbolic links are
resolved, lie inside the repository:

- the repository of a checked path is the git work tree holding it (the nearest directory with a
  ``.git``), else the checked path itself (its directory, for a file);
- a path the command line names (``--policy``, ``--var-file``) outside every repository is the
  workflow's own and is read; inside one, it must resolve inside it like any other;
- only regular files are read, opened without blocking, so a FIFO or a device never hangs the run.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Boundary", "NotRegular", "read_regular", "recording", "repository_root"]

# The sets of :func:`recording` blocks open now: each gets the real path of every file read.
_recorders: list[set[str]] = []


@contextmanager
def recording() -> Iterator[set[str]]:
    """The real paths of the files read in the block (a report must never be written over one)."""
    read: set[str] = set()
    _recorders.append(read)
    try:
        yield read
    finally:
        _recorders.remove(read)


def repository_root(path: Path) -> Path:
    """The git work tree holding ``path`` (looked up lexically), else ``path`` (its directory for a file)."""
    absolute = Path(os.path.normpath(os.path.abspath(path)))
    start = absolute if _is_dir(absolute) else absolute.parent
    for candidate in (start, *start.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return start


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


class Boundary:
    """The directories a run may read in (each a repository, by its real path and as written)."""

    def __init__(self, repositories: Iterable[Path]) -> None:
        roots = [Path(os.path.normpath(os.path.abspath(root))) for root in repositories]
        self.lexical = tuple(dict.fromkeys(str(root) for root in roots))
        self.real = tuple(dict.fromkeys(os.path.realpath(root) for root in roots))

    @classmethod
    def of(cls, paths: Iterable[Path]) -> Boundary:
        """The repositories of the checked paths."""
        return cls(repository_root(path) for path in paths)

    def named_inside(self, path: Path | str) -> bool:
        """Whether ``path`` as written (``..`` folded, links not followed) lies in a repository."""
        lexical = os.path.normpath(os.path.abspath(path))
        return any(_inside(lexical, root) for root in (*self.lexical, *self.real))

    def holds(self, path: Path | str) -> bool:
        """Whether ``path``, every symbolic link resolved, lies in a repository."""
        real = os.path.realpath(path)
        return any(_inside(real, root) for root in self.real)

    def refusal(self, path: Path | str) -> str | None:
        """Why ``path`` is not read (outside, or a link out of the repository), or None when it may be."""
        if not self.named_inside(path):
            return "outside the repository ttgate checks"
        if not self.holds(path):
            return "a symbolic link to a file outside the repository ttgate checks"
        return None

    def refusal_of_argument(self, path: Path | str) -> str | None:
        """Like :meth:`refusal`, for a path the command line names: outside every repository is read."""
        if not self.named_inside(path):
            return None
        return self.refusal(path)


class NotRegular(OSError):
    """The path is a directory, a FIFO, a device or a socket: never read."""


def read_regular(path: Path | str, limit: int | None = None) -> bytes:
    """The bytes of a regular file, at most ``limit + 1`` of them (the caller tells "too large").

    Opened without blocking and checked after opening, so a FIFO (which would wait for a writer) or
    a device is refused, never read; raises :class:`NotRegular` for those, OSError when unreadable.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            kind = "a directory" if stat.S_ISDIR(mode) else "a device, pipe or socket"
            kind = f"not a regular file but {kind}"
            raise NotRegular(0, kind)
        if _recorders:
            real = os.path.realpath(path)
            for read in _recorders:
                read.add(real)
        chunks: list[bytes] = []
        wanted = None if limit is None else limit + 1
        while True:
            chunk = os.read(descriptor, 1 << 20 if wanted is None else min(1 << 20, wanted))
            if not chunk:
                break
            chunks.append(chunk)
            if wanted is not None:
                wanted -= len(chunk)
                if wanted <= 0:
                    break
        return b"".join(chunks)
    finally:
        os.close(descriptor)
