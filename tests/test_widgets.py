"""The explorer's widget models, driven on the test's event loop.

No browser here: the tests set widget values and ``click()`` buttons as the frontend
would, then await the explorer's tasks. The mounts are real (memory, local disk); where
a test needs to see or slow down backend calls it registers a small subclass of the
memory backend through ``register_backend_type`` (a real backend, not a mock).
"""

from __future__ import annotations

import ast
import asyncio
import base64
import datetime
import hashlib
import html
import io
import json
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import ipywidgets as ipw
import nbformat
import pytest
from nbclient import NotebookClient
from PIL import Image as PILImage

from genro_storage._shared import capabilities
from genro_storage._shared.exceptions import not_found
from genro_storage._shared.info import VersionInfo
from genro_storage.async_ import AsyncStorageManager, AsyncStorageNode
from genro_storage.backends.memory import MemoryBackend
from genro_storage.widgets import PREVIEW_BYTES, StorageExplorer, render
from genro_storage.widgets import app as demo_app
from genro_storage.widgets.demo import TINY_GIF, png_bytes, sample_files
from genro_storage.widgets.preview import IMAGE_BYTES

WIDGETS_DIR = Path(__file__).resolve().parent.parent / "genro_storage" / "widgets"
MARKUP = re.compile(r"<\s*(script|img|svg|iframe|object|embed|math|style\s+on)\b", re.I)


# ------------------------------------------------------------------ test backends
class SpyMemory(MemoryBackend):
    """Memory backend that records the calls the explorer makes."""

    instances: ClassVar[dict[str, SpyMemory]] = {}

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.calls: list[tuple[Any, ...]] = []
        self._inner = threading.local()
        SpyMemory.instances[config.name] = self

    def info(self, path: str) -> Any:
        if not getattr(self._inner, "on", False):
            self.calls.append(("info", path))
        return super().info(path)

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Any:
        self.calls.append(("list", path, page_size, cursor))
        self._inner.on = True
        try:
            return super().list(path, page_size, cursor)
        finally:
            self._inner.on = False

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        self.calls.append(("read_range", path, start, end))
        self._inner.on = True
        try:
            return super().read_range(path, start, end, etag)
        finally:
            self._inner.on = False

    def read_bytes(self, path: str) -> bytes:
        if not getattr(self._inner, "on", False):
            self.calls.append(("read_bytes", path))
        return super().read_bytes(path)

    def open_read(self, path: str) -> Any:
        self.calls.append(("open_read", path))
        return super().open_read(path)


class _SlowReader:
    def __init__(self, data: bytes, delay: float) -> None:
        self._data, self._pos, self._delay = data, 0, delay

    def read(self, size: int = -1) -> bytes:
        time.sleep(self._delay)
        end = len(self._data) if size < 0 else self._pos + size
        chunk, self._pos = self._data[self._pos : end], min(end, len(self._data))
        return chunk

    def close(self) -> None:
        pass


class SlowMemory(MemoryBackend):
    """Memory backend whose reads and listings take time (``delay`` seconds each)."""

    delay = 0.2

    def open_read(self, path: str) -> Any:
        return _SlowReader(self.read_bytes(path), self.delay)

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        time.sleep(self.delay)
        return super().read_range(path, start, end, etag)

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Any:
        time.sleep(self.delay)
        return super().list(path, page_size, cursor)


class VersionedMemory(MemoryBackend):
    """Memory backend that keeps every written version (like a versioned bucket)."""

    capabilities = replace(capabilities.MEMORY, versions=True)

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.history: dict[str, list[tuple[str, bytes, float]]] = {}

    def write_bytes(self, path: str, data: bytes) -> None:
        super().write_bytes(path, data)
        versions = self.history.setdefault(path, [])
        versions.append((f"v{len(versions) + 1}", bytes(data), time.time()))

    def versions(self, path: str) -> list[VersionInfo]:
        history = self.history.get(path)
        if not history:
            raise not_found(self.where(path))
        last = len(history) - 1
        return [
            VersionInfo(vid, len(data), mtime, number == last)
            for number, (vid, data, mtime) in reversed(list(enumerate(history)))
        ]

    def read_version(self, path: str, version_id: str) -> bytes:
        for vid, data, _ in self.history.get(path, []):
            if vid == version_id:
                return data
        raise not_found(self.where(f"{path}@{version_id}"))


