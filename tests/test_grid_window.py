"""A big folder in the explorer's grid keeps a bounded window of pages in the kernel
(``widgets/pane_window.py``): scrolling 100,000 entries to the end and back costs a few
pages of memory; the selection, sorting, keyboard ranges, ``explorer.selected`` and the
actions keep working on rows that left the window. Driven without a browser: the tests
send what the grid's script sends (``grid.handle``)."""

from __future__ import annotations

import asyncio
import gc
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from genro_storage import StorageError
from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer, pane_window
from genro_storage.widgets.grid import BLOCK_ROWS
from genro_storage.widgets.pane import BrowserPane

BIG = 100_000


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[AsyncStorageManager]:
    (tmp_path / "disk").mkdir()
    manager = AsyncStorageManager(
        [
            {"name": "mem", "type": "memory"},
            {"name": "disk", "type": "local", "path": str(tmp_path / "disk")},
        ]
    )
    yield manager
    await manager.close()


async def settle(ex: StorageExplorer) -> None:
    await ex.wait_idle()
    await asyncio.sleep(0)


async def ask_rows(ex: StorageExplorer, pane: BrowserPane, start: int) -> list[list[str]]:
    """Ask for a block as the browser does; the rows come at once or once listed again."""
    grid = pane.grid
    grid.sent.clear()
    grid.handle({"kind": "rows", "start": start, "count": BLOCK_ROWS, "version": grid.version})
    for _ in range(200):
        answers = [m for m in grid.sent if m["kind"] == "rows" and m["start"] == start]
        if answers:
            return list(answers[-1]["rows"])
        await settle(ex)
    raise AssertionError(f"no rows sent for {start}")


def traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.parametrize("mount", ["disk", "mem"])
async def test_scrolling_100000_entries_keeps_a_bounded_window(storage, tmp_path, mount):
    """Local: the store keeps the listing's snapshot of the names (freed at the last
    page, read again once when scrolling back); memory: only the explorer's own."""
    if mount == "disk":
        folder = tmp_path / "disk" / "big"
        folder.mkdir()
        for number in range(BIG):  # plain os calls: fast setup
            os.close(os.open(folder / f"f{number:06d}.txt", os.O_CREAT | os.O_WRONLY, 0o644))
    else:
        big = storage.as_sync().node("mem:big")
        for number in range(BIG):
            big.child(f"f{number:06d}.txt").write_bytes(b"")
    ex = StorageExplorer(storage)
    await settle(ex)
    tracemalloc.start()
    try:
        assert await ex.navigate(f"{mount}:big")
        pane, grid = ex.left, ex.left.grid
        base = traced()
        tracemalloc.reset_peak()
        # scroll as the browser does: the rows near the end, then "more", until complete
        while not grid.complete:
            last = (grid.total - 1) // BLOCK_ROWS * BLOCK_ROWS
            await ask_rows(ex, pane, last)
            grid.handle({"kind": "more"})
            await settle(ex)
        assert grid.total == BIG and pane.paged is not None
        assert (await ask_rows(ex, pane, BIG - BLOCK_ROWS))[-1][1] == f"f{BIG - 1:06d}.txt"
        end_growth = traced() - base
        # and back: pages that left the window are listed again from their cursor
        for start in (0, 50_000, 12_300, 99_000, 700):
            cells = await ask_rows(ex, pane, start)
            assert [c[1] for c in cells[:2]] == [f"f{start:06d}.txt", f"f{start + 1:06d}.txt"]
        back_growth = traced() - base
        peak_growth = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    page_bytes = pane.page_size * 1000  # a page of entries, generously (~600 B each)
    whole = BIG * 600  # what holding every entry costs
    assert end_growth < 16 * page_bytes, end_growth  # 3.2 MB; holding all: 60 MB
    assert back_growth < 16 * page_bytes, back_growth
    # the peak: the 10,000 entries held whole before the switch to a window (~7 MB)
    ceiling = (pane_window.HOLD_ENTRIES + pane_window.WINDOW_ENTRIES) * 800
    assert peak_growth < ceiling < whole / 5, peak_growth
    held = sum(len(p) for p in pane.paged.held.values())
    assert held <= pane_window.WINDOW_ENTRIES + pane.page_size
    assert not ex.errors, ex.errors
    ex.close()


