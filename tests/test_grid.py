"""The explorer's file grid (an anywidget), driven without a browser: the tests send the
messages the browser's script sends (``grid.handle``) and set the traits it sets, then
look at the pane, the rows the kernel answers, the jobs and the stores."""

from __future__ import annotations

import ast
import asyncio
import os
import re
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer
from genro_storage.widgets.grid import BLOCK_ROWS, ranges_of
from genro_storage.widgets.grid_actions import code_snippet, upload_name
from genro_storage.widgets.pane import BrowserPane

WIDGETS_DIR = Path(__file__).resolve().parent.parent / "genro_storage" / "widgets"


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[AsyncStorageManager]:
    (tmp_path / "disk").mkdir()
    manager = AsyncStorageManager(
        [
            {"name": "mem", "type": "memory"},
            {"name": "disk", "type": "local", "path": str(tmp_path / "disk")},
            {"name": "ro", "type": "local", "path": str(tmp_path / "disk"),
             "permissions": "readonly"},
        ]
    )  # fmt: skip
    yield manager
    await manager.close()


@pytest.fixture
async def explorer(storage: AsyncStorageManager) -> AsyncIterator[StorageExplorer]:
    ex = StorageExplorer(storage)
    await ex.wait_idle()
    yield ex
    ex.close()
    await ex.wait_idle()


def rows(pane: BrowserPane, start: int, count: int = BLOCK_ROWS) -> list[list[str]]:
    """Ask the grid for rows as the browser does; the answer it sent."""
    grid = pane.grid
    grid.handle({"kind": "rows", "start": start, "count": count, "version": grid.version})
    answer = grid.sent[-1]
    assert answer["kind"] == "rows" and answer["start"] == start
    return list(answer["rows"])


async def settle(ex: StorageExplorer) -> None:
    await ex.wait_idle()
    await asyncio.sleep(0)


# ------------------------------------------------------------------ rows and paging
async def test_a_100000_entry_folder_pages_rows_and_scrolls_to_its_end(storage, explorer):
    sync = storage.as_sync().node("mem:big")
    for number in range(100_000):
        sync.child(f"f{number:06d}.csv").write_bytes(b"x" * (number % 7))
    assert await explorer.navigate("mem:big")
    pane, grid = explorer.left, explorer.left.grid
    assert grid.total == 200 and not grid.complete  # one page listed, not the folder
    first = rows(pane, 0)
    assert len(first) == BLOCK_ROWS
    assert first[0][:2] == ["table", "f000000.csv"] and first[0][4] == "text/csv"
    assert len(rows(pane, 0, 10_000)) == BLOCK_ROWS  # never more than a block per message
    stale = grid.version
    grid.handle({"kind": "more"})  # the browser scrolled near the end
    await settle(explorer)
    assert grid.total == 400 and grid.version > stale
    sent = len(grid.sent)
    grid.handle({"kind": "rows", "start": 0, "count": 100, "version": stale})
    assert len(grid.sent) == sent  # a stale request is not answered

    grid.handle({"kind": "end"})  # the End key: list the rest as a job, then the last row
    await settle(explorer)
    assert grid.total == 100_000 and grid.complete
    assert grid.selected_rows() == [99_999]
    assert grid.sent[-1] == {"kind": "scroll", "row": 99_999}
    assert rows(pane, 99_900)[-1][1] == "f099999.csv"
    job = explorer.jobs.items[0]
    assert job.state == "done" and "mem:big" in job.title
    assert explorer.selected[0].fullpath == "mem:big/f099999.csv"
    assert not explorer.errors