# ------------------------------------------------------------------ fixtures
@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[AsyncStorageManager]:
    disk = tmp_path / "disk"
    disk.mkdir()
    manager = AsyncStorageManager()
    for name, cls in (("spymem", SpyMemory), ("slowmem", SlowMemory), ("vermem", VersionedMemory)):
        manager.register_backend_type(name, cls)
    manager.configure(
        [
            {"name": "mem", "type": "memory"},
            {"name": "disk", "type": "local", "path": str(disk)},
        ]
    )
    yield manager
    await manager.close()


@pytest.fixture
async def explorer(storage: AsyncStorageManager) -> AsyncIterator[StorageExplorer]:
    ex = StorageExplorer(storage)
    await ex.wait_idle()
    yield ex
    ex.close()
    await ex.wait_idle()


def add_mount(storage: AsyncStorageManager, name: str, kind: str, **extra: Any) -> None:
    storage.add_mount({"name": name, "type": kind, **extra})


def html_values(widget: ipw.Widget) -> list[str]:
    """Every string of the widget tree that the frontend renders as HTML: the values of
    ``HTML`` widgets and descriptions that allow HTML. (Labels, button descriptions and
    option labels are set as text by ipywidgets 8, so they cannot carry markup.)"""
    found: list[str] = []
    seen: set[int] = set()

    def walk(w: Any) -> None:
        if id(w) in seen:
            return
        seen.add(id(w))
        if isinstance(w, ipw.HTML | ipw.HTMLMath):
            found.append(w.value)
        if getattr(w, "description_allow_html", False):
            found.append(w.description)
        for child in getattr(w, "children", ()):
            walk(child)

    walk(widget)
    return found


def assert_no_markup(ex: StorageExplorer) -> None:
    """No HTML value anywhere in the explorer contains markup taken from a file."""
    for value in html_values(ex):
        assert not MARKUP.search(value), value[:300]


async def write(storage: AsyncStorageManager, spec: str, data: bytes) -> AsyncStorageNode:
    node = storage.node(spec)
    await node.write_bytes(data)
    return node


# ------------------------------------------------------------------ construction
async def test_construction_does_no_io_and_starts_the_first_listing_as_tasks(storage):
    add_mount(storage, "spy", "spymem")
    spy = SpyMemory.instances["spy"]
    await write(storage, "spy:a.txt", b"a")
    spy.calls.clear()
    storage_mounts = storage.mounts
    ex = StorageExplorer(storage)
    assert spy.calls == []  # nothing ran yet: the listings are tasks
    assert len(ex.runner.tasks) == 2
    assert ex.active.names == []
    await ex.wait_idle()
    assert ex.left.folder.fullpath == f"{storage_mounts[0]}:"
    await ex.open_mount("spy", side="right")
    assert [c for c in spy.calls if c[0] == "list"] == [("list", "", 200, None)]
    assert ex.right.names == ["a.txt"]
    assert ex.messages == []
    ex.close()


async def test_construction_without_a_running_loop_then_await_refresh(storage):
    await write(storage, "mem:x.txt", b"x")
    ex = await asyncio.to_thread(StorageExplorer, storage)  # no loop in that thread
    assert not ex.runner.tasks
    assert ex.left.names == []
    assert "Ready" in ex.status.value
    assert await ex.refresh() is True
    assert ex.left.names == ["x.txt"]
    ex.close()


def test_widget_package_uses_only_the_async_api_and_never_blocks_the_loop():
    forbidden_modules = ("genro_storage.backends", "genro_storage.manager", "genro_storage.node")
    for path in WIDGETS_DIR.glob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if node.level:  # relative: resolve against genro_storage.widgets
                    base = ["genro_storage", "widgets"][: 2 - (node.level - 1)]
                    module = ".".join([*base, module] if module else base)
                assert not module.startswith(forbidden_modules), f"{path.name}: {module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(forbidden_modules), path.name
                    assert "nest_asyncio" not in alias.name, path.name
            elif isinstance(node, ast.Attribute):  # code, not docstrings
                assert node.attr != "run_until_complete", path.name
                is_asyncio = isinstance(node.value, ast.Name) and node.value.id == "asyncio"
                assert not (is_asyncio and node.attr == "run"), f"{path.name} uses asyncio.run"


