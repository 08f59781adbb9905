"""The kernel's side of a big folder: a bounded window of listing pages.

A pane holds the entries it listed (``FileInfo`` and sort keys, about 600 bytes each)
while there are at most ``HOLD_ENTRIES`` of them. Past that, two cases:

* **The store's order** (sort by name, ascending, no filter: what scrolling does). The
  pane switches to ``PagedRows``: the rows are the store's pages in listing order, and
  the kernel keeps, per page, only the cursor that lists it again, its first row and its
  length, plus the entries of the pages used last (``WINDOW_ENTRIES`` at most, and the
  first page). A row of a page that left the window is listed again from that page's
  cursor when the browser asks for it, so a 100,000-entry folder scrolled to its end and
  back costs a few pages of memory, not 100,000 entries. The selected rows' entries are
  pinned (kept while selected), so ``explorer.selected`` and every action work on rows
  that left the window; a range selected over rows never listed (Ctrl+A, Shift+End) is
  read in the background (``selection_pending``) and the actions wait for it.
* **Another order or a filter** needs every entry: the whole-folder listing (a job)
  keeps them as compact ``SortRow`` records (no ``FileInfo``: about a third of the
  memory), and rebuilds an entry when a row is used.

Names are never parsed back from the display: a page listed again gives the same
``FileInfo`` the store lists.
"""

from __future__ import annotations

import asyncio
import bisect
import fnmatch
import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, overload

from .. import FileInfo, Page, StorageError
from ._format import plural
from .grid import row_cells
from .pane_parts import SortRow

if TYPE_CHECKING:
    from ..async_ import AsyncStorageNode
    from .pane import BrowserPane

__all__ = [
    "HOLD_ENTRIES",
    "WINDOW_ENTRIES",
    "PageMark",
    "PagedRows",
    "RowView",
    "paged_cells",
    "pin_selection",
    "take_page",
]

#: Entries a pane holds whole (any sort, filter); past this it keeps a window of pages.
HOLD_ENTRIES = 10_000
#: Entries of listed pages kept in a big folder's window (besides the first page).
WINDOW_ENTRIES = 4_000
#: A row of a page that came back shorter when listed again (the folder changed).
_GONE = ["file", "(changed: reload the folder)", "", "", ""]


@dataclass(slots=True)
class PageMark:
    """Where one listed page is: the cursor that lists it, the page size asked, its
    first row, how many entries it gave and a digest of their names (``page_digest``)."""

    cursor: str | None
    size: int
    start: int
    count: int
    digest: bytes = b""


def page_digest(entries: Sequence[FileInfo]) -> bytes:
    """8 bytes that change when the names of a page do: a page listed again whose rows
    are not the ones shown (a file added or removed in it meanwhile shifts them) is
    refused, so a row is never taken for its neighbour."""
    names = "\0".join(entry.path for entry in entries)  # no path holds a NUL
    return hashlib.blake2b(names.encode("utf-8", "surrogatepass"), digest_size=8).digest()


class RowView(Sequence[FileInfo]):
    """The grid's rows as ``FileInfo`` (rebuilt from compact records when needed)."""

    def __init__(self, rows: list[SortRow]) -> None:
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> FileInfo: ...
    @overload
    def __getitem__(self, index: slice) -> list[FileInfo]: ...
    def __getitem__(self, index: int | slice) -> FileInfo | list[FileInfo]:
        if isinstance(index, slice):
            return [r.entry() for r in self.rows[index]]
        return self.rows[index].entry()

    def __iter__(self) -> Iterator[FileInfo]:
        return (r.entry() for r in self.rows)