async def test_sorting_a_partly_listed_folder_lists_it_whole_as_a_job(storage):
    sync = storage.as_sync()
    for number in range(30):
        sync.node(f"mem:s/f{number:02d}.txt").write_bytes(b"x" * (100 - number))
    ex = StorageExplorer(storage, page_size=10)
    await ex.wait_idle()
    assert await ex.navigate("mem:s")
    pane = ex.left
    assert pane.grid.total == 10 and not pane.grid.complete
    pane.grid.sort_key = "size"  # a header click
    await settle(ex)
    assert pane.grid.complete and pane.grid.total == 30
    assert pane.names[0] == "f29.txt"  # the smallest of the whole folder
    assert ex.jobs.items[0].state == "done"
    pane.grid.sort_desc = True  # complete now: sorted at once, no job
    assert pane.names[0] == "f00.txt" and len(ex.jobs.items) == 1
    pane.grid.sort_key = "type"
    pane.grid.sort_key = "bogus"  # not a column: refused, back to name
    assert pane.grid.sort_key == "name"
    assert any("cannot sort by 'bogus'" in e for e in ex.errors)
    ex.close()


async def test_cancelling_the_whole_folder_listing(storage):
    sync = storage.as_sync()
    for number in range(50):
        sync.node(f"mem:c/f{number:02d}").write_bytes(b"x")
    ex = StorageExplorer(storage, page_size=5)
    await ex.wait_idle()
    assert await ex.navigate("mem:c")
    task = ex.left.load_all()
    ex.jobs.items[0].cancel()
    await asyncio.wait([task])
    assert task.cancelled() and ex.jobs.items[0].state == "cancelled"
    assert ex.left.grid.total == len(ex.left.names) < 50
    ex.close()


# ------------------------------------------------------------------ keyboard and mouse
async def test_keyboard_requests(storage, explorer):
    sync = storage.as_sync()
    for name in ("alpha.txt", "beta.txt", "bravo.txt", "charlie.txt"):
        sync.node(f"mem:k/{name}").write_bytes(b"x")
    sync.node("mem:k/sub/inner.txt").write_bytes(b"y")
    assert await explorer.navigate("mem:k")
    pane, grid = explorer.left, explorer.left.grid
    assert pane.names == ["sub", "alpha.txt", "beta.txt", "bravo.txt", "charlie.txt"]
    grid.handle({"kind": "typeahead", "text": "b", "row": 0})
    assert grid.selected_rows() == [2] and grid.focus_row == 2
    grid.handle({"kind": "typeahead", "text": "b", "row": 2})  # the same key: next match
    assert grid.selected_rows() == [3]
    grid.handle({"kind": "typeahead", "text": "CH", "row": 3})
    assert [n.name for n in explorer.selected] == ["charlie.txt"]
    grid.handle({"kind": "select", "ranges": [[0, grid.total]], "focus": 4})  # Ctrl+A
    assert len(explorer.selected) == 5 and grid.focus_row == 4
    grid.handle({"kind": "select", "ranges": [[1, 2], [3, 99]], "focus": 1})  # Ctrl, Shift
    assert grid.selection == [[1, 2], [3, 5]]  # clipped to the rows there are
    assert [n.name for n in explorer.selected] == ["alpha.txt", "bravo.txt", "charlie.txt"]
    grid.handle({"kind": "action", "name": "delete"})  # Delete asks first
    assert [n.name for n, _ in explorer.pending_delete] == [
        "alpha.txt", "bravo.txt", "charlie.txt",
    ]  # fmt: skip
    explorer.cancel_delete()
    grid.handle({"kind": "rename", "row": 2, "name": "b2.txt"})  # F2, typed, Enter
    await settle(explorer)
    assert "b2.txt" in pane.names and "beta.txt" not in pane.names
    grid.handle({"kind": "open", "row": 0})  # Enter on a folder
    await settle(explorer)
    assert pane.folder.fullpath == "mem:k/sub"
    grid.handle({"kind": "parent"})  # Backspace
    await settle(explorer)
    assert pane.folder.fullpath == "mem:k"
    assert not explorer.errors


