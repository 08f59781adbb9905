"""The explorer end to end: Voilà serves a notebook that builds it over a memory mount
and an S3 mount (moto), and Debian's Chromium, driven by Playwright, uses it like a
person would: open folders, page a big folder, preview files, copy to S3 and watch the
progress bar, and finally check the objects on the S3 server itself.

Screenshots go to ``artifacts/explorer/`` (git-ignored). With
``GENRO_STORAGE_UPDATE_SCREENSHOTS=1`` three of them are also copied to ``docs/img/``.
Every request to a host other than 127.0.0.1/localhost is blocked; the Voilà server
(and its kernel) and the browser are always stopped, and the port is checked free.
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
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
from cloud_mounts import S3_BUCKET, s3_mount
from playwright.sync_api import Locator, Page, expect, sync_playwright
from servers import free_port

from genro_storage.widgets.demo import sample_files

WAIT_MS = 30_000
ARCHIVE_MIB = 32

NOTEBOOK_CODE = '''import time

from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends.memory import MemoryBackend
from genro_storage.widgets import StorageExplorer
from genro_storage.widgets.demo import fill_mount, sample_files


class _SlowReader:
    """Streams like a slow network: 0.3 s per chunk, so the progress bar can be seen."""

    def __init__(self, data):
        self._data, self._pos = data, 0

    def read(self, size=-1):
        time.sleep(0.3)
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos:end], min(end, len(self._data))
        return chunk

    def close(self):
        pass


class ThrottledMemory(MemoryBackend):
    def open_read(self, path):
        return _SlowReader(self.read_bytes(path))


storage = AsyncStorageManager()
storage.register_backend_type("throttled", ThrottledMemory)
storage.configure([{"name": "mem", "type": "throttled"}, S3_CONFIG])
await fill_mount(storage.node("mem:samples"), sample_files(many=250))
await storage.node("mem:samples/archive.bin").write_bytes(bytes(ARCHIVE_MIB * 1024 * 1024))
explorer = StorageExplorer(storage, page_size=100)
explorer'''


def write_notebook(folder: Path, s3_config: dict[str, Any]) -> Path:
    code = NOTEBOOK_CODE.replace("S3_CONFIG", repr(s3_config)).replace(
        "ARCHIVE_MIB", str(ARCHIVE_MIB)
    )
    notebook = {
        "cells": [
            {"id": "title", "cell_type": "markdown", "metadata": {},
             "source": "# Explorer end-to-end test"},
            {"id": "explorer", "cell_type": "code", "metadata": {}, "execution_count": None,
             "outputs": [], "source": code},
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }  # fmt: skip
    path = folder / "explorer.ipynb"
    path.write_text(json.dumps(notebook), "utf-8")
    return path


@contextlib.contextmanager
def voila(notebook: Path, token: str) -> Iterator[str]:
    """Serve ``notebook`` with Voilà on a free loopback port; yields the page URL.
    The server, its kernels and the port are released whatever happens."""
    port = free_port()
    command = [
        sys.executable, "-m", "voila", str(notebook), "--no-browser",
        "--Voila.ip=127.0.0.1", f"--port={port}", f"--token={token}",
        f"--Voila.root_dir={notebook.parent}", "--show_tracebacks=True",
    ]  # fmt: skip
    env = dict(os.environ)  # the kernel imports this checkout's genro_storage
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    base = f"http://127.0.0.1:{port}"
    ready = f"{base}/voila/static/"
    with notebook_server(command, notebook.parent, env, port, ready, "Voila", 60):
        yield f"{base}/?token={token}"


# ---------------------------------------------------------------- page helpers
def entry_names(grid: Locator) -> list[str]:
    """The names of the rows the file grid draws, top to bottom (folders end with '/')."""
    return list(
        grid.evaluate(
            """g => [...g.querySelectorAll('.gs-grid-item')]
                .filter(r => r.style.display !== 'none')
                .sort((x, y) => Number(x.dataset.row) - Number(y.dataset.row))
                .map(r => r.children[1].textContent + (r.dataset.kind === 'dir' ? '/' : ''))"""
        )
    )


def grid(page: Page, index: int) -> Locator:
    return pane(page, index).locator(".gs-grid")


def wait_for_entry(listing: Locator, name: str) -> None:
    deadline = time.monotonic() + WAIT_MS / 1000
    while name not in entry_names(listing):
        assert time.monotonic() < deadline, f"{name!r} never listed: {entry_names(listing)}"
        time.sleep(0.1)


def row(page: Page, index: int, name: str) -> Locator:
    wait_for_entry(grid(page, index), name)
    exact = re.compile("^" + re.escape(name.rstrip("/")) + "$")
    cell = grid(page, index).locator(".gs-grid-item .gs-c-name", has_text=exact)
    return cell.first.locator("xpath=..")


def select(page: Page, index: int, *names: str) -> None:
    for number, name in enumerate(names):
        row(page, index, name).click(modifiers=["Control"] if number else None)
    chosen = grid(page, index).locator(".gs-grid-item.gs-selected .gs-c-name")
    expect(chosen).to_have_text([n.rstrip("/") for n in names])


def open_folder(page: Page, index: int, name: str) -> None:
    select(page, index, f"{name}/")
    pane(page, index).locator("button", has_text="Open").click()
    crumbs = pane(page, index).locator(".gs-crumbs button")
    expect(crumbs.last).to_have_text(name, timeout=WAIT_MS)


def bar_percent(job: Locator) -> float:
    style = job.locator(".progress-bar").first.evaluate("e => e.style.width || '0%'")
    return float(style.rstrip("%") or 0)


@pytest.mark.timeout(240)
def test_explorer_in_chromium_over_memory_and_s3(s3_server, tmp_path):
    prefix = f"t-browser-{uuid.uuid4().hex[:10]}"
    notebook = write_notebook(tmp_path, s3_mount(s3_server, "s3", prefix))
    token = secrets.token_hex(16)
    loopback_only = LoopbackOnly()
    dialogs: list[str] = []
    shots: dict[str, Path] = {}

    with voila(notebook, token) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1400})
            page.route("**/*", loopback_only)
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, timeout=WAIT_MS)
            page.wait_for_selector(".gs-explorer", timeout=90_000)  # the kernel runs the cell
            left, right = pane(page, 0), pane(page, 1)
            expect(right.locator(".gs-crumbs button").first).to_have_text("s3:")

            # navigate: into a folder, then page a folder of 250 entries 100 at a time
            open_folder(page, 0, "samples")
            for name in ("data/", "images/", "many/", "web/", "README.txt", "archive.bin"):
                wait_for_entry(grid(page, 0), name)
            shots["listing"] = shoot(page, "01-listing")
            open_folder(page, 0, "many")
            foot = left.locator(".gs-grid-foot")
            expect(foot).to_have_text("100 entries listed so far…", timeout=WAIT_MS)
            left.locator("button", has_text="More").click()
            expect(foot).to_have_text("200 entries listed so far…", timeout=WAIT_MS)
            expect(left.locator(".widget-html", has_text="more in this folder")).to_be_visible()
            shots["paging"] = shoot(page, "02-paging")
            left.locator(".gs-crumbs button", has_text="samples").click()
            wait_for_entry(grid(page, 0), "web/")

            # preview: HTML shown as escaped source (no dialog ever opens), an image, a CSV
            open_folder(page, 0, "web")
            select(page, 0, "page.html")
            source = page.locator(".gs-pre", has_text="alert('this must never run')")
            expect(source).to_be_visible(timeout=WAIT_MS)
            assert page.locator(".gs-explorer script").count() == 0
            left.locator(".gs-crumbs button", has_text="samples").click()
            open_folder(page, 0, "images")
            select(page, 0, "gradient.png")
            image = page.locator(".gs-explorer img.widget-image")
            expect(image).to_be_visible(timeout=WAIT_MS)
            assert image.evaluate("e => e.naturalWidth") == 96
            shots["image"] = shoot(page, "03-preview-image")
            left.locator(".gs-crumbs button", has_text="samples").click()
            open_folder(page, 0, "data")
            select(page, 0, "people.csv")
            cell = page.locator(".gs-table td", has_text="<script>alert('csv')</script>")
            expect(cell).to_be_visible(timeout=WAIT_MS)  # shown as text: it was escaped
            expect(page.locator(".gs-facts td", has_text="text/csv")).to_be_visible()
            shots["preview"] = shoot(page, "04-preview-csv")

            # copy people.csv to S3: the job finishes, the S3 pane shows the file
            copy = page.locator(".gs-explorer button", has_text="Copy ▶")
            expect(copy).to_be_enabled(timeout=WAIT_MS)
            copy.click()
            jobs = page.locator(".gs-job")
            expect(jobs.first).to_contain_text("done:", timeout=WAIT_MS)
            assert bar_percent(jobs.first) == 100
            wait_for_entry(grid(page, 1), "people.csv")

            # a big copy: catch the bar in motion, then done
            left.locator(".gs-crumbs button", has_text="samples").click()
            select(page, 0, "archive.bin")
            copy.click()
            expect(jobs).to_have_count(2, timeout=WAIT_MS)
            big = jobs.first
            expect(big).to_contain_text("archive.bin")
            deadline = time.monotonic() + WAIT_MS / 1000
            while not 0 < bar_percent(big) < 100:
                assert time.monotonic() < deadline, "the progress bar never moved"
                assert "done:" not in big.inner_text(), "finished before any progress showed"
                time.sleep(0.05)
            expect(big).to_contain_text("MiB of 32.0 MiB")
            shots["copy"] = shoot(page, "05-copy-in-progress")
            expect(big).to_contain_text("done:", timeout=60_000)
            assert bar_percent(big) == 100
            wait_for_entry(grid(page, 1), "archive.bin")
            shots["done"] = shoot(page, "06-copy-done")
            assert page.locator(".gs-msg.gs-error").count() == 0, page.locator(
                ".gs-msg.gs-error"
            ).all_text_contents()
        finally:
            browser.close()

    # the result, seen on the S3 server itself
    client = s3_server.client()
    try:
        listed = client.list_objects_v2(Bucket=S3_BUCKET, Prefix=f"{prefix}/")
        sizes = {o["Key"].split("/", 1)[1]: o["Size"] for o in listed.get("Contents", [])}
    finally:
        client.close()
    assert sizes == {
        "people.csv": len(sample_files()["data/people.csv"]),
        "archive.bin": ARCHIVE_MIB << 20,
    }
    assert dialogs == []  # no alert() from any previewed HTML, SVG or CSV
    assert all(
        re.match(r"https?://", u) for u in loopback_only.blocked
    )  # only remote fetches blocked

    for path in shots.values():
        assert path.stat().st_size < 300_000, (path, path.stat().st_size)
    if os.environ.get("GENRO_STORAGE_UPDATE_SCREENSHOTS") == "1":
        DOC_IMAGES.mkdir(parents=True, exist_ok=True)
        for key, name in (("listing", "explorer-listing"), ("preview", "explorer-preview"),
                          ("copy", "explorer-copy")):  # fmt: skip
            shutil.copyfile(shots[key], DOC_IMAGES / f"{name}.png")
