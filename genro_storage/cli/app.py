"""The ``genro-storage`` command group and its entry point, :func:`main`."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from .. import __version__
from .._shared.exceptions import StorageError
from .commands import (
    cat_command,
    ls_command,
    md5_command,
    mkdir_command,
    mounts_command,
    rm_command,
    url_command,
)
from .errors import ENV_DEBUG, EXIT_ERROR, EXIT_INTERRUPTED, PROG, CliError, fail, one_line
from .explore import explore_command
from .mounts import ENV_CONFIG
from .transfer import cp_command, mv_command, sync_command

__all__ = ["cli", "main"]

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.option(
    "--config",
    "config",
    metavar="FILE",
    help=f"Mounts file (YAML or JSON). Default: ${ENV_CONFIG}, else "
    "~/.config/genro-storage/mounts.yaml.",
)
@click.version_option(__version__, "--version", prog_name=PROG)
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """One command line over every configured mount and the local filesystem.

    A path is MOUNT:PATH on a configured mount, or a local path (no 'mount:' prefix, or
    starting with /, ./, ../ or ~). See 'genro-storage COMMAND --help'.
    """
    ctx.obj = config


for _command in (
    mounts_command,
    ls_command,
    cat_command,
    cp_command,
    mv_command,
    sync_command,
    rm_command,
    mkdir_command,
    url_command,
    md5_command,
    explore_command,
):
    cli.add_command(_command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (see ``genro_storage.cli``)."""
    try:
        result = cli.main(args=argv, prog_name=PROG, standalone_mode=False)
        sys.stdout.flush()
        return result if isinstance(result, int) else 0
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 0
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else PROG
        message = one_line(Exception(exc.format_message()))
        return fail(f"{message} (see '{where} --help')", exc.exit_code)
    except click.ClickException as exc:
        return fail(one_line(Exception(exc.format_message())), exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        sys.stderr.write(f"{PROG}: interrupted\n")
        return EXIT_INTERRUPTED
    except CliError as exc:
        return fail(str(exc), exc.code)
    except (StorageError, OSError, ValueError) as exc:  # e.g. a bad configuration file
        return fail(one_line(exc), EXIT_ERROR)
    except Exception as exc:
        if os.environ.get(ENV_DEBUG):
            raise
        name = type(exc).__name__
        hint = f"(set {ENV_DEBUG}=1 for the traceback)"
        return fail(f"unexpected {name}: {one_line(exc)} {hint}", EXIT_ERROR)