async def test_malformed_browser_messages_are_errors_not_guesses(explorer):
    grid = explorer.left.grid
    bad: list[Any] = [
        "text", {"kind": 3}, {"kind": "launch"}, {"kind": "rows", "start": "0", "count": 5,
        "version": grid.version}, {"kind": "rows", "start": -1, "count": 5, "version": 0},
        {"kind": "open", "row": 10**9}, {"kind": "rename", "row": True, "name": "x"},
        {"kind": "drop", "from": "nobody"}, {"kind": "action", "name": "format-disk"},
        {"kind": "select", "ranges": "all"}, {"kind": "select", "ranges": [[0, True]]},
        {"kind": "select", "ranges": [[0]]},
        {"kind": "upload", "action": "chunk", "id": "u", "name": "..", "size": 1, "offset": 0},
    ]  # fmt: skip
    for message in bad:
        before = len(explorer.errors)
        grid._handle_custom_msg(message, [])  # what a message from the frontend runs
        await settle(explorer)
        assert len(explorer.errors) == before + 1, message


# ------------------------------------------------------------------ drag and drop, menu
async def test_dragging_between_panes_copies_and_with_shift_moves(storage, explorer):
    await storage.node("mem:d/a.txt").write_bytes(b"a")
    await storage.node("mem:d/b.txt").write_bytes(b"b")
    assert await explorer.navigate("mem:d", side="left")
    assert await explorer.navigate("disk:", side="right")
    left, right = explorer.left, explorer.right
    left.select("a.txt")
    right.grid.handle({"kind": "drop", "from": left.grid.token, "move": False})
    await settle(explorer)
    assert await storage.node("disk:a.txt").read_bytes() == b"a"
    assert await storage.node("mem:d/a.txt").exists()
    left.select("b.txt")
    right.grid.handle({"kind": "drop", "from": left.grid.token, "move": True})  # Shift
    await settle(explorer)
    assert await storage.node("disk:b.txt").read_bytes() == b"b"
    assert not await storage.node("mem:d/b.txt").exists()
    assert right.names == ["a.txt", "b.txt"] and left.names == ["a.txt"]
    right.grid._handle_custom_msg({"kind": "drop", "from": right.grid.token}, [])  # itself
    await settle(explorer)
    assert len(explorer.errors) == 1


async def test_the_menu_follows_permissions(storage, explorer):
    await storage.node("disk:f.txt").write_bytes(b"f")
    assert await explorer.navigate("ro:", side="left")
    assert await explorer.navigate("mem:", side="right")
    explorer.left.select("f.txt")
    menu = {action: enabled for action, _, enabled in explorer.left.grid.menu}
    assert menu["copy"] and menu["download"] and menu["code"]
    assert not (menu["delete"] or menu["rename"] or menu["move"] or menu["upload"])
    explorer.left.grid.handle({"kind": "action", "name": "code"})
    assert explorer.grid_actions.last_snippet == "node = storage.node('ro:f.txt')"
    assert explorer.left.grid.sent[-1]["kind"] == "clipboard"


# ------------------------------------------------------------------ names are data
HOSTILE = ["<img src=x onerror=alert(1)>.txt", "evil\u202etxt.exe", "a'b\"c\\d.csv",
           "%41%2e.parquet", "sp ace\u00a0.parquet", "ü-ñ-字.parquet"]  # fmt: skip


async def test_hostile_names_are_shown_as_text_and_acted_on_exactly(storage, explorer):
    for name in HOSTILE:
        await storage.node("disk:h").child_named(name).write_bytes(name.encode())
    assert await explorer.navigate("disk:h")
    shown = {row[1] for row in rows(explorer.left, 0)}
    assert "<img src=x onerror=alert(1)>.txt" in shown  # textContent shows it as it is
    assert "evil\\u202etxt.exe" in shown  # a bidi override is shown escaped
    for name in HOSTILE:
        explorer.left.select(name)
        (node,) = explorer.selected
        assert await node.read_bytes() == name.encode()
        snippet = explorer.use_in_code()
        scope: dict[str, Any] = {"storage": storage}
        exec(snippet.split("\n")[0], scope)  # the quoted name reaches the same node
        assert scope["node"].fullpath == node.fullpath
        tree = ast.parse(snippet)  # valid Python whatever the name
        assert tree.body
    script = (WIDGETS_DIR / "grid.js").read_text()
    assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", script)
    assert not re.search(r"https?://|\bfetch\(|^\s*import\b|XMLHttpRequest", script, re.M)


