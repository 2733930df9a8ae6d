"""The command line. Heavy modules are imported inside commands so `ttgate --help` stays fast."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import traceback
from typing import Any, NoReturn

import click

from ttgate import __version__, commands
from ttgate.errors import UserError
from ttgate.gate.reporters.sanitize import visible

_DEBUG = "ttgate.debug"  # in click's context meta, which every subcommand's context shares


def _remember_debug(ctx: click.Context, _: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG] = True


def _debug_option(help: str = "Show a traceback on errors.") -> click.Option:
    """``--debug``, declared here only: :class:`_Command` gives every command its own copy, so it is
    accepted before the command's name and after it (``ttgate --debug check`` = ``ttgate check --debug``)."""
    return click.Option(["--debug"], is_flag=True, expose_value=False, callback=_remember_debug, help=help)


def _accept_debug(command: click.Command) -> None:
    if not any(param.name == "debug" for param in command.params):
        command.params.append(_debug_option())
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _accept_debug(subcommand)


class _Command(click.Group):
    """Turns user errors into one line and exit status 2, everywhere; ``--debug`` shows tracebacks."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _accept_debug(cmd)
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except UserError as error:
            _traceback_if_debugging(ctx)
            _fail(str(error), error.exit_code)
        except OSError as error:
            _traceback_if_debugging(ctx)
            where = f"{error.filename}: " if error.filename else ""
            _fail(f"{where}{error.strerror or error}")
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            _traceback_if_debugging(ctx)
            # A bug in ttgate, not the user's input: say so in one line, keep the traceback for --debug.
            click.echo(
                f"ttgate: internal error: {type(error).__name__}: {visible(str(error))} "
                "(run again with --debug for the traceback, and please report it)",
                err=True,
            )
            sys.exit(3)


def _debugging(ctx: click.Context) -> bool:
    return bool(ctx.meta.get(_DEBUG)) or os.environ.get("TTGATE_DEBUG") == "1"


def _traceback_if_debugging(ctx: click.Context) -> None:
    """The traceback for --debug; the exit status stays the same (1 means findings, never a crash)."""
    if _debugging(ctx):
        traceback.print_exc()


def _fail(message: str, code: int = 2) -> NoReturn:
    # The message may quote a path or a key from the checked repository: shown inert, on one line.
    click.echo(f"ttgate: error: {visible(message)}", err=True)
    sys.exit(code)


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ttgate")
def main() -> None:
    """ttgate: the runbook's rules as a pre-merge gate for a layered Terraform monorepo.

    \b
    Examples:
      ttgate check practice/deploy            check every stack under a path
      ttgate check . --format json:report.json --fail-on warning
      ttgate stacks                           how ttgate reads the repository into stacks
      ttgate rules                            list the rules
      ttgate explain TG201                    what a rule checks, why, and how to fix it
    """


main.params.append(_debug_option("Show a traceback on errors (any command; TTGATE_DEBUG=1 too)."))
# Every module of ttgate.commands that lists COMMANDS (found as the rules are: adding a command is adding
# its module); each imports only click and what its help needs, so `ttgate --help` stays fast.
for found in sorted(pkgutil.iter_modules(commands.__path__), key=lambda module: module.name):
    for command in getattr(importlib.import_module(f"{commands.__name__}.{found.name}"), "COMMANDS", ()):
        main.add_command(command)
