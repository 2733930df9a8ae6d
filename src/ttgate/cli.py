"""The command line. Heavy modules are imported inside commands so `ttgate --help` stays fast."""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

from ttgate import __version__
from ttgate.errors import UserError


class _Command(click.Group):
    """Turns user errors into one line and exit status 2, everywhere."""

    def invoke(self, ctx: click.Context) -> Any:
        # Read from argv, not from the parsed options: `--debug` must work wherever it was written,
        # and before click has parsed anything.
        debug = "--debug" in sys.argv or os.environ.get("TTGATE_DEBUG") == "1"
        try:
            return super().invoke(ctx)
        except UserError as error:
            if debug:
                raise
            _fail(str(error), error.exit_code)
        except OSError as error:
            if debug:
                raise
            where = f"{error.filename}: " if error.filename else ""
            _fail(f"{where}{error.strerror or error}")
        except (click.exceptions.Exit, click.ClickException, click.Abort, KeyboardInterrupt):
            raise
        except Exception as error:
            if debug:
                raise
            # A bug in ttgate, not the user's input: say so in one line, keep the traceback for --debug.
            click.echo(
                f"ttgate: internal error: {type(error).__name__}: {error} "
                "(run again with --debug for the traceback, and please report it)",
                err=True,
            )
            sys.exit(3)


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"ttgate: error: {message}", err=True)
    sys.exit(code)


@click.group(cls=_Command, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ttgate")
@click.option("--debug", is_flag=True, help="Show a traceback on errors (any command; TTGATE_DEBUG=1 too).")
def main(debug: bool) -> None:
    """ttgate: the runbook's rules as a pre-merge gate for a layered Terraform monorepo.

    \b
    Examples:
      ttgate check practice/deploy            check every stack under a path
      ttgate check . --format json:report.json --fail-on warning
      ttgate rules                            list the rules
      ttgate explain TG201                    what a rule checks, why, and how to fix it
    """


def _register() -> None:
    """Add every command of ttgate.commands: each module lists its click commands in COMMANDS.

    Command modules import only click at the top, so `ttgate --help` stays fast.
    """
    import importlib
    import pkgutil

    import ttgate.commands

    for info in sorted(pkgutil.iter_modules(ttgate.commands.__path__), key=lambda module: module.name):
        module = importlib.import_module(f"ttgate.commands.{info.name}")
        for command in getattr(module, "COMMANDS", ()):
            main.add_command(command)


_register()