# ------------------------------------------------------------------ listing
async def test_first_page_of_a_10000_entry_folder_and_more(storage):
    add_mount(storage, "spy", "spymem")
    spy = SpyMemory.instances["spy"]
    sync_root = storage.as_sync().node("spy:big")
    for number in range(10_000):
        sync_root.child(f"f{number:05d}.txt").write_bytes(b"x")
    ex = StorageExplorer(storage)
    await ex.wait_idle()
    spy.calls.clear()

    ticks = 0
    navigating = asyncio.ensure_future(ex.navigate("spy:big"))
    while not navigating.done():  # the loop keeps running while the page is fetched
        ticks += 1
        await asyncio.sleep(0)
    assert await navigating is True
    assert ticks > 1
    pane = ex.left
    assert len(pane.names) == 200
    assert pane.names[0] == "f00000.txt"
    assert spy.calls == [("list", "big", 200, None)]  # one page, never the whole folder
    assert pane.cursor is not None
    assert pane.more_button.layout.display != "none" and not pane.more_button.disabled
    assert "200 entries loaded" in pane.count_label.value
    assert "more in this folder" in pane.count_label.value

    assert await ex.load_more() is True
    assert len(pane.names) == 400
    assert spy.calls[-1] == ("list", "big", 200, "f00199.txt")
    pane.more_button.click()  # the button does the same, as a task
    await ex.wait_idle()
    assert len(pane.names) == 600
    while pane.cursor is not None:
        assert await ex.load_more() is True
    assert len(pane.names) == 10_000
    assert pane.names[-1] == "f09999.txt"
    assert pane.more_button.layout.display == "none"
    assert all(c[2] == 200 for c in spy.calls if c[0] == "list")
    assert not ex.errors
    ex.close()


async def test_sort_and_filter_work_on_loaded_entries(storage, explorer):
    for name, size in (("b.txt", 300), ("a.csv", 10), ("c.json", 100)):
        await write(storage, f"mem:s/{name}", b"x" * size)
        await asyncio.sleep(0.02)  # distinct mtimes
    await storage.node("mem:s/d").mkdir()
    assert await explorer.navigate("mem:s")
    pane = explorer.left

    def names() -> list[str]:
        return pane.names

    assert names() == ["d", "a.csv", "b.txt", "c.json"]  # folders first, then by name
    pane.grid.sort_key = "size"
    assert names() == ["d", "a.csv", "c.json", "b.txt"]
    pane.grid.sort_desc = True
    assert names() == ["d", "b.txt", "c.json", "a.csv"]
    pane.grid.sort_key = "mtime"
    assert names() == ["d", "c.json", "a.csv", "b.txt"]  # newest first
    pane.grid.sort_desc = False
    pane.grid.sort_key = "name"
    pane.select("b.txt", "c.json")
    pane.name_filter.value = "C"  # case-insensitive substring
    assert names() == ["a.csv", "c.json"]
    # the filtered-out selection is dropped
    assert [e.name for e in pane.selected_entries] == ["c.json"]
    pane.name_filter.value = "*.json"
    assert names() == ["c.json"]
    assert "1 shown" in pane.count_label.value
    pane.name_filter.value = ""
    assert len(names()) == 4

    small = StorageExplorer(storage, page_size=2)
    await small.wait_idle()
    assert await small.navigate("mem:s")
    small.left.name_filter.value = "c"
    assert "loaded entries only" in small.left.count_label.value
    assert small.left.names == ["a.csv"]  # c.json not loaded yet
    assert await small.load_more()
    assert small.left.names == ["a.csv", "c.json"]
    small.close()


async def test_breadcrumbs_up_and_open(storage, explorer):
    await write(storage, "mem:a/b/c/file.txt", b"x")
    assert await explorer.navigate("mem:a/b/c")
    pane = explorer.left
    labels = [w.description for w in pane.breadcrumbs.children if isinstance(w, ipw.Button)]
    assert labels == ["mem:", "a", "b", "c"]
    crumb_a = [w for w in pane.breadcrumbs.children if getattr(w, "description", "") == "a"][0]
    crumb_a.click()
    await explorer.wait_idle()
    assert pane.folder.fullpath == "mem:a"
    pane.select("b")
    assert not pane.open_button.disabled
    pane.open_button.click()
    await explorer.wait_idle()
    assert pane.folder.fullpath == "mem:a/b"
    pane.up_button.click()
    await explorer.wait_idle()
    assert pane.folder.fullpath == "mem:a"
    pane.mount_picker.value = "disk"
    await explorer.wait_idle()
    assert pane.folder.fullpath == "disk:"


