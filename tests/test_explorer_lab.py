"""The explorer's file grid in JupyterLab 4 itself, driven by Debian's Chromium.

One JupyterLab server (loopback, random token, its own config/settings/workspace dirs)
serves a notebook that builds the explorer over a memory mount (samples, a Parquet file
and a folder of 100,000 entries) and a local folder. The browser runs the notebook, then
sorts by a header, scrolls the big folder to its end, walks with the keyboard, drags a
file between panes, drops and picks files from disk (streamed uploads) and previews the
Parquet file. Screenshots in the light and the dark theme go to ``artifacts/explorer/``
(and to ``docs/img/`` with ``GENRO_STORAGE_UPDATE_SCREENSHOTS=1``). Every request to a
host other than 127.0.0.1/localhost is blocked; the server and its kernel are stopped
and the port checked free.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from browser_pages import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DOC_IMAGES,
    REPO,
    LoopbackOnly,
    notebook_server,
    pane,
    shoot,
)
from playwright.sync_api import Locator, Page, expect, sync_playwright
from servers import free_port

WAIT_MS = 60_000
BIG = 100_000

NOTEBOOK_CODE = """import io

import pandas as pd

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer
from genro_storage.widgets.demo import fill_mount, sample_files

storage = AsyncStorageManager(
    [{"name": "mem", "type": "memory"}, {"name": "disk", "type": "local", "path": DISK}]
)
await fill_mount(storage.node("mem:samples"), sample_files(many=50))
frame = pd.DataFrame({"city": ["Rome", "Oslo", "<b>Lima</b>"], "people": [2.8, 0.7, 10.0]})
buffer = io.BytesIO()
frame.to_parquet(buffer)
await storage.node("mem:samples/data/cities.parquet").write_bytes(buffer.getvalue())
sync_big = storage.as_sync().node("mem:big")
for number in range(BIG):
    sync_big.child(f"f{number:06d}.txt").write_bytes(b"x" * (number % 1000))