class PagedRows:
    """A big folder's rows in the store's order, with a bounded window of pages."""

    def __init__(self, folder: AsyncStorageNode) -> None:
        self.folder = folder
        self.marks: list[PageMark] = []
        self._starts: list[int] = []
        self.held: OrderedDict[int, list[FileInfo]] = OrderedDict()
        #: Entries of selected (and focused) rows, kept while they stay selected.
        self.pinned: dict[int, FileInfo] = {}
        #: Selected rows whose entries are still being listed again.
        self.pending = 0
        #: Pages whose names changed when listed again, and the selected rows in them
        #: (not acted on: the row numbers no longer name what was shown).
        self.changed: set[int] = set()
        self.lost = 0
        self._fetching: dict[int, asyncio.Task[list[FileInfo]]] = {}

    @property
    def total(self) -> int:
        """Rows listed so far."""
        last = self.marks[-1] if self.marks else None
        return last.start + last.count if last else 0

    def add(self, cursor: str | None, size: int, entries: list[FileInfo]) -> None:
        """Append a page listed with ``cursor`` and page size ``size``."""
        mark = PageMark(cursor, size, self.total, len(entries), page_digest(entries))
        self.marks.append(mark)
        self._starts.append(mark.start)
        self._hold(len(self.marks) - 1, entries)

    def _hold(self, number: int, entries: list[FileInfo]) -> None:
        held = self.held
        held[number] = entries
        held.move_to_end(number)
        kept = sum(len(page) for n, page in held.items() if n != 0)
        while kept > WINDOW_ENTRIES and len(held) > 2:
            oldest = next(n for n in held if n not in (0, number))  # the first page stays
            kept -= len(held.pop(oldest))

    def page_of(self, row: int) -> int:
        """The number of the page holding ``row``."""
        return bisect.bisect_right(self._starts, row) - 1

    def entry(self, row: int, fetched: dict[int, list[FileInfo]] | None = None) -> FileInfo | None:
        """The entry of ``row`` if the kernel holds it (pinned, in the window, or in the
        pages just ``fetched``)."""
        if row in self.pinned:
            return self.pinned[row]
        number = self.page_of(row)
        page = self.held.get(number) if fetched is None else fetched.get(number)
        page = self.held.get(number) if page is None else page
        if number < 0 or page is None:
            return None
        offset = row - self.marks[number].start
        return page[offset] if offset < len(page) else None

    def missing_pages(self, start: int, end: int) -> list[int]:
        """Pages of the rows ``start`` to ``end`` (excluded) that are not held."""
        if start >= end:
            return []
        first, last = self.page_of(start), self.page_of(end - 1)
        return [n for n in range(max(first, 0), last + 1) if n not in self.held]

    async def fetch(self, number: int) -> list[FileInfo]:
        """List page ``number`` again from its cursor (one listing call), and hold it."""
        task = self._fetching.get(number)
        if task is None:
            task = asyncio.ensure_future(self._list(number))
            self._fetching[number] = task
            task.add_done_callback(lambda t: self._fetched(number, t))
        return await asyncio.shield(task)

    def _fetched(self, number: int, task: asyncio.Task[list[FileInfo]]) -> None:
        self._fetching.pop(number, None)
        if not task.cancelled():
            task.exception()  # retrieved: whoever awaited it reported it (or left)

    async def _list(self, number: int) -> list[FileInfo]:
        mark = self.marks[number]
        page = await self.folder.list(page_size=mark.size, cursor=mark.cursor)
        # A page that grew since keeps its rows where they were (later ones are the next
        # page's); a shorter one shows its missing rows as changed. Either way, when its
        # names are not those listed first, its rows are no longer the ones the browser
        # was shown at those offsets: none of them is acted on (``changed``) until the
        # folder is listed again, so a row is never taken for its neighbour.
        entries = list(page.entries)[: mark.count]
        if page_digest(entries) != mark.digest:
            self.changed.add(number)
        self._hold(number, entries)
        return entries

    def cells(
        self, start: int, count: int, fetched: dict[int, list[FileInfo]] | None = None
    ) -> list[list[str]]:
        """The cells of held (or just ``fetched``) rows (``_GONE`` for a row a re-listing
        did not give)."""
        out = []
        for row in range(start, min(start + count, self.total)):
            entry = self.entry(row, fetched)
            out.append(row_cells(entry) if entry is not None else list(_GONE))
        return out


# -- what the pane does with pages ------------------------------------------------------
def wants_order(pane: BrowserPane) -> bool:
    """Whether the view needs every entry: a sort other than by name ascending, or a
    filter (the store's order is by name)."""
    grid = pane.grid
    return grid.sort_key != "name" or grid.sort_desc or bool(pane.name_filter.value.strip())


