"""The notebooks as nbval integration tests: one real S3 server for the whole run.

``pytest --nbval notebooks/ --nbval-sanitize-with notebooks/sanitize.cfg`` runs every
code cell of every notebook in a fresh kernel and compares its output with the one
stored in the notebook.

The S3 notebooks read ``GENRO_STORAGE_TEST_S3_ENDPOINT``/``_KEY``/``_SECRET`` from the
environment, and nbval starts a notebook's kernel only when that notebook's first cell
runs, with the environment of this process. So, once collection has found notebook
cells (``pytest_collection_modifyitems``, before any cell runs), this file starts moto's
S3 server from ``tests/servers.py`` once for the session and exports the three
variables; ``pytest_unconfigure`` stops it. When the variables are already set (a MinIO
of yours, say), nothing is started and the notebooks use that server. Each notebook
creates and removes its own uniquely named bucket (``notebooks/s3_setup.py``).

Without ``--nbval-sanitize-with``, ``notebooks/sanitize.cfg`` is used: the stored
outputs are only comparable with its rules applied (ports, temporary folders, ids).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent
TESTS_DIR = HERE.parent / "tests"
SANITIZE_FILE = HERE / "sanitize.cfg"
ENV_NAMES = (
    "GENRO_STORAGE_TEST_S3_ENDPOINT",
    "GENRO_STORAGE_TEST_S3_KEY",
    "GENRO_STORAGE_TEST_S3_SECRET",
)

_server: Any = None


def start_s3_server() -> Any:
    """Start moto (``tests/servers.py``) and export its address and credentials.

    Returns the server, or ``None`` when ``GENRO_STORAGE_TEST_S3_ENDPOINT`` is already
    set (an external server is in use).
    """
    if os.environ.get(ENV_NAMES[0]):
        return None
    if str(TESTS_DIR) not in sys.path:
        sys.path.insert(0, str(TESTS_DIR))
    from servers import S3Server

    server = S3Server().start()
    values = (server.endpoint_url, server.access_key, server.secret_key)
    os.environ.update(zip(ENV_NAMES, values, strict=True))
    return server


def stop_s3_server(server: Any) -> None:
    """Stop a server started by :func:`start_s3_server` and unexport its variables."""
    if server is None:
        return
    try:
        server.stop()
    finally:
        for name in ENV_NAMES:
            os.environ.pop(name, None)


def kernels_import_this_checkout() -> None:
    """Put this checkout first on the kernels' ``PYTHONPATH``.

    A kernel starts in ``notebooks/`` and inherits this process's environment; without
    this it would import whichever ``genro_storage`` is installed (an editable install
    may point at another checkout), not the one beside these notebooks, which pytest's
    own tests import.
    """
    root = str(HERE.parent)
    current = os.environ.get("PYTHONPATH", "")
    if root not in current.split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (root, current) if p)


def pytest_configure(config: pytest.Config) -> None:
    kernels_import_this_checkout()
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE_FILE)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    global _server
    if config.option.collectonly or _server is not None:
        return
    if any(item.path.suffix == ".ipynb" for item in items):
        _server = start_s3_server()


def pytest_unconfigure(config: pytest.Config) -> None:
    global _server
    server, _server = _server, None
    stop_s3_server(server)
