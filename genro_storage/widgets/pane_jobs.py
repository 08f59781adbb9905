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
    ``to_end``, select and show the last row."""
    if pane.cursor is None:
        pane.redraw()
        if to_end and pane.visible:
            _select_last(pane)
        return None
    job = Job(f"list {pane.folder.fullpath} (whole folder)", "entries")
    if pane.jobs is not None:
        pane.jobs.add(job)
    task = pane.spawn(_load_all(pane, job, to_end), f"list all of {pane.folder.fullpath}")
    job.start(task)
    return task


async def _load_all(pane: BrowserPane, job: Job, to_end: bool) -> None:
    folder = pane.folder
    size = max(pane.page_size, LOAD_ALL_PAGE)
    pane.more_button.disabled = True
    try:
        while pane.cursor is not None:
            page = await folder.list(page_size=size, cursor=pane.cursor)
            pane.add_entries(page.entries)
            pane.cursor = page.cursor
            job.count(len(pane.entries), "entries listed")
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
    if to_end and pane.visible:
        _select_last(pane)


def _select_last(pane: BrowserPane) -> None:
    last = len(pane.visible) - 1
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