async def test_a_new_navigation_cancels_the_stale_listing(storage, explorer):
    add_mount(storage, "slow", "slowmem")
    sync = storage.as_sync()
    sync.node("slow:one/x.txt").write_bytes(b"1")
    sync.node("slow:two/y.txt").write_bytes(b"2")
    pane = explorer.left
    stale = pane.go("slow:one")
    await asyncio.sleep(0.05)
    assert pane.listing_task is stale and not stale.done()
    assert await explorer.navigate("slow:two") is True
    assert stale.cancelled()
    assert pane.folder.fullpath == "slow:two"
    assert pane.names == ["y.txt"]

    first = asyncio.ensure_future(explorer.navigate("slow:one"))
    await asyncio.sleep(0.05)
    older = pane.listing_task
    pane.up_button.click()  # a click replaces it too
    assert await first is False  # superseded, not an error
    assert older.cancelled()
    await explorer.wait_idle()
    assert pane.folder.fullpath == "slow:"
    assert not explorer.errors


async def test_a_new_preview_cancels_the_stale_preview(storage, explorer):
    add_mount(storage, "slow", "slowmem")
    sync = storage.as_sync()
    sync.node("slow:a.txt").write_bytes(b"aaa")
    sync.node("slow:b.txt").write_bytes(b"bbb")
    stale = asyncio.ensure_future(explorer.preview("slow:a.txt"))
    await asyncio.sleep(0.05)
    older = explorer.runner.current("preview")
    assert await explorer.preview("slow:b.txt") is True
    assert await stale is False and older.cancelled()
    assert "bbb" in explorer.preview_html.value and "aaa" not in explorer.preview_html.value


# ------------------------------------------------------------------ preview
async def test_preview_text_utf8_and_latin1_fallback(storage, explorer):
    await write(storage, "mem:u.txt", "café 東京 <b>bold</b>\n".encode())
    await write(storage, "mem:l.txt", "crème brûlée".encode("latin-1"))
    assert await explorer.preview("mem:u.txt")
    assert explorer.last_preview.kind == "text"
    assert explorer.last_preview.encoding == "utf-8"
    assert "café 東京 &lt;b&gt;bold&lt;/b&gt;" in explorer.preview_html.value
    assert "utf-8" in explorer.preview_note.value
    assert await explorer.preview("mem:l.txt")
    assert explorer.last_preview.encoding == "latin-1"
    assert "crème brûlée" in explorer.preview_html.value
    assert "fell back to latin-1" in explorer.preview_note.value


async def test_preview_json_is_pretty_printed_and_escaped(storage, explorer):
    data = json.dumps({"a": [1, 2], "h": "<script>x</script>"}).encode()
    await write(storage, "mem:c.json", data)
    assert await explorer.preview("mem:c.json")
    assert explorer.last_preview.kind == "json"
    html = explorer.preview_html.value
    assert "{\n  &quot;a&quot;: [\n    1," in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html
    assert_no_markup(explorer)
    await write(storage, "mem:bad.json", b'{"a": ')
    assert await explorer.preview("mem:bad.json")
    assert explorer.last_preview.kind == "text"
    assert "not valid JSON" in explorer.preview_note.value


async def test_preview_csv_as_an_escaped_table(storage, explorer):
    rows = 'name,note\nAda,"a, b"\nEve,<script>alert(1)</script>\n'
    await write(storage, "mem:p.csv", rows.encode())
    assert await explorer.preview("mem:p.csv")
    assert explorer.last_preview.kind == "csv"
    html = explorer.preview_html.value
    assert "<table" in html and "<th>name</th><th>note</th>" in html
    assert "<td>a, b</td>" in html
    assert "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>" in html
    assert "<script" not in html
    assert_no_markup(explorer)


async def test_preview_images_by_magic_bytes(storage, explorer):
    png = png_bytes(20, 10)
    await write(storage, "mem:pic.png", png)
    await write(storage, "mem:renamed.dat", png)  # the content decides, not the name
    assert await explorer.preview("mem:pic.png")
    assert explorer.last_preview.kind == "image"
    with PILImage.open(io.BytesIO(explorer.preview_image.value)) as shown:  # re-encoded
        assert shown.size == (20, 10) and shown.format == "PNG"
    assert explorer.preview_image.format == "png"
    assert explorer.preview_image.layout.display != "none"
    assert explorer.preview_html.layout.display == "none"
    assert await explorer.preview("mem:renamed.dat")
    assert explorer.last_preview.image_format == "png"
    for data, fmt in (
        (TINY_GIF, "gif"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 20, "jpeg"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "webp"),
    ):
        assert render(data, "x").image_format == fmt
    # a text preview afterwards hides the image again
    await write(storage, "mem:t.txt", b"text")
    assert await explorer.preview("mem:t.txt")
    assert explorer.preview_image.layout.display == "none"