def take_page(pane: BrowserPane, cursor: str | None, size: int, page: Page) -> None:
    """Add a listed page (asked with ``cursor`` and page size ``size``) to ``pane``."""
    entries = list(page.entries)
    pane.cursor = page.cursor
    if pane.paged is not None:
        pane.paged.add(cursor, size, entries)
        return
    pane.marks.append(PageMark(cursor, size, 0, len(entries)))
    pane.add_entries(entries)
    if len(pane._rows) <= HOLD_ENTRIES:
        return
    if wants_order(pane) or pane.cursor is None and cursor is None:
        for row in pane._rows.values():
            row.compact()  # every entry is needed (a sort, a filter): compact records
    else:
        _to_paged(pane)


def _to_paged(pane: BrowserPane) -> None:
    """Switch ``pane`` from held entries to a window of pages in the store's order."""
    paged = PagedRows(pane.folder)
    rows = list(pane._rows.values())  # in listing order
    selected = {e.name for e in pane.selected_entries}
    done = 0
    for mark in pane.marks:
        chunk = [r.entry() for r in rows[done : done + mark.count]]
        paged.add(mark.cursor, mark.size, chunk)
        done += mark.count
    paged.pinned = {i: r.entry() for i, r in enumerate(rows) if r.name in selected}
    pane.paged = paged
    pane.visible = RowView([])
    pane._rows = {}
    pane.marks = []
    pane.reset_grid(paged.total, sorted(paged.pinned))  # in the store's order now


def held_entries(pane: BrowserPane) -> Sequence[FileInfo]:
    """The entries ``pane`` holds, in listing order (a big folder: its window)."""
    if pane.paged is not None:
        return [e for n in sorted(pane.paged.held) for e in pane.paged.held[n]]
    return RowView(list(pane._rows.values()))


def reload_size(pane: BrowserPane) -> int:
    """Entries a reload lists at once: those held (a big folder: its first page)."""
    held = len(pane._rows) if pane.paged is None else 0
    return max(pane.page_size, held if held <= HOLD_ENTRIES else 0)


def paged_cells(pane: BrowserPane, start: int, count: int) -> list[list[str]] | None:
    """The cells of rows ``start`` to ``start + count``; ``None`` when some are in pages
    that left the window: those are listed again and the rows sent when they come."""
    paged = pane.paged
    assert paged is not None
    end = min(start + count, paged.total)
    missing = paged.missing_pages(start, end)
    if not missing:
        return paged.cells(start, end - start)
    version = pane.grid.version

    async def send() -> None:
        fetched = {number: await paged.fetch(number) for number in missing}
        if pane.paged is paged and pane.grid.version == version:
            rows = paged.cells(start, end - start, fetched)
            pane.grid.push({"kind": "rows", "start": start, "version": version, "rows": rows})

    pane._runner.spawn(send(), f"rows {start:,}-{end:,} of {pane.folder.fullpath}")
    return None


def pin_selection(pane: BrowserPane) -> bool:
    """Pin the entries of the selected rows and the focused one; ``True`` when all are
    held. Rows in pages that left the window are listed again in the background, and the
    pane reports the selection when they are in."""
    paged = pane.paged
    assert paged is not None
    rows = pane.grid.selected_rows()
    if pane.grid.focus_row >= 0:
        rows = [*rows, pane.grid.focus_row]
    pinned: dict[int, FileInfo] = {}
    missing: list[int] = []
    selected = set(pane.grid.selected_rows())
    paged.lost = 0
    for row in rows:
        if paged.page_of(row) in paged.changed:
            paged.lost += int(row in selected)
            continue
        entry = paged.entry(row)
        if entry is None:
            missing.append(row)
        else:
            pinned[row] = entry
    paged.pinned = pinned
    paged.pending = len(missing)
    if missing:
        work = _resolve(pane, paged, missing)
        pane._runner.spawn(work, "read the selection", slot=pane._pin_slot)
    return not missing


