"""The git CLI: the only place ttgate runs git.

:class:`Git` is a small wrapper over one repository. Every failure of a git command becomes a
one-line :class:`UserError` naming the command. Rollback commits are built with plumbing (a
temporary index, ``commit-tree``, ``update-ref``), so the working tree, the index and the checked-out
branch are never touched: the current branch stays current and no ref but the new one moves.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ttgate.errors import UserError

ZERO_OID = "0" * 40
# What may be a commit ID, whole or abbreviated (git abbreviates to 4 digits at least).
COMMIT_ID = re.compile(r"[0-9a-fA-F]{4,40}")


class GitError(UserError):
    """A git command failed; the message is git's own last line, with the command."""


@dataclass(frozen=True)
class Change:
    """One line of ``git diff --name-status``: ``status`` is A, M, D, R, C or T."""

    status: str
    path: str
    old_path: str | None = None  # renames and copies: where it came from

    @property
    def paths(self) -> tuple[str, ...]:
        """Both sides of a rename, else the one path."""
        return (self.old_path, self.path) if self.old_path is not None else (self.path,)


@dataclass(frozen=True)
class TreeEntry:
    """One line of ``git ls-tree -r``: mode, type (blob, commit), object id and path."""

    mode: str
    type: str
    oid: str
    path: str


