"""What the rollback reads from one revision of the repository, and where a file sits in it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class Tree(Protocol):
    """One revision: its file names and the text of some files (``ttgate.integrations.git.GitTree``)."""

    def files(self) -> Sequence[str]:
        """Every file path (POSIX, from the repository's top level)."""
        ...

    def read(self, paths: Sequence[str]) -> Mapping[str, bytes]:
        """The contents of ``paths``; missing ones left out."""
        ...


def is_under(file: str, directory: str) -> bool:
    """``file`` is ``directory`` itself or inside it."""
    return file == directory or file.startswith(directory.rstrip("/") + "/")
