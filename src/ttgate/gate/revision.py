"""``ttgate check --new-from REV``: the same check on the tree at REV, to tell new findings from existing.

REV's files are written to a temporary directory (:meth:`Git.write_tree_at`, nothing in the repository
changes) and checked with the same paths, var files and policy, mapped into that copy; a finding whose
fingerprint (:mod:`ttgate.gate.fingerprint`) is there as often is existing. Plans describe the tree being
checked, not REV, so REV is checked without them: a plan's findings are always new.

When REV cannot be checked (no such commit, a shallow clone without it, a tree that does not load), one
note says so and every finding stays new: comparing never turns a failing run green by failing itself.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from pathlib import Path

from ttgate.errors import UserError
from ttgate.gate.findings import plural
from ttgate.gate.fingerprint import counts, mark_existing
from ttgate.gate.reporters.report import Report
from ttgate.gate.run import Inputs, root_for, run_gate
from ttgate.gate.values import display


def compare_with_revision(
    report: Report,
    revision: str,
    inputs: Inputs,
    *,
    root: Path | None,
    policy_file: Path | None,
    cache: bool,
    jobs: int | None,
) -> None:
    """Mark the report's findings also found at ``revision`` as existing, and say so in a note."""
    shown = display(revision)
    try:
        commit, known = findings_at(
            revision, inputs, root=root, policy_file=policy_file, cache=cache, jobs=jobs
        )
    except Exception as error:  # whatever broke, the run must not pass because of it
        why = str(error) if isinstance(error, UserError) else f"{type(error).__name__}: {error}"
        report.notes.append(
            f"--new-from {shown}: the tree there could not be checked ({why}); "
            "every finding is reported as new"
        )
        return
    active = sorted(report.active, key=lambda finding: finding.sort_key())
    matched = sum(mark_existing(active, known).values())
    where = commit[:12] if commit.startswith(revision.lower()) else f"{shown} ({commit[:12]})"
    report.notes.append(
        f"new versus existing: {plural(matched, 'finding')} of {len(active)} also on {where}, "
        f"reported as existing; {len(active) - matched} new"
    )


def findings_at(
    revision: str,
    inputs: Inputs,
    *,
    root: Path | None,
    policy_file: Path | None,
    cache: bool,
    jobs: int | None,
) -> tuple[str, Counter[str]]:
    """REV's commit ID and the fingerprints of its active findings, counted."""
    from ttgate.integrations.git import Git

    checked_root = (root or root_for(inputs.targets or [Path(".")])).resolve()
    git = Git(checked_root)  # the repository of the checked paths, wherever ttgate runs from
    commit = git.resolve_commit(revision)
    if commit is None:
        raise UserError(f"no commit {display(revision)} in this clone (a shallow clone? fetch it first)")
    top = git.root.resolve()
    if checked_root != top and top not in checked_root.parents:
        raise UserError(f"{checked_root} is outside the repository {top}")
    with tempfile.TemporaryDirectory(prefix="ttgate-rev-") as scratch:
        copy = Path(scratch) / "tree"
        copy.mkdir()
        git.write_tree_at(commit, copy)
        (copy / ".git").mkdir(exist_ok=True)  # the repository boundary: modules may be read up to here

        def at_revision(path: Path) -> Path:
            absolute = path.resolve()
            if absolute != top and top not in absolute.parents:
                return path  # outside the repository: the workflow's own file, the same at REV
            return copy / absolute.relative_to(top)

        targets = [at_revision(target) for target in inputs.targets]
        # A path the change adds does not exist at REV: everything in it is new.
        targets = [target for target in targets if target.exists()]
        if not targets:
            return commit, Counter()
        var_files = [mapped if (mapped := at_revision(f)).is_file() else f for f in inputs.var_files]
        policy = policy_file
        if policy_file is not None and (mapped := at_revision(policy_file)).is_file():
            policy = mapped
        old = run_gate(
            Inputs(targets, [], var_files),
            root=at_revision(checked_root),
            policy_file=policy,
            cache=cache,
            jobs=jobs,
        )
        return commit, counts(old.active)