async def test_preview_binary_as_hex_dump(storage, explorer):
    await write(storage, "mem:b.bin", bytes(range(256)) * 64)  # 16 KiB
    assert await explorer.preview("mem:b.bin")
    preview = explorer.last_preview
    assert preview.kind == "hex"
    html = explorer.preview_html.value
    assert "00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|" in html
    assert "|0123456789:;&lt;=&gt;?|" in html  # the ASCII column is escaped
    assert html.count("\n") < 300  # only the first 4 KiB are dumped
    assert "hex dump of the first 4.0 KiB" in explorer.preview_note.value


async def test_html_and_svg_are_shown_escaped_never_rendered(storage, explorer):
    page = b"<!doctype html><html><script>alert(1)</script><img src=x onerror=alert(2)></html>"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(3)"><script>x</script></svg>'
    await write(storage, "mem:web/page.html", page)
    await write(storage, "mem:web/logo.svg", svg)
    await write(storage, "mem:web/sneaky.txt", page)  # markup inside a .txt
    await write(storage, "mem:web/<img src=x onerror=alert(4)>.txt", b"named")
    assert await explorer.navigate("mem:web")
    for name in ("page.html", "logo.svg", "sneaky.txt"):
        explorer.left.select(name)
        await explorer.wait_idle()
        assert explorer.last_preview.kind == "source", name
        assert "never rendered" in explorer.preview_note.value
        assert "&lt;script&gt;" in explorer.preview_html.value
        assert_no_markup(explorer)
    explorer.left.select("<img src=x onerror=alert(4)>.txt")
    await explorer.wait_idle()
    assert "mem:web/&lt;img src=x onerror=alert(4)&gt;.txt" in explorer.facts_html.value
    assert_no_markup(explorer)
    for value in html_values(explorer):
        assert "<script" not in value.lower()


async def test_large_file_preview_reads_only_the_first_bytes(storage, explorer):
    add_mount(storage, "spy", "spymem")
    spy = SpyMemory.instances["spy"]
    big = (b"0123456789abcde\n" * 65536) + b"tail-marker"  # 1 MiB + 11 bytes
    await write(storage, "spy:big.log", big)
    spy.calls.clear()
    assert await explorer.preview("spy:big.log")
    reads = [c for c in spy.calls if c[0] in ("read_range", "read_bytes", "open_read")]
    assert reads == [("read_range", "big.log", 0, PREVIEW_BYTES)]
    preview = explorer.last_preview
    assert preview.truncated and preview.bytes_read == PREVIEW_BYTES
    assert "first 64.0 KiB of 1.0 MiB" in explorer.preview_note.value
    assert "tail-marker" not in explorer.preview_html.value
    # an image too large to show whole: still only the first bytes, as hex
    huge_png = png_bytes(4, 4)[:33] + b"\x00" * (IMAGE_BYTES + 10)
    await write(storage, "spy:huge.png", huge_png)
    spy.calls.clear()
    assert await explorer.preview("spy:huge.png")
    reads = [c for c in spy.calls if c[0] in ("read_range", "read_bytes", "open_read")]
    assert reads == [("read_range", "huge.png", 0, PREVIEW_BYTES)]
    assert explorer.last_preview.kind == "hex"
    assert "too large" in explorer.preview_note.value


def test_render_handles_cut_utf8_and_boms():
    text = "é" * 10
    data = text.encode()[:-1]  # the last character is cut in half
    preview = render(data, "x.txt", size=20, truncated=True)
    assert preview.encoding == "utf-8" and "é" * 9 in preview.html
    assert render("ok".encode("utf-16"), "x.txt").encoding == "utf-16"
    assert render(b"", "x.txt").kind == "empty"
    assert render(b"\xef\xbb\xbfhi", "x.txt").encoding == "utf-8-sig"


