"""One run of the gate, as `ttgate check` asks for it: inputs checked, model loaded, rules run, report.

Beside the engine, above the reporters (the run ends in their :class:`Report`): the command only
turns options into these calls and prints what they return.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ttgate.errors import UserError
from ttgate.gate.plan import PlanSpec
from ttgate.gate.reporters import FORMATS, Report
from ttgate.gate.reporters.sanitize import hide_secrets
from ttgate.gate.values import display
from ttgate.policy import Severity

if TYPE_CHECKING:
    from ttgate.gate.selection import Changed

# A report format and where it goes: a file, or the terminal (None).
Output = tuple[str, str | None]

# Parser processes: past a few per core they only cost memory, and each outlives a killed parent a while.
MAX_JOBS = 64
# Files a check reads inside the stacks it is given; a report written over one destroys the input.
_TERRAFORM_SUFFIXES = (".tf", ".tf.json", ".tfvars", ".tfvars.json")
_POLICY_NAMES = (".ttgate.yml", ".ttgate.yaml")


@dataclass(frozen=True)
class Inputs:
    """What to check, every path known to exist: stack paths, plans and extra tfvars files."""

    targets: list[Path]
    plans: list[PlanSpec]
    var_files: list[Path]


def check_inputs(paths: Sequence[Path], plans: Sequence[str], var_files: Sequence[Path]) -> Inputs:
    """The inputs, refused (UserError) when one does not exist; no path and no plan means ``.``."""
    plan_specs = [PlanSpec.parse(text) for text in plans]
    for spec in plan_specs:
        if not spec.path.is_file():
            raise UserError(f"--plan {spec.path}: {_not_a_file(spec.path, 'the plan')}")
    targets = list(paths) or ([] if plan_specs else [Path(".")])
    for target in targets:
        if not target.exists():
            raise UserError(f"{target}: no such file or directory")
    for var_file in var_files:
        if not var_file.is_file():
            raise UserError(f"--var-file {var_file}: {_not_a_file(var_file, 'the tfvars')}")
    return Inputs(targets, plan_specs, list(var_files))


def _not_a_file(path: Path, what: str) -> str:
    """Why ``path`` cannot be read as a file (a directory, a device or pipe, or nothing)."""
    if path.is_dir():
        return f"is a directory; pass {what} file"
    return "not a regular file (a device or a pipe?)" if path.exists() else "no such file"


def check_jobs(jobs: int | None) -> int | None:
    """``--jobs``, refused outside 1..MAX_JOBS."""
    if jobs is not None and not 1 <= jobs <= MAX_JOBS:
        raise UserError(f"--jobs {jobs}: expected 1 to {MAX_JOBS} parser processes")
    return jobs


def check_destinations(outputs: Sequence[Output], inputs: Inputs, policy_file: Path | None) -> None:
    """Refuse a report file that is a symbolic link or one of the check's inputs (a .tf or .tfvars of a
    checked stack, a plan, a --var-file, a policy): in a pull request the author chooses both."""
    read = [spec.path for spec in inputs.plans] + list(inputs.var_files)
    read += [policy_file] if policy_file is not None else []
    stacks = [target.resolve() for target in inputs.targets]
    for name, destination in outputs:
        if destination is None:
            continue
        path = Path(destination)
        shown = f"--format {name}:{destination}"
        if path.is_symlink() and not standard_stream(destination):
            raise UserError(f"{shown}: is a symbolic link; ttgate does not write through one")
        if any(path.exists() and other.exists() and path.samefile(other) for other in read):
            raise UserError(f"{shown}: is one of the files this check reads; write the report elsewhere")
        resolved = path.resolve()
        inside_stack = any(resolved == stack or stack in resolved.parents for stack in stacks)
        if (inside_stack and resolved.name.endswith(_TERRAFORM_SUFFIXES)) or resolved.name in _POLICY_NAMES:
            raise UserError(
                f"{shown}: is a Terraform or policy file this check may read; write the report elsewhere"
            )


def standard_stream(destination: str | Path) -> bool:
    """/dev/stdout, /dev/stderr or /dev/fd/N: links the system makes to this process's own streams."""
    text = str(destination)
    return text in ("/dev/stdout", "/dev/stderr") or (
        text.startswith("/dev/fd/") and text[len("/dev/fd/") :].isdigit()
    )


