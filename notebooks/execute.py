"""Re-execute the tutorials in place, so that their stored outputs are current.

    .venv/bin/python notebooks/execute.py              # every notebook
    .venv/bin/python notebooks/execute.py 04 05        # the ones whose name starts so

nbval compares each cell's fresh output with the output stored in the notebook, so
after editing a notebook run this, review the diff, and commit. It starts the same
S3 server as the test run (``conftest.py``), executes each notebook top to bottom in a
fresh kernel from the notebooks folder, and writes it back with execution counts (nbval
only compares cells that have one), without timing metadata or widget state (model ids
change on every run; nbval ignores widget views anyway).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from conftest import kernels_import_this_checkout, start_s3_server, stop_s3_server
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def execute(path: Path) -> float:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(HERE)}},
        record_timing=False,
        store_widget_state=False,
    )
    started = time.monotonic()
    client.execute()
    seconds = time.monotonic() - started
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
    nbformat.validate(notebook)
    nbformat.write(notebook, path)
    return seconds


def main(prefixes: list[str]) -> None:
    chosen = [
        p
        for p in sorted(HERE.glob("[0-9][0-9]-*.ipynb"))
        if not prefixes or any(p.name.startswith(x) for x in prefixes)
    ]
    if not chosen:
        sys.exit(f"no notebook matches {prefixes}")
    kernels_import_this_checkout()
    server = start_s3_server()
    try:
        for path in chosen:
            print(f"{path.name}: {execute(path):.1f} s", flush=True)
    finally:
        stop_s3_server(server)


if __name__ == "__main__":
    main(sys.argv[1:])
