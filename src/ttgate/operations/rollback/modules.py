"""Which local module directories a stack reaches through ``module`` blocks, in any of the trees.

A changed file outside every stack and layer directory (a shared component) belongs to the stacks
whose module calls reach it, followed through nested modules. A call whose ``source`` cannot be read
as a literal, or a .tf file that cannot be parsed, makes the answer "maybe": the stack is included,
and a warning says why.
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence

from ttgate.gate.module_calls import module_calls
from ttgate.operations.rollback.tree import Tree, is_under


class ModuleUsage:
    """Which local module directories each stack reaches through ``module`` blocks, in any tree."""

    def __init__(self, trees: Sequence[Tree], warnings: list[str]) -> None:
        self._trees = trees
        self._warnings = warnings
        self._tf_files: list[dict[str, list[str]]] = []
        for tree in trees:
            by_dir: dict[str, list[str]] = {}
            for file in tree.files():
                if file.endswith(".tf"):
                    by_dir.setdefault(posixpath.dirname(file), []).append(file)
            self._tf_files.append(by_dir)
        self._calls: dict[tuple[int, str], tuple[list[str], bool]] = {}
        self._reach: dict[str, tuple[set[str], bool]] = {}

    def reaches(self, stack_dir: str, file: str) -> bool:
        """True when a module the stack calls (directly or not) contains ``file``, or may."""
        directories, uncertain = self._reachable(stack_dir)
        return uncertain or any(is_under(file, d) for d in directories)

    def _reachable(self, stack_dir: str) -> tuple[set[str], bool]:
        if stack_dir in self._reach:
            return self._reach[stack_dir]
        seen: set[str] = set()
        uncertain = False
        for tree_index in range(len(self._trees)):
            pending = [stack_dir]
            visited: set[str] = set()
            while pending:
                directory = pending.pop()
                if directory in visited:
                    continue
                visited.add(directory)
                sources, unsure = self._module_sources(tree_index, directory, stack_dir)
                uncertain = uncertain or unsure
                for source in sources:
                    seen.add(source)
                    pending.append(source)
        self._reach[stack_dir] = (seen, uncertain)
        return seen, uncertain

    def _module_sources(self, tree_index: int, directory: str, stack_dir: str) -> tuple[list[str], bool]:
        """The local module directories ``directory`` calls in one tree; True when one cannot be known."""
        key = (tree_index, directory)
        if key in self._calls:
            return self._calls[key]
        files = self._tf_files[tree_index].get(directory, [])
        contents = self._trees[tree_index].read(files) if files else {}
        sources: list[str] = []
        unsure = False
        for file in files:
            text = contents.get(file)
            if text is None:
                continue
            calls = module_calls(text.decode("utf-8", errors="replace"))
            if calls is None:
                unsure = True
                self._warn(
                    f"{file} cannot be parsed; stack {stack_dir} is included in case it uses the change"
                )
                continue
            for call in calls:
                if call.source is None:
                    unsure = True
                    self._warn(
                        f"{file}:{call.line}: module source {call.written} is not a literal; "
                        f"stack {stack_dir} is included in case it uses the change"
                    )
                elif call.source.startswith(("./", "../")):
                    sources.append(posixpath.normpath(posixpath.join(directory, call.source)))
        self._calls[key] = (sources, unsure)
        return sources, unsure

    def _warn(self, message: str) -> None:
        if message not in self._warnings:
            self._warnings.append(message)
