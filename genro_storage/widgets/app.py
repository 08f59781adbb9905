"""Try the explorer: ``python -m genro_storage.widgets.app``.

Writes sample files into a local folder (``~/.cache/genro-storage-demo`` by default),
writes a small notebook that mounts that folder, a read-only view of it and a memory
mount filled with samples, and serves the notebook with Voilà on 127.0.0.1 (or with
JupyterLab given ``--lab``). No cloud credentials are needed. ``--no-launch`` only
writes the files and prints the notebook's path.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .demo import write_sample_folder

__all__ = [
    "DEFAULT_DIR",
    "build_notebook",
    "main",
    "notebook_json",
    "serve",
    "server_command",
    "write_demo",
]

DEFAULT_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / (
    "genro-storage-demo"
)
NOTEBOOK_NAME = "explorer-demo.ipynb"

INTRO = """# genro-storage explorer

Two panes browse any mounts: **disk** (a local folder), **readonly** (the same folder,
mounted read-only: no write actions appear) and **mem** (a memory mount filled by the
code cell). Select a file to preview it; select several and press **Copy ▶** to copy them
into the other pane's folder, with a progress bar and a Cancel button per job.

From code: `explorer.selected` is the list of selected nodes."""


def _cell(kind: str, source: str, cell_id: str) -> dict[str, object]:
    cell: dict[str, object] = {
        "id": cell_id,
        "cell_type": kind,
        "metadata": {},
        "source": source,
    }
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return cell


def build_notebook(folder: Path, page_size: int = 200) -> dict[str, object]:
    """The demo notebook (nbformat 4 JSON) over ``folder``."""
    code = f"""from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer
from genro_storage.widgets.demo import fill_mount

storage = AsyncStorageManager([
    {{"name": "disk", "type": "local", "path": {str(folder)!r}}},
    {{"name": "mem", "type": "memory"}},
    {{"name": "readonly", "type": "local", "path": {str(folder)!r}, "permissions": "readonly"}},
])
await fill_mount(storage.node("mem:samples"))  # top-level await: the kernel's own loop
explorer = StorageExplorer(storage, page_size={page_size})
explorer"""
    return notebook_json(INTRO, code)


def notebook_json(intro: str, code: str) -> dict[str, object]:
    """A notebook (nbformat 4 JSON) of one Markdown cell and one code cell."""
    return {
        "cells": [_cell("markdown", intro, "intro"), _cell("code", code, "explorer")],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_demo(directory: Path, many: int = 1000) -> Path:
    """Write the sample folder and the notebook below ``directory``; returns the
    notebook's path."""
    directory.mkdir(parents=True, exist_ok=True)
    folder = write_sample_folder(directory / "files", many=many)
    notebook = directory / NOTEBOOK_NAME
    notebook.write_text(json.dumps(build_notebook(folder.resolve()), indent=1), "utf-8")
    return notebook


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m genro_storage.widgets.app", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="where to write")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--lab", action="store_true", help="serve with JupyterLab, not Voilà")
    parser.add_argument("--many", type=int, default=1000, help="files in the 'many' folder")
    parser.add_argument(
        "--no-launch", action="store_true", help="write the notebook, print its path, exit"
    )
    args = parser.parse_args(argv)

    notebook = write_demo(args.dir.expanduser(), many=args.many)
    if args.no_launch:
        print(notebook)
        return 0
    return serve(notebook, args.port, args.lab)


def server_command(
    notebook: Path, port: int = 0, lab: bool = False, token: str | None = None
) -> tuple[list[str], str]:
    """The command serving ``notebook`` on 127.0.0.1 (Voilà, or JupyterLab with ``lab``)
    and the URL to open; ``port`` 0 picks a free one, ``token`` defaults to a fresh one."""
    port = port or _free_port()
    token = token or secrets.token_hex(16)
    if lab:
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", f"--ServerApp.root_dir={notebook.parent}",
            f"--IdentityProvider.token={token}",
        ]  # fmt: skip
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers often run as root
            command.append("--allow-root")
        url = f"http://127.0.0.1:{port}/lab/tree/{notebook.name}?token={token}"
    else:
        command = [
            sys.executable, "-m", "voila", str(notebook), "--no-browser",
            "--Voila.ip=127.0.0.1", f"--port={port}", f"--token={token}",
        ]  # fmt: skip
        url = f"http://127.0.0.1:{port}/?token={token}"
    return command, url


def serve(notebook: Path, port: int = 0, lab: bool = False) -> int:
    """Serve ``notebook`` (see :func:`server_command`) until the server exits, Ctrl-C or
    SIGTERM; returns the server's exit status."""
    command, url = server_command(notebook, port, lab)
    print(f"notebook: {notebook}")
    print(f"open: {url}", flush=True)
    process = subprocess.Popen(command)

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()  # Jupyter servers shut their kernels down on SIGTERM
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


if __name__ == "__main__":
    raise SystemExit(main())