class Git:
    """One repository, driven through the git CLI.

    ``directory`` may be any directory inside the working tree; paths given to and returned by the
    methods are POSIX paths relative to the repository's top level.
    """

    def __init__(self, directory: Path | str = ".", *, env: Mapping[str, str] | None = None) -> None:
        self._env = dict(os.environ if env is None else env)
        # Never let a caller's GIT_DIR or GIT_INDEX_FILE redirect us to another repository or index.
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
            self._env.pop(name, None)
        self._env["GIT_TERMINAL_PROMPT"] = "0"
        start = Path(directory)
        if not start.is_dir():
            raise UserError(f"{start}: not a directory")
        result = self._raw(["rev-parse", "--show-toplevel", "--show-prefix"], cwd=start)
        if result.returncode != 0:
            raise UserError(f"{start}: not a git repository (or not inside its working tree)")
        top, _, prefix = result.stdout.partition("\n")
        self.root = Path(top.strip())
        self.prefix = prefix.strip()  # where `directory` is, relative to the top level ("" or "a/b/")

    # --- running ------------------------------------------------------------------------------

    def _raw(
        self,
        args: Sequence[str],
        *,
        cwd: Path | None = None,
        input: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        try:
            return subprocess.run(
                ["git", *args],
                cwd=cwd if cwd is not None else self.root,
                input=input,
                capture_output=True,
                text=True,
                encoding="utf-8",
                errors="surrogateescape",
                env={**self._env, **(env or {})},
                check=False,
            )
        except FileNotFoundError:
            raise UserError("git is not installed (or not on PATH)") from None

    def run(self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> str:
        """Run git in the top level; its stdout, or a GitError with git's last line of stderr."""
        result = self._raw(args, input=input, env=env)
        if result.returncode != 0:
            lines = [line for line in result.stderr.strip().splitlines() if line.strip()]
            why = lines[-1].strip() if lines else f"exit status {result.returncode}"
            why = re.sub(r"^(fatal|error): ", "", why)
            raise GitError(f"git {args[0]} failed: {why}")
        return result.stdout

    def succeeds(self, *args: str) -> bool:
        return self._raw(args).returncode == 0

    # --- reading ------------------------------------------------------------------------------

    def resolve_commit(self, revision: str) -> str | None:
        """The full ID of the commit ``revision`` names, or None when it names none.

        Hex digits are a commit ID, never a ref: git itself prefers a tag or branch named
        ``1a2b3c4`` to the commit whose ID starts so, which would roll back to another commit than
        the one asked for. An ID prefix that several commits share, or that a ref of the same name
        contradicts, is refused (UserError).
        """
        if not revision or revision.startswith("-"):
            return None
        if COMMIT_ID.fullmatch(revision):
            return self._resolve_commit_id(revision.lower())
        result = self._raw(["rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"])
        return result.stdout.strip() if result.returncode == 0 else None

    def _resolve_commit_id(self, prefix: str) -> str | None:
        listed = self._raw(["rev-parse", f"--disambiguate={prefix}"]).stdout.split()
        commits = [oid for oid in listed if self._object_type(oid) == "commit"]
        if len(commits) > 1:
            raise UserError(
                f"{prefix} is ambiguous: {len(commits)} commits start with it "
                f"({', '.join(c[:12] for c in commits[:4])}); give more digits of the commit ID"
            )
        refs = self._raw(["show-ref", "--", prefix]).stdout.split("\n")
        named: dict[str, str] = {}
        for line in refs:
            if line.strip():
                ref = line.split(" ", 1)[1]
                peeled = self._raw(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"]).stdout.strip()
                named[ref] = peeled
        if commits:
            others = {ref: oid for ref, oid in named.items() if oid != commits[0]}
            if others:
                ref, oid = next(iter(others.items()))
                raise UserError(
                    f"{prefix} is ambiguous: commit {commits[0][:12]} starts with it, and {ref} (a ref of "
                    f"that name) points to {oid[:12] or 'no commit'}; give the full commit ID"
                )
            return commits[0]
        if named:
            raise UserError(
                f"{prefix}: no commit ID starts with it, but {next(iter(named))} is named so; "
                "give the commit ID, not a tag or branch name"
            )
        return None

    def _object_type(self, oid: str) -> str:
        return self._raw(["cat-file", "-t", oid]).stdout.strip()

    def first_parent_chain_contains(self, commit: str, tip: str) -> bool:
        """``commit`` is ``tip`` or one of its first parents, their first parents and so on."""
        output = self.run("rev-list", "--first-parent", tip)
        return commit in output.split()

    def merge_bringing(self, commit: str, tip: str) -> str | None:
        """The merge on ``tip``'s first-parent chain that brought ``commit`` in through another parent."""
        for merge in self.run("rev-list", "--first-parent", "--merges", tip).split():
            first_parent = self.resolve_parent(merge)
            if first_parent is None or not self.is_ancestor(commit, first_parent):
                return merge
        return None

    def resolve_parent(self, commit: str) -> str | None:
        result = self._raw(["rev-parse", "--verify", "--quiet", f"{commit}^1"])
        return result.stdout.strip() if result.returncode == 0 else None

    def remote_default_branch(self, remote: str) -> str | None:
        """The remote's default branch as last fetched (``refs/remotes/REMOTE/HEAD``), if known."""
        result = self._raw(["symbolic-ref", "--quiet", "--short", f"refs/remotes/{remote}/HEAD"])
        name = result.stdout.strip() if result.returncode == 0 else ""
        return name.removeprefix(f"{remote}/") or None

    def head(self) -> str | None:
        """HEAD's commit, or None in a repository without commits."""
        return self.resolve_commit("HEAD")

    def short(self, commit: str) -> str:
        return self.run("rev-parse", "--short", commit).strip()

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        result = self._raw(["merge-base", "--is-ancestor", ancestor, descendant])
        if result.returncode not in (0, 1):
            raise GitError(f"git merge-base failed: {result.stderr.strip() or result.returncode}")
        return result.returncode == 0

    def current_branch(self) -> str | None:
        """The checked-out branch's short name; None when HEAD is detached."""
        result = self._raw(["symbolic-ref", "--quiet", "--short", "HEAD"])
        return result.stdout.strip() if result.returncode == 0 else None

    def branch_exists(self, name: str) -> bool:
        return self.succeeds("show-ref", "--verify", "--quiet", f"refs/heads/{name}")

    def ref(self, name: str) -> str | None:
        result = self._raw(["rev-parse", "--verify", "--quiet", name])
        return result.stdout.strip() if result.returncode == 0 else None

    def status(self) -> list[str]:
        """``git status --porcelain`` lines (untracked files included): empty when the tree is clean."""
        output = self.run("status", "--porcelain", "--untracked-files=normal")
        return [line for line in output.splitlines() if line]

    def diff_name_status(self, old: str, new: str, path: str) -> list[Change]:
        """What changed under ``path`` from ``old`` to ``new``, renames detected (both sides kept)."""
        output = self.run(
            "diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", old, new, "--", path
        )
        return _name_status(output)

    def diff_stat(self, old: str, new: str, paths: Sequence[str]) -> str:
        return self.run(
            "diff", "--stat=100", "-M", "--no-color", "--no-ext-diff", old, new, "--", *paths
        ).rstrip()

    def diff_names(self, old: str, new: str) -> list[str]:
        """Every path that differs between two commits, renames not detected (both sides listed)."""
        output = self.run("diff", "--name-only", "-z", "--no-renames", old, new)
        return [name for name in output.split("\0") if name]

    def ls_tree(self, revision: str, path: str | None = None, *, recursive: bool = True) -> list[TreeEntry]:
        """The entries at ``revision`` (under ``path`` when given; its direct children if not recursive)."""
        args = ["ls-tree", "-z", "--full-tree"]
        if recursive:
            args.append("-r")
        args.append(revision)
        if path is not None:
            args += ["--", path if recursive else path.rstrip("/") + "/"]
        entries: list[TreeEntry] = []
        for record in self.run(*args).split("\0"):
            if not record:
                continue
            meta, _, name = record.partition("\t")
            mode, kind, oid = meta.split()
            entries.append(TreeEntry(mode, kind, oid, name))
        return entries

    def object_id(self, revision: str, path: str) -> str | None:
        """The object ``revision:path`` (a tree for a directory), or None when it does not exist."""
        result = self._raw(["rev-parse", "--verify", "--quiet", f"{revision}:{path}"])
        return result.stdout.strip() if result.returncode == 0 else None

    def read_blobs(self, revision: str, paths: Sequence[str]) -> dict[str, bytes]:
        """The contents of ``paths`` at ``revision`` (one ``git cat-file --batch``); missing ones left out."""
        if not paths:
            return {}
        request = "".join(f"{revision}:{path}\n" for path in paths).encode("utf-8", "surrogateescape")
        try:
            result = subprocess.run(
                ["git", "cat-file", "--batch"],
                cwd=self.root,
                input=request,
                capture_output=True,
                env=self._env,
                check=False,
            )
        except FileNotFoundError:
            raise UserError("git is not installed (or not on PATH)") from None
        if result.returncode != 0:
            raise GitError(f"git cat-file failed: {result.stderr.decode(errors='replace').strip()}")
        blobs: dict[str, bytes] = {}
        data, position = result.stdout, 0
        for path in paths:
            end = data.index(b"\n", position)
            header = data[position:end].decode()
            position = end + 1
            if header.endswith("missing") or header.endswith("ambiguous"):
                continue
            _, kind, size_text = header.rsplit(" ", 2)
            size = int(size_text)
            if kind == "blob":
                blobs[path] = data[position : position + size]
            position += size + 1
        return blobs

    def is_shallow(self) -> bool:
        """A shallow clone (``actions/checkout`` fetches one commit by default): history may be missing."""
        return self._raw(["rev-parse", "--is-shallow-repository"]).stdout.strip() == "true"

    def merge_base(self, one: str, other: str) -> str | None:
        """The best common ancestor of two commits (what a pull request's diff starts from), or None."""
        result = self._raw(["merge-base", one, other])
        return result.stdout.split()[0] if result.returncode == 0 and result.stdout.strip() else None

    def diff_base(self, revision: str) -> str:
        """Where a pull request's diff starts: the merge base of ``revision`` and HEAD.

        A UserError names what is wrong: no such commit, no shared history, or a shallow clone
        without the base (what ``actions/checkout`` gives by default).
        """
        shallow = self.is_shallow()
        fetch = "fetch the base, e.g. `git fetch --depth=1 origin <base>`"
        commit = self.resolve_commit(revision)
        if commit is None:
            if shallow:
                raise UserError(f"{revision}: no such commit in this shallow clone; {fetch}")
            raise UserError(f"{revision}: not a commit, branch or tag of the repository at {self.root}")
        base = self.merge_base(commit, "HEAD")
        if base is None:
            if shallow:
                # The history between them was not fetched. A pull request's merge commit (what
                # actions/checkout checks out) is the base plus the change, so the base itself is the
                # diff's start there; on a branch the diff also holds what the base gained since.
                return commit
            raise UserError(f"{revision}: shares no history with HEAD")
        return base

    def changes_since(self, base: str) -> list[Change]:
        """Every path that differs between ``base`` and the working tree: committed, staged and
        unstaged changes (renames detected, both sides kept) and untracked files (as added)."""
        output = self.run("diff", "--name-status", "-z", "-M", "--no-color", "--no-ext-diff", base, "--")
        changes = _name_status(output)
        untracked = self.run("ls-files", "-z", "--others", "--exclude-standard", "--full-name")
        changes += [Change("A", name) for name in untracked.split("\0") if name]
        return changes

    def remote_url(self, remote: str) -> str | None:
        result = self._raw(["remote", "get-url", remote])
        return result.stdout.strip() if result.returncode == 0 else None

    # --- writing ------------------------------------------------------------------------------

    def commit_with_paths_from(self, parent: str, source: str, paths: Sequence[str], message: str) -> str:
        """A new commit (on no branch): ``parent``'s tree with ``paths`` (files or directories)
        exactly as they are at ``source``.

        Files under ``paths`` that ``source`` lacks are absent; nothing else changes. Built in a
        temporary index, so the working tree, the real index and every ref stay as they are.
        """

        def restored(name: str) -> bool:
            return any(_is_under(name, path) for path in paths)

        outside = [entry for entry in self.ls_tree(parent) if not restored(entry.path)]
        inside = [entry for entry in self.ls_tree(source) if restored(entry.path)]
        with tempfile.TemporaryDirectory(prefix="ttgate-index-") as scratch:
            index_env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self.run("read-tree", "--empty", env=index_env)
            records = "".join(f"{e.mode} {e.type} {e.oid}\t{e.path}\0" for e in [*outside, *inside])
            self.run("update-index", "-z", "--index-info", input=records, env=index_env)
            tree = self.run("write-tree", env=index_env).strip()
        return self.run("commit-tree", tree, "-p", parent, "-m", message).strip()

    def create_branch(self, name: str, commit: str) -> None:
        """Create ``refs/heads/name`` at ``commit``; fails (changing nothing) when it already exists."""
        self.run("check-ref-format", "--branch", name)
        self.run("update-ref", "-m", "ttgate rollback", f"refs/heads/{name}", commit, ZERO_OID)

    def delete_branch(self, name: str, expected: str) -> None:
        """Delete ``refs/heads/name`` only if it still points at ``expected``."""
        self.run("update-ref", "-d", f"refs/heads/{name}", expected)

    def push_new_branch(self, remote: str, name: str) -> None:
        """``git push -u REMOTE refs/heads/NAME:refs/heads/NAME``: never forced, only that branch."""
        self.run("push", "--quiet", "-u", remote, f"refs/heads/{name}:refs/heads/{name}")

    def write_tree_at(self, revision: str, destination: Path) -> None:
        """Write every file of ``revision`` under ``destination`` (an empty directory), as a checkout
        would, through a temporary index: the working tree, the real index and every ref stay as they
        are, and nothing is left behind in the repository (unlike ``git worktree``)."""
        with tempfile.TemporaryDirectory(prefix="ttgate-index-") as scratch:
            index_env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            self.run("read-tree", "--end-of-options", f"{revision}^{{tree}}", env=index_env)
            prefix = str(destination.resolve()) + os.sep
            self.run("checkout-index", "--all", "--force", f"--prefix={prefix}", env=index_env)


class GitTree:
    """One revision of the repository, read lazily: its file names (blobs only) and some files' bytes."""

    def __init__(self, git: Git, revision: str) -> None:
        self._git = git
        self._revision = revision
        self._files: list[str] | None = None

    def files(self) -> Sequence[str]:
        if self._files is None:
            self._files = [entry.path for entry in self._git.ls_tree(self._revision) if entry.type == "blob"]
        return self._files

    def read(self, paths: Sequence[str]) -> Mapping[str, bytes]:
        return self._git.read_blobs(self._revision, paths)


def _name_status(output: str) -> list[Change]:
    """The changes ``git diff --name-status -z`` lists."""
    fields = output.split("\0")
    changes: list[Change] = []
    index = 0
    while index < len(fields) and fields[index]:
        status = fields[index]
        if status[0] in "RC":
            changes.append(Change(status[0], fields[index + 2], fields[index + 1]))
            index += 3
        else:
            changes.append(Change(status[0], fields[index + 1]))
            index += 2
    return changes


def _is_under(file: str, path: str) -> bool:
    path = path.strip("/")
    return path in ("", ".") or file == path or file.startswith(path + "/")


def normalize_path(path: str, prefix: str = "") -> str:
    """``path`` (relative to the directory whose top-level prefix is ``prefix``) from the top level.

    Refuses absolute paths and paths that leave the repository.
    """
    raw = PurePosixPath(path.replace(os.sep, "/"))
    if raw.is_absolute():
        raise UserError(f"--path {path}: give a path relative to the repository, not an absolute one")
    parts: list[str] = []
    for part in (*PurePosixPath(prefix).parts, *raw.parts):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise UserError(f"--path {path}: outside the repository")
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)