async def test_use_in_code_gives_a_pandas_line_for_tables(storage, tmp_path):
    sync = storage.as_sync()
    frame = pd.DataFrame({"x": [1, 2, 3], "y": ["a", "b", "c"]})
    with sync.node("disk:data/t.parquet").open("wb") as f:
        frame.to_parquet(f)
    snippet = code_snippet(storage.node("disk:data/t.parquet"))
    url = "'genro://disk/data/t.parquet'"
    assert f'pd.read_parquet({url}, storage_options={{"storage": storage}})' in snippet
    scope: dict[str, Any] = {"storage": storage}
    await asyncio.to_thread(exec, snippet, scope)
    assert scope["df"].equals(frame)
    unsafe = code_snippet(storage.node("disk:data").child_named("100%#?.parquet"))
    assert "pd." not in unsafe  # the URL would not stay literal: only the node line


# ------------------------------------------------------------------ folder size
async def test_folder_size_is_a_job(storage, explorer):
    sync = storage.as_sync()
    for number in range(12):
        sync.node(f"mem:tree/{number % 3}/f{number}").write_bytes(b"x" * number)
    assert await explorer.navigate("mem:")
    explorer.left.select("tree")
    explorer.left.grid.handle({"kind": "action", "name": "size"})
    await settle(explorer)
    job = explorer.jobs.items[0]
    assert job.state == "done" and "12 files" in job.status_line and "66 bytes" in job.status_line


# ------------------------------------------------------------------ streamed uploads
def chunk(grid_pane: BrowserPane, ident: str, name: str, size: int, offset: int,
          data: bytes) -> None:  # fmt: skip
    last = offset + len(data) >= size
    content = {"kind": "upload", "action": "chunk", "id": ident, "name": name, "size": size,
               "offset": offset, "last": last}  # fmt: skip
    grid_pane.grid._handle_custom_msg(content, [memoryview(data)])


async def test_a_streamed_upload_publishes_only_after_its_last_chunk(storage, explorer, tmp_path):
    await storage.node("disk:up").mkdir()
    assert await explorer.navigate("disk:up")
    pane = explorer.left
    data = os.urandom(5000)
    chunk(pane, "u1", "C:\\Users\\me\\report.bin", len(data), 0, data[:2000])
    await asyncio.sleep(0.05)
    assert not await storage.node("disk:up/report.bin").exists()  # not before the end
    assert pane.grid.sent[-1] == {"kind": "progress", "id": "u1", "ok": True, "offset": 2000}
    chunk(pane, "u1", "report.bin", len(data), 2000, data[2000:4000])
    await asyncio.sleep(0.05)
    chunk(pane, "u1", "report.bin", len(data), 4000, data[4000:])
    await settle(explorer)
    assert await storage.node("disk:up/report.bin").read_bytes() == data
    assert pane.grid.sent[-1] == {"kind": "upload-done", "id": "u1", "ok": True}
    assert explorer.jobs.items[0].state == "done"
    assert "report.bin" in pane.names
    assert upload_name("../../etc/passwd") == "passwd"
    chunk(pane, "u9", "..", 3, 0, b"abc")  # refused: the browser still gets its answer
    await settle(explorer)
    assert pane.grid.sent[-1] == {"kind": "upload-done", "id": "u9", "ok": False}
    assert any("cannot upload a file named '..'" in e for e in explorer.errors)


async def test_an_upload_into_a_read_only_mount_is_refused(storage, explorer, tmp_path):
    assert await explorer.navigate("ro:")
    chunk(explorer.left, "u8", "x.bin", 3, 0, b"abc")
    await settle(explorer)
    assert explorer.left.grid.sent[-1] == {"kind": "upload-done", "id": "u8", "ok": False}
    assert explorer.jobs.items[0].state == "failed"
    assert os.listdir(tmp_path / "disk") == []