explorer = StorageExplorer(storage, page_size=200)
explorer"""


def write_notebook(folder: Path, disk: Path) -> Path:
    code = NOTEBOOK_CODE.replace("DISK", repr(str(disk))).replace("BIG", str(BIG))
    notebook = {
        "cells": [{"id": "explorer", "cell_type": "code", "metadata": {},
                   "execution_count": None, "outputs": [], "source": code}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                                    "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }  # fmt: skip
    path = folder / "explorer.ipynb"
    path.write_text(json.dumps(notebook), "utf-8")
    return path


@contextlib.contextmanager
def jupyterlab(root: Path, token: str) -> Iterator[str]:
    """JupyterLab on a free loopback port with its own config, settings and workspaces;
    yields the base URL. The server, its kernels and the port are always released."""
    port = free_port()
    home = root / "jupyter-home"
    env = dict(os.environ)
    # the kernel imports this checkout's genro_storage, whatever is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    for name, sub in (
        ("JUPYTER_CONFIG_DIR", "config"),
        ("JUPYTERLAB_SETTINGS_DIR", "settings"),
        ("JUPYTERLAB_WORKSPACES_DIR", "workspaces"),
        ("JUPYTER_RUNTIME_DIR", "run"),
    ):
        (home / sub).mkdir(parents=True, exist_ok=True)
        env[name] = str(home / sub)  # fmt: skip
    # no "would you like news?" toast over the screenshots (and no fetch of news)
    notification = home / "settings" / "@jupyterlab" / "apputils-extension"
    notification.mkdir(parents=True, exist_ok=True)
    (notification / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), "utf-8"
    )
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.news_url=None", "--ServerApp.port_retries=0",
        "--LabApp.extension_manager=readonly",  # the server asks no package index
    ]  # fmt: skip
    if os.geteuid() == 0:  # containers often run tests as root
        command.append("--allow-root")
    base = f"http://127.0.0.1:{port}"
    ready = f"{base}/api/status?token={token}"
    with notebook_server(command, root, env, port, ready, "JupyterLab", 90):
        yield base


# ---------------------------------------------------------------- page helpers
def body(page: Page, index: int) -> Locator:
    return pane(page, index).locator(".gs-grid-body")


def row(page: Page, index: int, name: str) -> Locator:
    """The grid row showing ``name`` (the name cell's text is exactly the name)."""
    cells = pane(page, index).locator(".gs-grid-item .gs-c-name", has_text=re.compile(
        "^" + re.escape(name) + "$"))  # fmt: skip
    return cells.first.locator("xpath=..")


def names(page: Page, index: int) -> list[str]:
    """The names of the rows drawn, top to bottom."""
    return list(
        body(page, index).evaluate(
            """b => [...b.querySelectorAll('.gs-grid-item')]
                .filter(r => r.style.display !== 'none')
                .sort((x, y) => Number(x.dataset.row) - Number(y.dataset.row))
                .map(r => r.children[1].textContent)"""
        )
    )


def wait_names(page: Page, index: int, check: Callable[[list[str]], bool]) -> list[str]:
    """The names drawn, once ``check`` accepts them (rows arrive from the kernel)."""
    deadline = time.monotonic() + WAIT_MS / 1000
    while not check(shown := names(page, index)):
        assert time.monotonic() < deadline, shown
        time.sleep(0.1)
    return shown


def selected(page: Page, index: int) -> list[str]:
    return pane(page, index).locator(".gs-grid-item.gs-selected .gs-c-name").all_text_contents()


def open_folder(page: Page, index: int, name: str) -> None:
    target = row(page, index, name)
    expect(target).to_be_visible(timeout=WAIT_MS)
    target.dblclick()
    crumbs = pane(page, index).locator(".gs-crumbs button")
    expect(crumbs.last).to_have_text(name, timeout=WAIT_MS)


def go_up_to(page: Page, index: int, crumb: str) -> None:
    pane(page, index).locator(".gs-crumbs button", has_text=crumb).click()
    expect(pane(page, index).locator(".gs-crumbs button").last).to_have_text(crumb)


def set_theme(page: Page, theme: str) -> None:
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', "
                  f"{{theme: {json.dumps(theme)}}})")  # fmt: skip
    page.wait_for_function(
        f"document.body.dataset.jpThemeName === {json.dumps(theme)}", timeout=WAIT_MS
    )
    page.wait_for_timeout(500)  # the theme's stylesheet applies


