"""``genro-storage explore``: the explorer app over the configured mounts."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path

import click

from .errors import CliError
from .mounts import Mounts, config_path, default_config_path
from .running import run

__all__ = ["explore_command", "explorer_notebook"]

EXPLORE_INTRO = """# genro-storage explorer

The mounts of `{config}`. Select a file to preview it; select several and press
**Copy ▶** to copy them into the other pane's folder."""


def explorer_notebook(config: Path, cwd: str) -> dict[str, object]:
    """The explorer notebook over the mounts of ``config`` (its path, never its secrets),
    run from ``cwd`` so that relative paths in the file mean what they mean here."""
    from ..widgets.app import notebook_json

    code = f"""import os

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer

os.chdir({cwd!r})
storage = AsyncStorageManager({str(config)!r})
explorer = StorageExplorer(storage)
explorer"""
    notebook: dict[str, object] = notebook_json(EXPLORE_INTRO.format(config=config), code)
    return notebook


@click.command("explore")
@click.option("--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one).")
@click.option("--lab", is_flag=True, help="Serve with JupyterLab instead of Voilà.")
@click.option(
    "--no-launch", is_flag=True, help="Write the notebook, print it and the server command."
)
@click.pass_context
def explore_command(ctx: click.Context, port: int, lab: bool, no_launch: bool) -> int:
    """Open the explorer app over the configured mounts.

    Serves a notebook with Voilà (or JupyterLab) on 127.0.0.1 until Ctrl-C; needs the
    'widgets' extra.
    """
    import importlib.util

    config = config_path(ctx.obj)
    if config is None:
        raise CliError(f"no mounts to explore: write {default_config_path()} or pass --config")
    # Validate now: a bad file is one line here, not a traceback in a notebook.
    run(ctx, _loads)
    server = "jupyterlab" if lab else "voila"
    if importlib.util.find_spec(server) is None or importlib.util.find_spec("ipywidgets") is None:
        raise CliError(
            f"explore needs {server} and ipywidgets: pip install 'genro-storage[widgets]'"
        )
    from ..widgets.app import serve, server_command

    folder = Path(tempfile.mkdtemp(prefix="genro-storage-explore-"))
    notebook = folder / "explorer.ipynb"
    notebook.write_text(json.dumps(explorer_notebook(config.resolve(), os.getcwd()), indent=1))
    if no_launch:
        command, _url = server_command(notebook, port, lab)
        click.echo(f"notebook: {notebook}")
        click.echo(f"command: {' '.join(command)}")
        return 0
    try:
        status: int = serve(notebook, port, lab)
    finally:
        notebook.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            folder.rmdir()
    return status if status >= 0 else 128 - status


async def _loads(mounts: Mounts) -> int:
    return 0
