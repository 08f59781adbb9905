"""A pane's long work, as jobs with progress and Cancel: listing the rest of a folder
(for a sort of the whole folder, or End), and searching below the folder.

Search walks the folder's tree page by page (breadth first) and streams what matches
into the grid as it goes; each result keeps the folder node it was listed in, so acting
on it is ``parent.child_from(entry)`` (names stay data). A navigation ends the results.
"""

from __future__ import annotations

import asyncio
import fnmatch
from typing import TYPE_CHECKING, Any

from .. import FileInfo, StorageError
from . import pane_window
from ._format import show
from .grid import row_cells
from .jobs import Job

if TYPE_CHECKING:
    from ..async_ import AsyncStorageNode
    from .pane import BrowserPane

__all__ = ["LOAD_ALL_PAGE", "SEARCH_RESULTS", "load_all", "result_cells", "start_search"]

#: Entries per listing call when the whole folder is needed (a sort, End, a search).
LOAD_ALL_PAGE = 1000
#: The most results a search keeps (it stops there and says so).
SEARCH_RESULTS = 100_000


def load_all(pane: BrowserPane, to_end: bool = False) -> asyncio.Task[Any] | None:
    """List the rest of ``pane``'s folder as a job, then sort the whole folder; with
    ``to_end``, select and show the last row. A big folder in the store's order lists
    its pages on (keeping a window of them); one that needs another order is listed
    again from the start, as compact records (``pane_window``)."""
    again = pane.paged is not None and pane_window.wants_order(pane)
    if pane.cursor is None and not again:
        pane.redraw()
        if to_end and pane.grid.total:
            _select_last(pane)
        return None
    job = Job(f"list {pane.folder.fullpath} (whole folder)", "entries")
    if pane.jobs is not None:
        pane.jobs.add(job)
    work = _load_all(pane, job, to_end, again)
    task = pane.spawn(work, f"list all of {pane.folder.fullpath}")
    job.start(task)
    return task


async def list_all(pane: BrowserPane) -> bool:
    """``load_all`` and wait: True when the whole folder is listed (and sorted)."""
    task = pane.load_all()
    if task is None:
        return True
    await asyncio.wait([task])
    return not task.cancelled() and task.exception() is None


async def _load_all(pane: BrowserPane, job: Job, to_end: bool, again: bool) -> None:
    folder = pane.folder
    size = max(pane.page_size, LOAD_ALL_PAGE)
    pane.more_button.disabled = True
    if again:  # from the first page, into compact records
        pane.paged, pane._rows, pane.marks, pane.visible = None, {}, [], []
    cursor = None if again else pane.cursor
    try:
        while again or cursor is not None:
            again = False
            page = await folder.list(page_size=size, cursor=cursor)
            pane_window.take_page(pane, cursor, size, page)
            cursor = pane.cursor
            listed = pane.paged.total if pane.paged is not None else len(pane._rows)
            job.count(listed, "entries listed")
    except asyncio.CancelledError:
        job.finish("cancelled")
        pane.redraw()
        raise
    except Exception as exc:
        job.finish("failed", error=exc)
        pane.redraw()
        raise
    job.finish("done")
    pane.redraw()
    if to_end and pane.grid.total:
        _select_last(pane)


def _select_last(pane: BrowserPane) -> None:
    last = pane.grid.total - 1
    pane.grid.select_rows([last], focus=last)
    pane.grid.scroll_to(last)


# -- search -------------------------------------------------------------------------------
def matcher(pattern: str) -> Any:
    """A test of names: a glob (``*.csv``) when it has ``*?[``, else a substring; both
    case-insensitive."""
    wanted = pattern.strip().lower()
    if not wanted:
        raise StorageError("type a name or a glob (such as *.csv) to search for")
    if any(c in wanted for c in "*?["):
        return lambda name: fnmatch.fnmatchcase(name.lower(), wanted)
    return lambda name: wanted in name.lower()


def start_search(pane: BrowserPane, pattern: str) -> Job:
    """Search below ``pane``'s folder for names matching ``pattern`` (recursive), as a
    job; results stream into the grid."""
    match = matcher(pattern)
    root = pane.folder
    job = Job(f"search {root.fullpath} for {pattern.strip()!r}", "entries")
    if pane.jobs is not None:
        pane.jobs.add(job)
    pane.show_results([])
    job.start(pane.spawn(_search(pane, job, root, match), job.title))
    return job


async def _search(pane: BrowserPane, job: Job, root: AsyncStorageNode, match: Any) -> None:
    found: list[tuple[AsyncStorageNode, FileInfo]] = []
    pending, seen = [root], 0
    try:
        while pending and len(found) < SEARCH_RESULTS:
            folder, cursor = pending.pop(0), None
            while True:
                page = await folder.list(page_size=LOAD_ALL_PAGE, cursor=cursor)
                for entry in page.entries:
                    seen += 1
                    if entry.isdir and entry.addressable:
                        pending.append(folder.child_from(entry))
                    if match(entry.name) and entry.addressable:
                        found.append((folder, entry))
                pane.show_results(found)  # streamed: the grid grows as pages come
                job.count(len(found), f"found, {seen:,} entries searched")
                if (cursor := page.cursor) is None or len(found) >= SEARCH_RESULTS:
                    break
    except asyncio.CancelledError:
        job.finish("cancelled")
        raise
    except Exception as exc:
        job.finish("failed", error=exc)
        raise
    job.finish("done")
    more = " (stopped at the limit)" if len(found) >= SEARCH_RESULTS else ""
    job.detail.value = f"done: {len(found):,} found in {seen:,} entries{more}"


def result_cells(pane: BrowserPane, start: int, count: int) -> list[list[str]]:
    """Grid rows of search results: the name cell is the path below the searched folder."""
    assert pane.results is not None
    base = pane.folder.path
    cells = []
    for _, entry in pane.results[start : start + count]:
        row = row_cells(entry)
        below = entry.path[len(base) + 1 :] if base else entry.path
        row[1] = show(below)
        cells.append(row)
    return cells