# ------------------------------------------------------------------ facts
async def test_facts_md5_metadata_and_versions(storage, explorer):
    data = b"some content"
    node = await write(storage, "mem:f.txt", data)
    await node.set_metadata({"owner": "<b>ada</b>", "tag": "x"})
    await explorer.refresh()
    explorer.left.select("f.txt")
    await explorer.wait_idle()
    facts = explorer.facts_rows
    assert facts["size"] == "12 B (12 bytes)"
    assert facts["mimetype"] == "text/plain"
    assert facts["mtime"]
    assert "md5" not in facts
    assert "&lt;b&gt;ada&lt;/b&gt;" in explorer.metadata_html.value
    assert explorer.versions_box.layout.display == "none"  # memory keeps no versions
    assert explorer.md5_button.layout.display != "none"
    explorer.md5_button.click()
    await explorer.wait_idle()
    assert explorer.facts_rows["md5"] == hashlib.md5(data).hexdigest()

    add_mount(storage, "ver", "vermem")
    await write(storage, "ver:doc.txt", b"first draft")
    await write(storage, "ver:doc.txt", b"second draft")
    assert await explorer.preview("ver:doc.txt")
    assert explorer.versions_box.layout.display != "none"
    assert [v for _, v in explorer.versions_picker.options] == ["v2", "v1"]
    assert "latest" in explorer.versions_picker.options[0][0]
    explorer.versions_picker.value = "v1"
    explorer.open_version_button.click()
    await explorer.wait_idle()
    assert "first draft" in explorer.preview_html.value
    assert "version v1" in explorer.preview_title.value
    assert await explorer.open_version("v2")
    assert "second draft" in explorer.preview_html.value


async def test_selected_returns_nodes(storage, explorer):
    for name in ("a.txt", "b.txt", "c.txt"):
        await write(storage, f"mem:{name}", b"x")
    await explorer.refresh()
    explorer.left.select("a.txt", "c.txt")
    await explorer.wait_idle()
    selected = explorer.selected
    assert selected == [storage.node("mem:a.txt"), storage.node("mem:c.txt")]
    assert all(isinstance(n, AsyncStorageNode) for n in selected)
    assert explorer.facts_rows["selected"] == "2 items"
    assert await selected[1].read_bytes() == b"x"
    explorer.right.select()  # nothing in the right pane (disk is empty)
    assert explorer.right.selected == []


# ------------------------------------------------------------------ jobs
async def test_copy_job_drives_the_progress_bar_to_100_percent(storage, explorer, tmp_path):
    data = os.urandom(9 * 1024 * 1024)  # three chunks of the library's 4 MiB
    await write(storage, "mem:big.bin", data)
    await explorer.refresh()
    explorer.left.select("big.bin")
    await explorer.wait_idle()
    assert explorer.copy_button.description == "Copy ▶"
    explorer.copy_button.click()
    (job,) = explorer.jobs.items
    assert job.unit == "bytes" and job.task is not None
    await explorer.wait_idle()
    assert job.state == "done", job.detail.value
    assert job.bar.max == len(data) and job.bar.value == len(data) and job.fraction == 1.0
    assert job.bar.bar_style == "success"
    assert job.events >= 3
    assert (tmp_path / "disk" / "big.bin").read_bytes() == data
    assert "big.bin" in explorer.right.names  # target reloaded
    assert job.cancel_button.disabled

    # a tree: progress counts files
    for number in range(5):
        await write(storage, f"mem:tree/f{number}.txt", b"x" * number)
    await explorer.left.refresh()
    explorer.left.select("tree")
    jobs = await explorer.copy_selected()
    assert jobs[0].unit == "files" and jobs[0].state == "done"
    assert jobs[0].bar.max == 5 and jobs[0].bar.value == 5
    assert sorted(os.listdir(tmp_path / "disk" / "tree")) == [f"f{n}.txt" for n in range(5)]

    # skip strategy: the second copy skips the existing file
    explorer.skip_picker.value = "exists"
    explorer.left.select("big.bin")
    (again,) = await explorer.copy_selected()
    assert again.state == "done" and again.report.skipped == ["mem:big.bin"]
    assert "1 skipped" in again.detail.value


async def test_move_to_the_other_pane(storage, explorer, tmp_path):
    await write(storage, "mem:m.txt", b"moving")
    await explorer.refresh()
    explorer.left.select("m.txt")
    (job,) = await explorer.copy_selected(move=True)
    assert job.state == "done"
    assert (tmp_path / "disk" / "m.txt").read_bytes() == b"moving"
    assert not await storage.node("mem:m.txt").exists()
    await explorer.wait_idle()
    assert "m.txt" not in explorer.left.names


