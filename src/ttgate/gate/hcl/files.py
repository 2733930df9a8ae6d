"""Repository files that ``file()``, ``fileexists()``, ``templatefile()`` and the file hashes read.

Terraform resolves a relative path against its working directory, the root module's directory
(``path.root`` and ``path.cwd`` are ``.`` there, ``path.module`` is a module's directory relative to
it), so each root stack reads through a :class:`Files` whose working directory is its own.

A pull request's author writes every path, so reading is bounded and confined: only regular files
inside the repository (see :mod:`ttgate.policy.boundary`: the git work tree holding a checked path, else the
checked path), after symlinks are resolved, opened without blocking; at most :data:`MAX_READ_BYTES`
of one file and :data:`MAX_READ_TOTAL` in one run. A path outside, a file too large or the budget
spent makes the value Unknown with the reason, and nothing is read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ttgate.gate.values import Invalid, Unknown, quoted
from ttgate.policy.boundary import Boundary, NotRegular, read_regular

__all__ = ["MAX_READ_BYTES", "MAX_READ_TOTAL", "Files", "Repository"]

# Bytes of one file a function reads, and of all files the functions of one run read.
MAX_READ_BYTES = 1024 * 1024
MAX_READ_TOTAL = 32 * 1024 * 1024

_BOUND = "(a bound against hostile input)"


class Repository:
    """The files of one run: the boundary nothing is read outside of, the bytes read so far, a cache."""

    def __init__(self, boundary: Boundary | Path) -> None:
        self.boundary = boundary if isinstance(boundary, Boundary) else Boundary([boundary])
        self.total = 0
        self._cache: dict[str, bytes] = {}

    def cached(self, real: str) -> bytes | None:
        return self._cache.get(real)

    def keep(self, real: str, data: bytes) -> None:
        self.total += len(data)
        self._cache[real] = data


class Files:
    """What one root's expressions read: paths relative to its directory, inside the repository."""

    def __init__(self, repository: Repository, cwd: Path) -> None:
        self.repository = repository
        self.cwd = cwd

    def _locate(self, path: str) -> str | Unknown:
        """The real path of ``path``, or why it is not read (outside the repository)."""
        if "\x00" in path:
            return Invalid(f"{quoted(path)} is not a valid file path")
        repository = self.repository
        outside = Unknown(
            f"{quoted(path)} is outside the repository ttgate checks, so ttgate does not read it "
            "(only files in the repository are read)"
        )
        if path.startswith("~"):
            return outside  # Terraform expands the home directory
        lexical = os.path.normpath(os.path.join(self.cwd, path))
        if not repository.boundary.named_inside(lexical):
            return outside  # `..` out of it, or an absolute path elsewhere: not even looked at
        real = os.path.realpath(lexical)
        if not repository.boundary.holds(real):
            return Unknown(
                f"{quoted(path)} is a symbolic link to a file outside the repository ttgate checks, "
                "so ttgate does not read it"
            )
        return real

    def exists(self, path: str) -> bool | Unknown:
        """``fileexists``: a regular file is there; a directory is an error, as in Terraform."""
        real = self._locate(path)
        if isinstance(real, Unknown):
            return real
        try:
            mode = os.stat(real).st_mode
        except OSError:
            return False
        if stat.S_ISDIR(mode):
            return Invalid(f"{quoted(path)} is a directory, not a file")
        return stat.S_ISREG(mode)

    def read(self, path: str) -> bytes | Unknown:
        """A file's bytes, or why not: missing (perhaps built before plan), not a file, too large."""
        real = self._locate(path)
        if isinstance(real, Unknown):
            return real
        repository = self.repository
        data = repository.cached(real)
        if data is not None:
            return data
        try:
            info = os.stat(real)
        except OSError:
            return Unknown(
                f"no file exists at {quoted(path)}; Terraform reads only files that are part of the "
                "configuration, so unless a step before plan creates it, Terraform fails here"
            )
        if stat.S_ISDIR(info.st_mode):
            return Invalid(f"failed to read file: read {path}: is a directory")
        if not stat.S_ISREG(info.st_mode):
            return Invalid(f"{quoted(path)} is not a regular file")
        if info.st_size > MAX_READ_BYTES:
            return Unknown(
                f"{quoted(path)} is larger than the {MAX_READ_BYTES >> 20} MiB ttgate reads in one "
                f"file {_BOUND}"
            )
        if repository.total + info.st_size > MAX_READ_TOTAL:
            return Unknown(
                f"reading {quoted(path)} would pass the {MAX_READ_TOTAL >> 20} MiB ttgate reads through "
                f"file functions in one run {_BOUND}"
            )
        try:
            data = read_regular(real, MAX_READ_BYTES)
        except NotRegular:
            return Invalid(f"{quoted(path)} is not a regular file")
        except OSError as error:
            return Unknown(f"{quoted(path)} cannot be read ({error.strerror or 'error'})")
        if len(data) > MAX_READ_BYTES:  # grew since stat
            return Unknown(
                f"{quoted(path)} is larger than the {MAX_READ_BYTES >> 20} MiB ttgate reads in one "
                f"file {_BOUND}"
            )
        repository.keep(real, data)
        return data

    def text(self, path: str) -> str | Unknown:
        """A file's text; bytes that are not UTF-8 are Terraform's error."""
        data = self.read(path)
        if isinstance(data, Unknown):
            return data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return Invalid(
                f"contents of {quoted(path)} are not valid UTF-8; use the filebase64 function to obtain "
                "the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to "
                "obtain file hashing results instead"
            )

    # -- fileset (added for issue 17: kept apart) --------------------------------------------

    def listing(self, path: str) -> list[str] | Unknown:
        """The regular files below directory ``path`` (POSIX, relative to it), for ``fileset``.

        Bounded like reads: at most :data:`MAX_LISTED` entries looked at; symlinks are listed only
        when they resolve inside the repository, and symlinked directories are not descended.
        """
        real = self._locate(path)
        if isinstance(real, Unknown):
            return real
        if not os.path.isdir(real):
            return []  # Terraform: no match, an empty set
        found: list[str] = []
        seen = 0
        for directory, subdirectories, names in os.walk(real):
            seen += len(subdirectories) + len(names)
            if seen > MAX_LISTED:
                return Unknown(
                    f"{quoted(path)} holds more than {MAX_LISTED} entries, more than ttgate lists {_BOUND}"
                )
            for name in names:
                full = os.path.join(directory, name)
                target = os.path.realpath(full)
                if self.repository.boundary.holds(target) and os.path.isfile(target):
                    found.append(os.path.relpath(full, real).replace(os.sep, "/"))
        return sorted(found)


# Directory entries fileset() looks at in one call (a bound against hostile input).
MAX_LISTED = 20_000