@pytest.fixture
def small_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same rules at a small scale: 60 entries held whole, windows of 40."""
    monkeypatch.setattr(pane_window, "HOLD_ENTRIES", 60)
    monkeypatch.setattr(pane_window, "WINDOW_ENTRIES", 40)


async def scrolled_to_end(storage: AsyncStorageManager, count: int = 500) -> StorageExplorer:
    sync = storage.as_sync()
    for number in range(count):
        sync.node(f"mem:w/f{number:04d}.txt").write_bytes(b"x" * (count - number))
    sync.node("mem:w/a-folder/inside.txt").write_bytes(b"in")
    ex = StorageExplorer(storage, page_size=20)
    await settle(ex)
    assert await ex.navigate("mem:w")
    return ex


async def scroll_to_end(ex: StorageExplorer, pane: BrowserPane) -> None:
    while not pane.grid.complete:
        pane.grid.handle({"kind": "more"})
        await settle(ex)


async def test_the_selection_outlives_the_window(storage, small_window):
    ex = await scrolled_to_end(storage)
    pane, grid = ex.left, ex.left.grid
    assert pane.names[0] == "a-folder"  # held whole: folders first
    while pane.paged is None:
        grid.handle({"kind": "more"})
        await settle(ex)
    assert grid.total == 80  # past 60 entries: the store's order, a window
    grid.handle({"kind": "select", "ranges": [[3, 4], [10, 31]], "focus": 3})  # Ctrl, Shift
    await settle(ex)  # rows of pages that left the window are listed again
    chosen = [n.name for n in ex.selected]  # the store's order: a-folder, f0000, ...
    assert chosen == ["f0002.txt", *(f"f{n:04d}.txt" for n in range(9, 30))]
    await scroll_to_end(ex, pane)
    assert grid.total == 501
    assert pane.paged.page_of(25) not in pane.paged.held  # selected rows left the window
    assert [n.name for n in ex.selected] == chosen  # still the same entries
    ex.ask_delete()
    assert [n.name for n, _ in ex.pending_delete] == chosen
    ex.cancel_delete()
    jobs = await ex.copy_selected()  # to the right pane (the mount's root)
    assert [j.state for j in jobs] == ["done"] * len(chosen)
    assert await ex.right.folder.child(chosen[-1]).exists()
    assert not ex.errors, ex.errors
    ex.close()


async def test_a_range_over_rows_never_listed_is_read_before_acting(storage, small_window):
    ex = await scrolled_to_end(storage)
    pane, grid = ex.left, ex.left.grid
    await scroll_to_end(ex, pane)
    total = grid.total
    grid.handle({"kind": "select", "ranges": [[0, total]], "focus": total - 1})  # Ctrl+A
    if pane.selection_pending:  # rows of pages that left the window: listed again
        with pytest.raises(StorageError, match="still being read"):
            _ = ex.selected
        with pytest.raises(StorageError, match="still being read"):
            ex.ask_delete()
    await settle(ex)
    assert not pane.selection_pending
    assert len(ex.selected) == total == 501
    held = sum(len(p) for p in pane.paged.held.values())
    assert held <= pane_window.WINDOW_ENTRIES + 2 * pane.page_size  # the window stays small
    assert not ex.errors, ex.errors
    ex.close()


async def test_keyboard_open_and_type_ahead_in_a_big_folder(storage, small_window):
    ex = await scrolled_to_end(storage)
    pane, grid = ex.left, ex.left.grid
    await scroll_to_end(ex, pane)
    grid.handle({"kind": "typeahead", "text": "f049", "row": 0})  # among the rows held
    assert [n.name for n in ex.selected] == ["f0490.txt"]
    grid.handle({"kind": "select", "ranges": [[0, 1]], "focus": 0})  # Home
    await settle(ex)
    assert [n.name for n in ex.selected] == ["a-folder"]
    grid.handle({"kind": "open", "row": 0})  # Enter
    await settle(ex)
    assert pane.folder.fullpath == "mem:w/a-folder" and pane.paged is None
    assert not ex.errors, ex.errors
    ex.close()


async def test_sorting_or_filtering_a_big_folder_keeps_compact_records(storage, small_window):
    ex = await scrolled_to_end(storage)
    pane, grid = ex.left, ex.left.grid
    while pane.paged is None:
        grid.handle({"kind": "more"})
        await settle(ex)
    grid.sort_key = "size"  # a header click: the whole folder, listed again, as a job
    await settle(ex)
    assert pane.paged is None and grid.complete and grid.total == 501
    assert pane.names[:2] == ["a-folder", "f0499.txt"]  # folders first, then the smallest
    assert all(row.info is None for row in pane._rows.values())  # compact: no FileInfo
    pane.select("f0498.txt")
    (node,) = ex.selected
    assert node.fullpath == "mem:w/f0498.txt"
    assert (await node.info()).size == 2
    grid.sort_key = "name"
    pane.name_filter.value = "f00*"
    assert pane.names == [f"f{n:04d}.txt" for n in range(100)]
    assert ex.jobs.items[0].state == "done"
    assert not ex.errors, ex.errors
    ex.close()


async def test_a_page_listed_again_after_the_folder_changed(storage, small_window):
    ex = await scrolled_to_end(storage)
    pane = ex.left
    await scroll_to_end(ex, pane)
    sync = storage.as_sync()
    for number in range(40, 60):
        sync.node(f"mem:w/f{number:04d}.txt").delete()
    cells = await ask_rows(ex, pane, 0)  # listed again: the same page size, later names
    assert len(cells) == BLOCK_ROWS
    names = [c[1] for c in cells]
    assert names[:3] == ["a-folder", "f0000.txt", "f0001.txt"]
    assert "f0039.txt" in names and "f0045.txt" not in names and "f0060.txt" in names
    assert not ex.errors, ex.errors
    ex.close()


async def test_local_pages_listed_again_read_the_folder_once(storage, tmp_path, monkeypatch):
    """Listing pages again from their cursors after a listing ended keeps one snapshot
    of the folder (``locallisting.FolderListings``), not one per page."""
    folder = tmp_path / "disk" / "again"
    folder.mkdir()
    for number in range(3000):
        (folder / f"g{number:04d}").touch()
    node = storage.node("disk:again")
    cursors: list[Any] = [None]
    while True:
        page = await node.list(page_size=100, cursor=cursors[-1])
        if page.cursor is None:
            break
        cursors.append(page.cursor)
    reads: list[Any] = []
    for name in ("scandir", "listdir"):  # a folder read is either of them
        real = getattr(os, name)

        def counting(path: Any = ".", real: Any = real) -> Any:
            if str(path) == str(folder):
                reads.append(path)
            return real(path)

        monkeypatch.setattr(os, name, counting)
    for number in (5, 17, 2, 29, 11, 5):
        page = await node.list(page_size=100, cursor=cursors[number])
        assert page.entries[0].name == f"g{number * 100:04d}"
    assert len(reads) == 1


HOSTILE = ["..x", "*", "%41", "a\\b", "tab\there", "\u202egnp.exe", "\u00a0nbsp", "e\u0301", "<b>"]


@pytest.mark.parametrize("mount", ["mem", "disk"])
async def test_hostile_names_in_a_big_folder_are_acted_on_exactly(storage, small_window, mount):
    sync = storage.as_sync()
    names = [f"{HOSTILE[n % len(HOSTILE)]}{n:03d}" for n in range(150)]
    for name in names:
        sync.node(mount, "h").child(name).write_bytes(name.encode())
    ex = StorageExplorer(storage, page_size=20)
    await settle(ex)
    assert await ex.navigate(f"{mount}:h")
    pane, grid = ex.left, ex.left.grid
    await scroll_to_end(ex, pane)
    assert pane.paged is not None and grid.total == 150
    listed = sorted(names)  # the store's order is by name
    grid.handle({"kind": "select", "ranges": [[2, 5], [70, 72]], "focus": 2})
    await settle(ex)
    chosen = [n.name for n in ex.selected]
    assert chosen == [listed[i] for i in (2, 3, 4, 70, 71)]
    for node in ex.selected:
        assert await node.read_bytes() == node.basename.encode()
    cells = await ask_rows(ex, pane, 0)  # listed again: the same names, shown escaped
    assert len(cells) == BLOCK_ROWS
    assert not ex.errors, ex.errors
    ex.close()


async def test_rows_listed_again_for_an_old_folder_are_not_sent(storage, small_window):
    ex = await scrolled_to_end(storage)
    pane, grid = ex.left, ex.left.grid
    await scroll_to_end(ex, pane)
    grid.sent.clear()
    grid.handle({"kind": "rows", "start": 100, "count": BLOCK_ROWS, "version": grid.version})
    assert grid.sent == []  # a page that left the window: listed again first
    assert await ex.navigate("mem:w/a-folder")  # the user went elsewhere meanwhile
    await settle(ex)
    assert not [m for m in grid.sent if m["kind"] == "rows" and m["start"] == 100]
    assert pane.names == ["inside.txt"] and not ex.errors, ex.errors
    grid.handle({"kind": "parent"})
    await settle(ex)
    grid.sent.clear()
    grid.handle({"kind": "rows", "start": 0, "count": BLOCK_ROWS, "version": grid.version})
    ex.close()  # closing while rows are listed again cancels quietly
    await ex.wait_idle()
    assert not ex.errors, ex.errors