@pytest.mark.timeout(420)
def test_file_grid_in_jupyterlab(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    write_notebook(tmp_path, disk)
    token = secrets.token_hex(16)
    loopback_only = LoopbackOnly()
    dialogs: list[str] = []
    shots: dict[str, Path] = {}
    upload_a = tmp_path / "from-desktop.txt"
    upload_a.write_bytes(b"dropped from the desktop\n" * 1000)
    upload_b = tmp_path / "picked.bin"
    upload_b.write_bytes(os.urandom(3 * 1024 * 1024 + 17))  # several 1 MiB chunks

    with jupyterlab(tmp_path, token) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1300})
            page = context.new_page()
            page.route("**/*", loopback_only)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(f"{base}/lab/tree/explorer.ipynb?token={token}", timeout=WAIT_MS)
            page.wait_for_function("window.jupyterapp && window.jupyterapp.shell", timeout=WAIT_MS)
            page.locator(".jp-Notebook").wait_for(timeout=WAIT_MS)
            page.wait_for_function(  # the notebook's kernel has started and waits
                """() => {
                    const w = window.jupyterapp.shell.currentWidget;
                    const kernel = w && w.sessionContext && w.sessionContext.session
                        && w.sessionContext.session.kernel;
                    return kernel && kernel.status === 'idle';
                }""",
                timeout=WAIT_MS,
            )
            page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")
            page.locator(".gs-grid").nth(1).wait_for(timeout=120_000)
            expect(pane(page, 1).locator(".gs-crumbs button").first).to_have_text("disk:")

            # sort by a header: size, then descending; folders stay first
            open_folder(page, 0, "samples")
            open_folder(page, 0, "data")
            pane(page, 0).locator(".gs-grid-head .gs-c-size").click()
            expect(pane(page, 0).locator(".gs-grid-head .gs-c-size")).to_have_attribute(
                "data-dir", "asc"
            )
            ascending = ["config.json", "people.csv", "cities.parquet", "events.log"]  # by size
            wait_names(page, 0, lambda shown: shown == ascending)
            pane(page, 0).locator(".gs-grid-head .gs-c-size").click()
            expect(pane(page, 0).locator(".gs-grid-head .gs-c-size")).to_have_attribute(
                "data-dir", "desc"
            )
            wait_names(page, 0, lambda shown: shown == list(reversed(ascending)))
            pane(page, 0).locator(".gs-grid-head .gs-c-name").click()  # back to by name
            wait_names(page, 0, lambda shown: shown == sorted(ascending))

            # the Parquet preview: schema, row count, first rows (escaped)
            row(page, 0, "cities.parquet").click()
            preview = page.locator(".gs-explorer .gs-table", has_text="Oslo")
            expect(preview).to_be_visible(timeout=WAIT_MS)
            expect(page.locator(".gs-explorer", has_text="Parquet: 3 rows")).to_be_visible()
            expect(page.locator(".gs-explorer td", has_text="<b>Lima</b>")).to_be_visible()
            shots["preview"] = shoot(page, "lab-01-parquet-preview")

            # keyboard: Home, arrows, type-ahead, Enter opens, Backspace goes up
            body(page, 0).focus()
            page.keyboard.press("Home")
            first = names(page, 0)[0]
            chosen = pane(page, 0).locator(".gs-grid-item.gs-selected .gs-c-name")
            expect(chosen).to_have_text([first])  # a list: retried while it changes
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Shift+ArrowDown")
            expect(chosen).to_have_text(names(page, 0)[1:3])
            page.keyboard.type("peo")  # type-ahead
            expect(chosen).to_have_text(["people.csv"], timeout=WAIT_MS)
            page.keyboard.press("Backspace")  # the parent folder
            expect(pane(page, 0).locator(".gs-crumbs button").last).to_have_text("samples")

            # drag a file to the other pane (copy), then with Shift (move)
            target = body(page, 1)
            row(page, 0, "README.txt").drag_to(target)
            expect(row(page, 1, "README.txt")).to_be_visible(timeout=WAIT_MS)
            assert (disk / "README.txt").exists()
            expect(row(page, 0, "README.txt")).to_be_visible()  # a copy: still here
            row(page, 0, "notes-latin1.txt").click()
            page.evaluate(  # the same drag with Shift held at the drop: a move
                """([source, target]) => {
                    const data = new DataTransfer();
                    const fire = (el, type, shiftKey) => el.dispatchEvent(new DragEvent(type,
                        {dataTransfer: data, bubbles: true, cancelable: true, shiftKey}));
                    fire(source, 'dragstart', false);
                    fire(target, 'dragover', true);
                    fire(target, 'drop', true);
                }""",
                [row(page, 0, "notes-latin1.txt").element_handle(), target.element_handle()],
            )
            expect(row(page, 1, "notes-latin1.txt")).to_be_visible(timeout=WAIT_MS)
            wait_names(page, 0, lambda shown: "notes-latin1.txt" not in shown and "…" not in shown)
            assert (disk / "notes-latin1.txt").exists()

            # drop a file from the desktop, and pick one with the Upload button
            page.evaluate(
                """([b, text]) => {
                    const data = new DataTransfer();
                    data.items.add(new File([text], 'from-desktop.txt'));
                    for (const type of ['dragenter', 'dragover', 'drop'])
                        b.dispatchEvent(new DragEvent(type, {dataTransfer: data,
                                                             bubbles: true, cancelable: true}));
                }""",
                [target.element_handle(), upload_a.read_text()],
            )
            expect(row(page, 1, "from-desktop.txt")).to_be_visible(timeout=WAIT_MS)
            pane(page, 1).locator(".gs-grid-picker").set_input_files(str(upload_b))
            expect(row(page, 1, "picked.bin")).to_be_visible(timeout=WAIT_MS)
            assert (disk / "from-desktop.txt").read_bytes() == upload_a.read_bytes()
            assert (disk / "picked.bin").read_bytes() == upload_b.read_bytes()
            jobs = page.locator(".gs-job")
            expect(jobs.filter(has_text="upload disk:picked.bin")).to_contain_text("done")
            shots["light"] = shoot(page, "lab-02-grid-light")

            # right-click menu, F2 rename in place, Delete asks first
            row(page, 1, "README.txt").click(button="right")
            menu = pane(page, 1).locator(".gs-grid-menu")
            expect(menu).to_be_visible()
            use = menu.locator(".gs-grid-menuitem", has_text="Use in code")
            expect(use).not_to_have_class(re.compile("gs-disabled"))  # the kernel enabled it
            use.click()
            expect(page.locator(".gs-snippet")).to_have_text(
                "node = storage.node('disk:README.txt')"
            )
            row(page, 1, "picked.bin").click()
            page.keyboard.press("F2")
            editor = pane(page, 1).locator("input.gs-grid-rename")
            expect(editor).to_have_value("picked.bin")
            editor.fill("renamed.bin")
            editor.press("Enter")
            expect(row(page, 1, "renamed.bin")).to_be_visible(timeout=WAIT_MS)
            assert (disk / "renamed.bin").exists() and not (disk / "picked.bin").exists()
            row(page, 1, "renamed.bin").click()
            page.keyboard.press("Delete")
            confirm = page.locator(".gs-confirm")
            expect(confirm).to_contain_text("renamed.bin")
            confirm.locator("button", has_text="Cancel").click()
            assert (disk / "renamed.bin").exists()

            # the 100,000-entry folder: End lists the rest as a job, then shows the last row
            go_up_to(page, 0, "mem:")
            open_folder(page, 0, "big")
            body(page, 0).focus()
            page.keyboard.press("End")
            expect(row(page, 0, f"f{BIG - 1:06d}.txt")).to_be_visible(timeout=120_000)
            expect(pane(page, 0).locator(".gs-grid-foot")).to_have_text(f"{BIG:,} entries")
            drawn = pane(page, 0).locator(".gs-grid-item").count()
            assert drawn < 80, drawn  # only the rows in view are in the page
            scroll = body(page, 0).evaluate("b => [b.scrollTop + b.clientHeight, b.scrollHeight]")
            assert scroll[0] >= scroll[1] - 2, scroll
            page.keyboard.press("Home")  # and back to the top
            expect(row(page, 0, "f000000.txt")).to_be_visible(timeout=WAIT_MS)
            page.mouse.wheel(0, 5000)

            set_theme(page, "JupyterLab Dark")
            go_up_to(page, 0, "mem:")
            open_folder(page, 0, "samples")
            row(page, 0, "README.txt").click()
            page.wait_for_timeout(500)
            shots["dark"] = shoot(page, "lab-03-grid-dark")
            background = (
                pane(page, 0)
                .locator(".gs-grid")
                .evaluate("e => getComputedStyle(e).backgroundColor")
            )
            channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
            assert sum(channels) < 3 * 100, background  # the dark theme's --jp-layout-color1
            set_theme(page, "JupyterLab Light")
            errors = page.locator(".gs-msg.gs-error").all_text_contents()
            assert errors == [], errors
        finally:
            browser.close()

    assert dialogs == []
    assert all(re.match(r"(https?|wss?)://", u) for u in loopback_only.blocked), (
        loopback_only.blocked
    )
    for path in shots.values():
        assert path.stat().st_size < 400_000, (path, path.stat().st_size)
    if os.environ.get("GENRO_STORAGE_UPDATE_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        for key, name in (("light", "explorer-grid-light"), ("dark", "explorer-grid-dark"),
                          ("preview", "explorer-parquet")):  # fmt: skip
            shutil.copyfile(shots[key], DOC_IMAGES / f"{name}.png")