async def test_cancel_a_slow_job_leaves_no_destination(storage, explorer, tmp_path):
    add_mount(storage, "slow", "slowmem")
    storage.as_sync().node("slow:huge.bin").write_bytes(b"z" * (40 * 1024 * 1024))
    assert await explorer.navigate("slow:")
    explorer.left.select("huge.bin")
    (job,) = explorer.start_transfer()
    deadline = time.monotonic() + 20
    while job.events == 0:  # the first chunk has been written to the destination
        assert time.monotonic() < deadline, "no progress"
        await asyncio.sleep(0.01)
    assert 0 < job.bar.value < job.bar.max
    job.cancel_button.click()
    await explorer.wait_idle()
    assert job.state == "cancelled" and job.task.cancelled()
    assert job.bar.bar_style == "warning"
    assert "cancelled" in job.detail.value
    assert list((tmp_path / "disk").rglob("*")) == []  # no file, no temporary left over
    assert not await storage.node("disk:huge.bin").exists()
    assert any("cancelled" in text for _, text in explorer.messages)
    assert not explorer.errors


# ------------------------------------------------------------------ file actions
async def test_delete_requires_confirmation(storage, explorer):
    await write(storage, "mem:keep.txt", b"k")
    await write(storage, "mem:gone.txt", b"g")
    await write(storage, "mem:dir/inner.txt", b"i")
    await explorer.refresh()
    explorer.left.select("gone.txt", "dir")
    await explorer.wait_idle()
    explorer.delete_button.click()
    assert explorer.confirm_box.layout.display == "flex"
    assert "Delete 2 items" in explorer.confirm_label.value
    assert "dir/ (folder and all it contains)" in explorer.confirm_label.value
    await explorer.wait_idle()
    assert await storage.node("mem:gone.txt").exists()  # nothing yet
    explorer.cancel_delete_button.click()
    assert explorer.confirm_box.layout.display == "none"
    await explorer.wait_idle()
    assert await storage.node("mem:gone.txt").exists()

    explorer.delete_button.click()
    explorer.left.select("keep.txt")  # changing the selection drops the pending delete
    assert explorer.confirm_box.layout.display == "none" and explorer.pending_delete == []
    explorer.left.select("gone.txt", "dir")
    explorer.delete_button.click()
    explorer.confirm_button.click()
    await explorer.wait_idle()
    assert not await storage.node("mem:gone.txt").exists()
    assert not await storage.node("mem:dir").exists()
    assert await storage.node("mem:keep.txt").exists()
    assert explorer.left.names == ["keep.txt"]
    assert not explorer.errors


async def test_read_only_mount_shows_no_write_action(storage, explorer):
    add_mount(storage, "ro", "memory", store="shared-ro-test", permissions="readonly")
    add_mount(storage, "rw", "memory", store="shared-ro-test", permissions="readwrite")
    storage.as_sync().node("rw:file.txt").write_bytes(b"x")
    assert await explorer.open_mount("ro")
    explorer.left.select("file.txt")
    await explorer.wait_idle()
    hidden = (
        explorer.move_button, explorer.mkdir_button, explorer.rename_button,
        explorer.delete_button, explorer.upload, explorer.name_input,
    )  # fmt: skip
    for widget in hidden:
        assert widget.layout.display == "none", widget
    assert explorer.copy_button.layout.display != "none"  # copying *out* is reading
    assert not explorer.copy_button.disabled
    assert not explorer.download_button.disabled
    assert "read-only" in explorer.left.badge.value

    assert await explorer.open_mount("rw")  # write but no delete
    assert explorer.mkdir_button.layout.display != "none"
    assert explorer.upload.layout.display != "none"
    assert explorer.delete_button.layout.display == "none"
    assert explorer.move_button.layout.display == "none"
    assert explorer.rename_button.layout.display == "none"

    assert await explorer.open_mount("ro", side="right")  # a read-only target
    assert await explorer.navigate("mem:", side="left")
    await write(storage, "mem:a.txt", b"a")
    await explorer.left.refresh()
    explorer.left.select("a.txt")
    assert explorer.copy_button.disabled
    assert "read-only" in explorer.copy_button.tooltip
    assert explorer.skip_picker.layout.display == "none"


