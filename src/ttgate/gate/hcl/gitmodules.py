"""Which git submodule a path lies in, from the ``.gitmodules`` files inside the checked root.

A module source in a submodule nobody initialised is a directory that is not there yet: the fix is
``git submodule update --init``, not a new path. Only ``.gitmodules`` files inside the root are read
(symlinks out of it included), each once and bounded in size.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

# A .gitmodules file lists a few paths; anything larger is not one ttgate reads.
MAX_GITMODULES_BYTES = 256 * 1024
_PATH_LINE = re.compile(r"^\s*path\s*=\s*(.+?)\s*$", re.MULTILINE)


class Submodules:
    """The submodule paths declared under one root, read on demand."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.normpath(os.path.abspath(root)))
        self._real_root = Path(os.path.realpath(self.root))
        self._declared: dict[Path, list[PurePosixPath]] = {}

    def containing(self, path: Path) -> str | None:
        """The submodule (its path relative to the root, POSIX slashes) that ``path`` lies in, if any.

        ``path`` is absolute and normalised; a path outside the root is in no submodule ttgate knows.
        """
        try:
            inside = path.relative_to(self.root)
        except ValueError:
            return None
        for depth in range(len(inside.parts)):
            base = self.root.joinpath(*inside.parts[:depth])
            rest = PurePosixPath(*inside.parts[depth:])
            for declared in self._paths_in(base):
                if rest == declared or declared in rest.parents:
                    return (PurePosixPath(*inside.parts[:depth]) / declared).as_posix()
        return None

    def _paths_in(self, directory: Path) -> list[PurePosixPath]:
        paths = self._declared.get(directory)
        if paths is None:
            paths = self._declared[directory] = _read_paths(directory / ".gitmodules", self._real_root)
        return paths


def _read_paths(file: Path, real_root: Path) -> list[PurePosixPath]:
    try:
        real = Path(os.path.realpath(file))
        if not real.is_relative_to(real_root) or not real.is_file():
            return []
        if real.stat().st_size > MAX_GITMODULES_BYTES:
            return []
        text = real.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    paths = []
    for match in _PATH_LINE.finditer(text):
        value = match.group(1).strip('"')
        path = PurePosixPath(value)
        if value and not path.is_absolute() and ".." not in path.parts:
            paths.append(path)
    return paths