async def _resolve(pane: BrowserPane, paged: PagedRows, rows: list[int]) -> None:
    selected = set(pane.grid.selected_rows())  # the focused row alone is not acted on
    by_page: dict[int, list[int]] = {}
    for row in rows:
        by_page.setdefault(paged.page_of(row), []).append(row)
    for number, wanted in by_page.items():
        fetched = {number: await paged.fetch(number)}
        for row in wanted:
            entry = paged.entry(row, fetched)
            if entry is not None and number not in paged.changed:
                paged.pinned[row] = entry
            elif row in selected:
                paged.lost += 1
    paged.pending = 0
    if pane.paged is paged:
        pane.selection_resolved()


def check_ready(pane: BrowserPane) -> None:
    """Raise when the selection is still being read (a range over unlisted rows), or
    when some of its rows were in a page that changed when it was listed again."""
    paged = pane.paged
    if paged is not None and paged.pending:
        raise StorageError(
            f"the selection is still being read ({paged.pending:,} entries to go): "
            "try again when it is shown"
        )
    if paged is not None and paged.lost:
        raise StorageError(
            f"{paged.lost:,} selected entries changed in the folder since they were listed: "
            "reload the folder and select again"
        )


def count_text(pane: BrowserPane) -> str:
    """The line under the grid: how many entries are listed, shown, held."""
    more = pane.cursor is not None
    paged = pane.paged
    if paged is not None:
        held = sum(len(p) for p in paged.held.values())
        tail = " · more in this folder" if more else ""
        return f"{paged.total:,} entries listed, in the store's order ({held:,} held){tail}"
    loaded, shown = len(pane._rows), len(pane.visible)
    parts = [f"{plural(loaded, 'entry', 'entries')} loaded"]
    if shown != loaded:
        parts.insert(0, f"{shown:,} shown")
    if more:
        parts.append("more in this folder")
    if more and wants_order(pane):
        parts.append("sort/filter apply to loaded entries only")
    return " · ".join(parts)


def ordered(pane: BrowserPane, rows: list[SortRow]) -> list[SortRow]:
    """``rows`` filtered by the pane's filter and sorted by its column, folders first."""
    pattern = pane.name_filter.value.strip().lower()
    if pattern:
        if any(c in pattern for c in "*?["):
            rows = [r for r in rows if fnmatch.fnmatchcase(r.lower, pattern)]
        else:
            rows = [r for r in rows if pattern in r.lower]
    key = pane.grid.sort_key
    if key == "size":
        rows.sort(key=lambda r: (r.size or 0, r.lower, r.name))
    elif key == "mtime":
        rows.sort(key=lambda r: (r.mtime or 0.0, r.lower, r.name))
    elif key == "type":
        rows.sort(key=lambda r: (r.suffix, r.lower, r.name))
    else:
        rows.sort(key=lambda r: (r.lower, r.name))
    if pane.grid.sort_desc:
        rows.reverse()
    rows.sort(key=lambda r: not r.isdir)  # folders first; the sort is stable
    return rows


def held_rows(pane: BrowserPane) -> Iterator[tuple[int, FileInfo]]:
    """``(row, entry)`` of the rows a big folder's window holds, in row order."""
    paged = pane.paged
    assert paged is not None
    for number in sorted(paged.held):
        start = paged.marks[number].start
        yield from enumerate(paged.held[number], start)


def find_name(pane: BrowserPane, text: str, start: object) -> int | None:
    """Type-ahead: the first row from ``start`` (wrapping; one key: after it) whose name
    starts with ``text`` (lower case). A big folder: among the rows it holds."""
    rows: list[tuple[int, str]]
    if pane.paged is not None:
        rows = [(row, entry.name) for row, entry in held_rows(pane)]
    elif isinstance(pane.visible, RowView):
        rows = list(enumerate(r.name for r in pane.visible.rows))
    else:
        rows = list(enumerate(e.name for e in pane.visible))
    if not text or not rows:
        return None
    first = start if isinstance(start, int) and not isinstance(start, bool) else 0
    if len(text) == 1:
        first += 1  # one key again: the next match (as file managers do)
    at = bisect.bisect_left([row for row, _ in rows], first)
    for step in range(len(rows)):
        row, name = rows[(at + step) % len(rows)]
        if name.lower().startswith(text):
            return row
    return None