async def test_mkdir_rename_upload_download(storage, explorer):
    assert await explorer.mkdir("newdir")
    assert await storage.node("mem:newdir").isdir()
    assert "newdir" in explorer.left.names
    explorer.name_input.value = "second"
    explorer.mkdir_button.click()
    await explorer.wait_idle()
    assert await storage.node("mem:second").isdir()

    explorer.upload.value = (
        {"name": "up.txt", "type": "text/plain", "size": 5, "content": memoryview(b"hello"),
         "last_modified": datetime.datetime.now(datetime.timezone.utc)},
    )  # fmt: skip
    await explorer.wait_idle()
    assert await storage.node("mem:up.txt").read_bytes() == b"hello"
    assert explorer.upload.value == ()
    assert await explorer.upload_files({"../escape.txt": b"e"})  # the name only is used
    assert await storage.node("mem:escape.txt").exists()

    explorer.left.select("up.txt")
    await explorer.wait_idle()
    explorer.name_input.value = "renamed.txt"
    explorer.rename_button.click()
    await explorer.wait_idle()
    assert not await storage.node("mem:up.txt").exists()
    assert await storage.node("mem:renamed.txt").read_bytes() == b"hello"
    assert await explorer.rename("renamed.txt", "escape.txt") is False  # would overwrite
    assert "already exists" in explorer.errors[-1]

    explorer.left.select("renamed.txt")
    explorer.download_button.click()
    await explorer.wait_idle()
    link = explorer.download_area.value
    assert 'download="renamed.txt"' in link
    assert f"data:application/octet-stream;base64,{base64.b64encode(b'hello').decode()}" in link
    assert not explorer.errors[:-1]


async def test_errors_are_shown_in_the_status_area(storage, explorer):
    assert await explorer.preview("missing.txt") is False
    assert "StorageNotFoundError" in explorer.errors[-1]
    assert "mem:missing.txt" in explorer.errors[-1]
    assert "mem:missing.txt" in explorer.status.value
    assert "preview failed" in explorer.preview_note.value

    assert await explorer.navigate("mem:nowhere") is False
    assert "mem:nowhere" in explorer.errors[-1]
    assert explorer.left.folder.fullpath == "mem:"  # still showing the old folder

    await storage.node("mem:exists").mkdir()
    assert await explorer.mkdir("exists") is False
    assert "StorageExistsError" in explorer.errors[-1]

    explorer.left.select()
    explorer.rename_button.click()  # a sync callback error
    assert "select exactly one entry" in explorer.errors[-1]
    explorer.name_input.value = "a/b"
    explorer.mkdir_button.click()
    assert "plain name" in explorer.errors[-1]

    assert await explorer.navigate("mem:", side="right")  # both panes on mem:
    await write(storage, "mem:same.txt", b"s")
    await explorer.left.refresh()
    explorer.left.select("same.txt")
    (job,) = await explorer.copy_selected()
    assert job.state == "failed" and job.bar.bar_style == "danger"
    assert "onto itself" in explorer.errors[-1]
    assert len(explorer.errors) == 6
    for _, text in explorer.messages:  # the six newest are shown, escaped
        assert html.escape(text) in explorer.status.value
    explorer.clear_status_button.click()
    assert explorer.messages == [] and "Ready" in explorer.status.value


# ------------------------------------------------------------------ the demo app
async def test_demo_app_writes_a_notebook_that_builds_the_explorer(tmp_path, capsys):
    assert await asyncio.to_thread(demo_app.main, ["--dir", str(tmp_path), "--no-launch"]) == 0
    notebook_path = Path(capsys.readouterr().out.strip())
    assert notebook_path == tmp_path / demo_app.NOTEBOOK_NAME
    files = tmp_path / "files"
    assert (files / "images" / "gradient.png").read_bytes().startswith(b"\x89PNG")
    assert len(os.listdir(files / "many")) == 1000
    assert set(sample_files()) <= {
        p.relative_to(files).as_posix() for p in files.rglob("*") if p.is_file()
    }
    notebook = nbformat.read(notebook_path, as_version=4)
    nbformat.validate(notebook)
    resources = {"metadata": {"path": str(tmp_path)}}
    client = NotebookClient(notebook, timeout=120, kernel_name="python3", resources=resources)
    await client.async_execute()
    outputs = notebook.cells[-1].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert not [o for o in outputs if o.get("output_type") == "error"]
