"""The options several commands share, declared once, and the one way to apply a group of them.

Every entry is a click decorator; :func:`combine` stacks several in the order they are listed, so a
command reads ``@BACKEND`` rather than repeating six options. Only click is imported here: the
commands' help must stay fast.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ttgate.integrations.aws import Aws
    from ttgate.operations.state.backend import Backend
    from ttgate.policy import Policy

F = TypeVar("F", bound=Callable[..., Any])
Decorator = Callable[[F], F]


def combine(*decorators: Decorator[Any]) -> Decorator[F]:
    """One decorator applying ``decorators`` so that their options appear in the order given."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


# No click-side checks: the policy loader says what is wrong with the file, in one line.
POLICY = click.option(
    "--policy",
    "policy_file",
    type=click.Path(path_type=Path),
    help="Policy file (default: the nearest .ttgate.yml, else the built-in runbook policy).",
)

# The JSON report a GitHub command works from (`ttgate comment`, `review`, `issue`).
REPORT = click.option(
    "--report",
    "report_file",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The JSON report of ttgate check or ttgate audit (--format json:FILE).",
)

# How the gate reads the tree, for every command that checks it (`check`, `baseline`).
VAR_FILES = click.option(
    "--var-file",
    "var_files",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Extra tfvars file applied to every root stack (like terraform -var-file). Repeatable.",
)
PARSING = combine(
    click.option("--no-cache", is_flag=True, help="Parse every file again instead of using the cache."),
    click.option("--jobs", type=int, default=None, help="Parser processes, 1 to 64 (default: every core)."),
)

# The AWS session of every command that reaches AWS, and the policy it starts from (see :func:`connect`).
AWS = combine(
    click.option(
        "--region",
        help="AWS region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the policy's region).",
    ),
    click.option("--profile", help="AWS profile (default: the usual credential chain)."),
    POLICY,
)

# Where an environment's Terraform state lives (`ttgate locks`, `ttgate state`); see :func:`open_backend`.
BACKEND = combine(
    click.option("--env", required=True, help="Environment (dev, stage, prod...)."),
    click.option("--account-id", help="AWS account of the state bucket (default: from STS)."),
    click.option("--bucket", help="State bucket (default: the policy's name for the environment)."),
    click.option("--table", help='Lock table (default: the policy\'s; "" for none).'),
    AWS,
)

LAYER = click.option("--layer", required=True, help="Layer of the stack (10_core, 20_infra, 30_app...).")

DEFAULT_DEPLOY_PATH = "practice/deploy"

# Which rollback (`ttgate rollback plan`, `ttgate rollback create`).
ROLLBACK_SCOPE = combine(
    click.option(
        "--to", "to", required=True, metavar="SHA", help="The commit to roll back to (an ancestor of HEAD)."
    ),
    click.option(
        "--path",
        default=DEFAULT_DEPLOY_PATH,
        show_default=True,
        help="The deploy tree to restore, relative to --repo-dir.",
    ),
    click.option("--env", default=None, help="Only this environment's stacks."),
    click.option(
        "--layers",
        default="auto",
        show_default=True,
        metavar="auto|all|LIST",
        help="auto: the layers the rollback touches; all: every layer; or a comma-separated list.",
    ),
    click.option(
        "--repo-dir",
        type=click.Path(path_type=Path, file_okay=False),
        default=Path("."),
        show_default=True,
        help="A directory of the git repository.",
    ),
    POLICY,
)


def output_format(*, show_default: bool = False) -> Decorator[Any]:
    """``--format text|json`` for the commands that print either."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=show_default,
    )


def yes(help: str) -> Decorator[Any]:
    """``--yes``: the confirmation of a command that changes something; ``help`` says what."""
    return click.option("--yes", is_flag=True, help=help)


def inert(text: str) -> str:
    """Text from AWS (a message body, a log line) with every control character escaped by the one
    sanitiser but its newlines and tabs (the layout of a pretty-printed body or a Lambda log line)."""
    from ttgate.gate.reporters.sanitize import visible

    return "\n".join("\t".join(visible(part) for part in line.split("\t")) for line in text.split("\n"))


def echo_safe(text: str) -> None:
    """Print a line (or lines) holding text from AWS through the one sanitiser: no escape sequence, no
    carriage return, no bidi override, no line that a GitHub Actions runner takes as a command.

    A message body or a log line is written by whoever sent the message or ran the function: it may
    set the terminal's title, clear the screen, paint a fake "all processed" over a line with a
    carriage return and an erase-line, reverse text with bidi overrides, or start a line with ``::``.
    """
    from ttgate.gate.reporters.sanitize import no_command_lines

    click.echo(no_command_lines(inert(text)))


def echo_json(document: object, *, indent: int | None = 2) -> None:
    """Print a JSON document with JSON's own escapes for every control character and no ``##[``."""
    import json

    from ttgate.gate.reporters.sanitize import json_text

    click.echo(json_text(json.dumps(document, indent=indent, ensure_ascii=False)))


def load_policy(policy_file: Path | None, search_dir: Path) -> Policy:
    """The policy: --policy FILE, else the nearest .ttgate.yml from ``search_dir`` up, else the built-in."""
    from ttgate.gate.rules import RULES
    from ttgate.policy import load_policy as load

    return load(RULES, explicit=policy_file, search_dir=search_dir)


def connect(region: str | None, profile: str | None, policy_file: Path | None) -> tuple[Policy, Aws]:
    """The policy and the AWS session that :data:`AWS`'s options name."""
    from ttgate.operations.aws_session import open_session

    policy = load_policy(policy_file, Path.cwd())
    return policy, open_session(policy, region, profile)


def open_backend(
    *,
    env: str,
    account_id: str | None,
    bucket: str | None,
    table: str | None,
    region: str | None,
    profile: str | None,
    policy_file: Path | None,
) -> tuple[Policy, Aws, Backend]:
    """The policy, the AWS session and the environment's backend that :data:`BACKEND`'s options name."""
    from ttgate.operations.state.backend import connect as connect_backend

    policy = load_policy(policy_file, Path.cwd())
    aws, backend = connect_backend(
        policy, env, account_id=account_id, bucket=bucket, table=table, region=region, profile=profile
    )
    return policy, aws, backend