@pytest.mark.parametrize("how", ["cancel-message", "job-cancel", "out-of-order"])
async def test_a_cancelled_upload_leaves_nothing(storage, explorer, tmp_path, how):
    assert await explorer.navigate("disk:")
    pane = explorer.left
    chunk(pane, "u2", "half.bin", 3000, 0, b"x" * 1000)
    await asyncio.sleep(0.05)
    if how == "cancel-message":
        pane.grid.handle({"kind": "upload", "action": "cancel", "id": "u2"})
    elif how == "job-cancel":
        explorer.jobs.items[0].cancel()
    else:
        chunk(pane, "u2", "half.bin", 3000, 2000, b"x" * 1000)  # a chunk skipped
    await settle(explorer)
    assert explorer.jobs.items[0].state == "cancelled"
    assert pane.grid.sent[-1] == {"kind": "upload-done", "id": "u2", "ok": False}
    assert sorted(os.listdir(tmp_path / "disk")) == []  # no file, no temporary file
    assert "half.bin" not in pane.names
    assert not explorer.grid_actions.uploads


async def test_upload_memory_stays_bounded(storage, explorer, tmp_path):
    """The kernel holds one chunk at a time: 32 MiB through 1 MiB chunks allocate far
    less than the file (the benchmark does 200 MiB)."""
    assert await explorer.navigate("disk:")
    pane = explorer.left
    size, step = 32 << 20, 1 << 20
    block = os.urandom(step)
    tracemalloc.start()
    try:
        for offset in range(0, size, step):
            chunk(pane, "big", "big.bin", size, offset, block)
            while offset + step < size and not (
                pane.grid.sent and pane.grid.sent[-1].get("offset") == offset + step
            ):  # the browser waits for the answer before the next chunk
                await asyncio.sleep(0.001)
        await settle(explorer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (tmp_path / "disk" / "big.bin").stat().st_size == size
    assert peak < 8 << 20, peak


def test_ranges_of():
    assert ranges_of([3, 1, 2, 7, 7]) == [[1, 4], [7, 8]]
    assert ranges_of([]) == []


# ------------------------------------------------------------------ search
async def test_search_streams_results_into_the_grid_and_acts_on_them(storage, explorer):
    sync = storage.as_sync()
    for path in ("s/a.csv", "s/x/b.csv", "s/x/y/c.CSV", "s/x/y/d.txt", "s/z/e.csv.bak"):
        sync.node(f"mem:{path}").write_bytes(path.encode())
    sync.node("mem:s/x").child_named("we*ird %.csv").write_bytes(b"w")
    assert await explorer.navigate("mem:s")
    pane = explorer.left
    pane.search_box.value = "*.csv"  # Enter in the search box
    await settle(explorer)
    assert sorted(row[1] for row in pane.grid_rows(0, 100)) == [
        "a.csv", "x/b.csv", "x/we*ird %.csv", "x/y/c.CSV",
    ]  # fmt: skip
    job = explorer.jobs.items[0]
    assert job.state == "done" and "4 found" in job.status_line
    pane.select("c.CSV")
    (node,) = explorer.selected  # the result's node, from the folder it was found in
    assert node.fullpath == "mem:s/x/y/c.CSV"
    await settle(explorer)
    assert explorer.previewed == node  # previewed like any selected file
    pane.select("we*ird %.csv")
    (copied,) = await explorer.copy_selected()
    assert copied.state == "done"
    assert await storage.node("disk:").child_named("we*ird %.csv").read_bytes() == b"w"
    row = pane.names.index("b.csv")
    pane.grid.handle({"kind": "open", "row": row})  # Enter on a result: its folder
    await settle(explorer)
    assert pane.folder.fullpath == "mem:s/x" and pane.results is None
    assert "b.csv" in pane.names


async def test_a_search_can_be_cancelled(storage):
    add = storage.as_sync()
    for number in range(300):
        add.node(f"mem:t/d{number % 30}/f{number}.txt").write_bytes(b"x")
    ex = StorageExplorer(storage)
    await ex.wait_idle()
    assert await ex.navigate("mem:t")
    job = ex.left.search("f1")
    job.cancel()
    await settle(ex)
    assert job.state == "cancelled"
    ex.left.search_box.value = "   "  # blank: nothing starts
    assert len(ex.jobs.items) == 1
    ex.close()