def write_report_file(destination: Path, text: str) -> None:
    """Write through a temporary file renamed into place, so a link planted at the destination is replaced,
    never followed; a device or pipe (/dev/null, /dev/stdout) is written to as it is, without following
    a link."""
    if standard_stream(destination):
        with open(destination, "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    try:
        mode = os.lstat(destination).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        descriptor = os.open(destination, os.O_WRONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        return
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, destination)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parse_formats(values: Sequence[str]) -> list[Output]:
    """``--format F[:FILE]`` values; at most one goes to the terminal (text when none is given)."""
    outputs: list[Output] = []
    for value in values or ("text",):
        name, _, target = value.partition(":")
        if name not in FORMATS:
            raise UserError(
                f"--format {value}: unknown format {display(name)} (choose from {', '.join(FORMATS)})"
            )
        outputs.append((name, target or None))
    if sum(1 for _, target in outputs if target is None) > 1:
        raise UserError(
            "--format: only one format can go to the terminal; give the others a file (json:FILE)"
        )
    return outputs


def root_for(paths: list[Path]) -> Path:
    """File paths in reports are relative to this: the working directory when it holds every path."""
    cwd = Path.cwd().resolve()
    resolved = [path.resolve() for path in paths]
    if all(path == cwd or cwd in path.parents for path in resolved):
        return cwd
    return Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))


def run_gate(
    inputs: Inputs,
    *,
    root: Path | None,
    policy_file: Path | None,
    cache: bool,
    jobs: int | None,
    changed: Changed | None = None,
) -> Report:
    """Load the stacks and plans, run every rule, and report (stacks listed in apply order).

    ``changed``: only the stacks the change can affect are reported (see ttgate.gate.selection)."""
    from ttgate.gate.engine import run_rules
    from ttgate.gate.hcl.loader import load_hcl
    from ttgate.gate.hcl.parse import Parser, default_cache_dir
    from ttgate.gate.model import Model
    from ttgate.gate.plan import add_plans, collector_paused
    from ttgate.gate.rules import RULES
    from ttgate.gate.selection import select
    from ttgate.policy import load_policy

    targets, plan_specs = inputs.targets, inputs.plans
    first = (targets[0] if targets[0].is_dir() else targets[0].parent) if targets else Path(".")
    policy = load_policy(RULES, explicit=policy_file, search_dir=first.resolve())
    if root is None:
        root = root_for(targets or [Path(".")])
    parser = Parser(default_cache_dir() if cache else None, jobs)
    selection = select(changed, targets, root, policy, inputs.var_files) if changed else None
    loaded = selection.load_paths(targets) if selection else targets
    model = load_hcl(loaded, root, policy, parser, inputs.var_files) if loaded else Model(root=root.resolve())
    with collector_paused():
        plan_changes = add_plans(model, plan_specs, policy)
        findings = run_rules(model, policy)
    stacks = model.stacks
    if selection:  # every loaded stack is read by the rules; only the selected ones are reported
        selection.settle(model)
        findings = [finding for finding in findings if selection.keeps(finding)]
        stacks = [stack for stack in stacks if selection.holds(stack)]
    report = Report(
        findings,
        stacks=len(stacks),
        files=parser.hits + parser.misses + len(plan_specs),
        notes=list(model.notes),
        plan_changes=plan_changes,
    )
    report.directories = dict(sorted(model.directories.items()))
    hide_secrets(report, model.stack_secrets)
    report.paths = [target.as_posix() for target in targets] + [spec.path.as_posix() for spec in plan_specs]
    order = {layer.name: layer.order for layer in policy.layers}
    report.stack_list = [
        {
            "name": s.name,
            "layer": s.layer,
            "env": s.env,
            "source": s.kind,
            "role": s.role,
            "plan_file": s.plan_file,
        }
        for s in sorted(stacks, key=lambda s: (s.env or "", order.get(s.layer or "", len(order)), s.name))
    ]
    if selection:
        report.notes.append(selection.note(len(stacks)))
        report.selection = selection.as_json()
    elif not model.stacks:
        report.notes.append(
            "no Terraform configuration found (no .tf file outside hidden directories); check the path"
        )
    return report


def write_reports(
    report: Report, outputs: Sequence[Output], *, echo: Callable[[str], None], color: bool
) -> None:
    """Each format to its file, or through ``echo`` to the terminal (``color`` for the terminal only)."""
    for name, destination in outputs:
        text = FORMATS[name](report, color and destination is None)
        if destination is None:
            echo(text)
            continue
        try:
            write_report_file(Path(destination), text)
        except OSError as error:
            raise UserError(
                f"--format {name}:{destination}: cannot write: {error.strerror or error}"
            ) from None


def fails(report: Report, fail_on: str) -> bool:
    """A new finding at or above ``fail_on`` (a severity, or "never") remains: existing ones (on the
    --new-from revision or in the --baseline file) never fail a run."""
    if fail_on == "never":
        return False
    threshold = Severity.parse(fail_on)
    return any(finding.severity >= threshold for finding in report.new)
