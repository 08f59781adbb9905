"""What the two browser tests share (Voilà in ``test_explorer_browser.py``, JupyterLab in
``test_explorer_lab.py``): Debian's Chromium, a notebook server started on loopback and
always stopped, a route that lets the page reach loopback only, and page helpers."""

from __future__ import annotations

import contextlib
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from playwright.sync_api import Locator, Page, Route
from servers import port_is_free, stop_process_tree

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "artifacts" / "explorer"
DOC_IMAGES = REPO / "docs" / "img"
CHROMIUM = "/usr/bin/chromium"  # Debian's package: no browser download
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def answers(url: str) -> bool:
    """Whether something answers HTTP at ``url`` (an error status is an answer)."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            response.read()
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False
    return True


@contextlib.contextmanager
def notebook_server(
    command: list[str], cwd: Path, env: dict[str, str], port: int, ready_url: str, what: str,
    start_timeout: float,
) -> Iterator[subprocess.Popen[bytes]]:  # fmt: skip
    """Run ``command`` (a server on ``port``) until ``ready_url`` answers; yields the
    process. Whatever happens, its process tree (kernels included: they run in sessions
    of their own) is stopped and the port released. Its output goes to ``what``.log."""
    log_path = cwd / f"{what.lower()}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + start_timeout
        while not answers(ready_url) and process.poll() is None:
            assert time.monotonic() < deadline, f"{what} did not start:\n" + log_path.read_text()
            time.sleep(0.1)
        assert process.poll() is None, f"{what} exited:\n" + log_path.read_text()
        yield process
    finally:
        stop_process_tree(process, timeout=15)  # SIGTERM first: it shuts its kernels down
        deadline = time.monotonic() + 10
        while not port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert port_is_free(port), f"port {port} still bound after {what} stopped"


class LoopbackOnly:
    """A page route that lets requests to loopback through and aborts, and records,
    every other one (the explorer must need no network)."""

    def __init__(self) -> None:
        self.blocked: list[str] = []

    def __call__(self, route: Route) -> None:
        host = urllib.parse.urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()


def pane(page: Page, index: int) -> Locator:
    """The explorer's pane ``index`` (0: left)."""
    return page.locator(".gs-pane").nth(index)


def shoot(page: Page, name: str) -> Path:
    """A screenshot of the explorer, kept in ``artifacts/explorer/NAME.png``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.locator(".gs-explorer").screenshot(path=str(path))
    return path
