"""One browsing pane of the explorer: a mount, a folder, its entries in a file grid.

The pane asks the backend for one page (``node.list(page_size=...)``) and shows it in
the grid (``grid.py``), which fetches only the rows it shows; scrolling near the end (or
"More") lists the next page with the cursor. A folder of 10,000 entries costs one page
of work until the user scrolls. The filter works on the entries loaded so far, and the
count line says so; a sort other than by name on a partly listed folder first lists the
rest of it as a job (with progress and Cancel), then sorts the whole folder.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as ipw

from .. import Capabilities, FileInfo, StorageError
from .._shared.paths import split_spec
from . import pane_jobs, pane_window
from ._format import esc
from .grid import FileGrid, row_cells
from .jobs import Job, JobList
from .pane_parts import SortRow, badge_html, crumb_buttons, small_layout
from .pane_window import PagedRows, PageMark, RowView

if TYPE_CHECKING:
    from ..async_ import AsyncStorageManager, AsyncStorageNode
    from ._tasks import TaskRunner

__all__ = ["BrowserPane"]

SORT_KEYS = ("name", "size", "mtime", "type")


class BrowserPane(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """A mount picker, breadcrumbs, a name filter and the file grid of one folder.

    Attributes for code and tests: ``mount_picker``, ``breadcrumbs``, ``grid`` (a
    ``FileGrid``; ``listing`` is the same widget), ``more_button``, ``open_button``,
    ``up_button``, ``refresh_button``, ``name_filter``, ``count_label``; state: ``folder``
    (the node shown), ``entries`` (loaded ``FileInfo``), ``visible`` (the grid's rows, in
    order), ``cursor`` (``None`` when everything is loaded), ``listing_task``.

    ``on_change(pane, event)`` tells the explorer what happened: ``'focus'`` (the user
    worked in this pane), ``'selection'``, ``'navigated'`` (another folder is shown) or
    ``'listing'`` (the entries shown changed). ``on_action(pane, kind, content)`` gets
    what the grid asks of the explorer: ``'action'`` (a menu item or key), ``'rename'``,
    ``'drop'`` (entries dragged from another pane), ``'upload'`` (a chunk of a file).
    """

    def __init__(
        self,
        storage: AsyncStorageManager,
        runner: TaskRunner,
        side: str,
        mount: str,
        page_size: int,
        on_change: Callable[[BrowserPane, str], None],
        on_action: Callable[[BrowserPane, str, dict[str, Any]], None] | None = None,
    ) -> None:
        self.storage = storage
        self.side = side
        self.page_size = page_size
        self.folder: AsyncStorageNode = storage.node(mount)
        self.visible: Sequence[FileInfo] = []
        self._rows: dict[str, SortRow] = {}  # name -> cached sort keys
        self.cursor: str | None = None
        #: A big folder's window of pages (``pane_window``), or ``None``: rows held whole.
        self.paged: PagedRows | None = None
        self.marks: list[PageMark] = []  # the pages listed while held whole
        #: Search results shown instead of the folder (``(folder, entry)``), or ``None``.
        self.results: list[tuple[AsyncStorageNode, FileInfo]] | None = None
        self.loaded = False
        #: Where the whole-folder listings of a sort show their progress (a ``JobList``).
        self.jobs: JobList | None = None
        self._runner = runner
        self._on_change = on_change
        self._on_action = on_action
        self._slot = f"listing:{side}"
        self._pin_slot = f"selection:{side}"
        self._syncing = False

        self.mount_picker = ipw.Dropdown(
            options=storage.mounts,
            value=mount,
            description="mount",
            layout=ipw.Layout(width="220px"),
            style={"description_width": "44px"},
        )
        self.badge = ipw.HTML(layout=ipw.Layout(flex="1 1 auto"))
        self.up_button = ipw.Button(icon="arrow-up", tooltip="Parent folder", layout=small_layout())
        self.refresh_button = ipw.Button(icon="refresh", tooltip="Reload", layout=small_layout())
        self.open_button = ipw.Button(
            description="Open",
            icon="folder-open",
            tooltip="Open the selected folder",
            disabled=True,
            layout=ipw.Layout(width="84px"),
        )
        self.breadcrumbs = ipw.HBox(layout=ipw.Layout(flex_flow="row wrap", align_items="center"))
        self.breadcrumbs.add_class("gs-crumbs")
        self.name_filter = ipw.Text(
            placeholder="filter loaded names (text or *.glob)",
            layout=ipw.Layout(flex="1 1 auto", width="auto", min_width="80px"),
        )
        self.search_box = ipw.Text(
            placeholder="search below this folder (name or *.glob), Enter",
            continuous_update=False,
            layout=ipw.Layout(flex="1 1 auto", width="auto", min_width="80px"),
        )
        guard = runner.guard  # a failing callback shows its error in the status area
        self.grid = FileGrid(self.grid_rows, self._grid_event, guard)
        self.grid.add_class("gs-listing")
        self.listing = self.grid  #: The grid, under the name the listing always had.
        self.count_label = ipw.HTML(layout=ipw.Layout(flex="1 1 auto"))
        self.more_button = ipw.Button(
            description="More",
            icon="angle-double-down",
            tooltip="Load the next page of this folder",
            layout=ipw.Layout(width="90px", display="none"),
        )

        self.mount_picker.observe(guard(self._mount_changed), names="value")
        self.up_button.on_click(guard(lambda _b: self.go(self.folder.parent.path)))
        self.refresh_button.on_click(guard(lambda _b: self.reload()))
        self.open_button.on_click(guard(lambda _b: self._open_selected()))
        self.more_button.on_click(guard(lambda _b: self.more()))
        self.grid.observe(guard(self._sort_changed), names=["sort_key", "sort_desc"])
        self.name_filter.observe(guard(self._view_changed), names="value")
        self.search_box.observe(
            guard(lambda c: c["new"].strip() and self.search(c["new"])), "value"
        )
        self.grid.observe(guard(self._selection_changed), names="selection")

        super().__init__(
            [
                ipw.HBox([self.mount_picker, self.badge], layout=ipw.Layout(align_items="center")),
                ipw.HBox(
                    [self.up_button, self.refresh_button, self.breadcrumbs],
                    layout=ipw.Layout(align_items="center"),
                ),
                ipw.HBox([self.name_filter, self.search_box]),
                self.grid,
                ipw.HBox(
                    [self.open_button, self.count_label, self.more_button],
                    layout=ipw.Layout(align_items="center"),
                ),
            ],
            layout=ipw.Layout(flex="1 1 0", min_width="0", padding="6px"),
        )
        self.add_class("gs-pane")
        self._draw_breadcrumbs()
        self._draw_badge()

    # -- state ----------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        """What the current mount allows (backend features narrowed by permissions)."""
        return self.folder.capabilities

    @property
    def listing_task(self) -> asyncio.Task[Any] | None:
        """The listing task still running, if any (cancelled by a new navigation)."""
        return self._runner.current(self._slot)

    @property
    def entries(self) -> Sequence[FileInfo]:
        """The entries the kernel holds, in listing order (of a big folder: its window)."""
        return pane_window.held_entries(self)

    @property
    def selected_entries(self) -> list[FileInfo]:
        """The ``FileInfo`` of the selected entries, in listing order (of a big folder:
        those read so far, see ``selection_pending``)."""
        if self.paged is not None:
            pinned = self.paged.pinned
            return [pinned[i] for i in self.grid.selected_rows() if i in pinned]
        visible = self.visible
        return [visible[i] for i in self.grid.selected_rows() if i < len(visible)]

    @property
    def names(self) -> list[str]:
        """The names of the grid's rows, in order (of a big folder: the rows held)."""
        return [e.name for e in (self.entries if self.paged is not None else self.visible)]

    @property
    def selected(self) -> list[AsyncStorageNode]:
        """The selected entries as nodes (a search result: from the folder it is in). A
        ``StorageError`` while a range over unlisted rows is still being read."""
        pane_window.check_ready(self)
        if self.results is not None:
            found = self.results
            return [found[i][0].child_from(found[i][1]) for i in self.grid.selected_rows()]
        return [self.folder.child_from(e) for e in self.selected_entries]

    @property
    def selection_folder(self) -> AsyncStorageNode:
        """The folder the selected entries are in (a search result's own folder)."""
        rows = self.grid.selected_rows()
        if self.results is not None and len(rows) == 1 and rows[0] < len(self.results):
            return self.results[rows[0]][0]
        return self.folder

    def select(self, *names: str) -> None:
        """Select entries by name (those not loaded or filtered out are ignored)."""
        wanted = set(names)
        rows = pane_window.held_rows(self) if self.paged is not None else enumerate(self.visible)
        self.grid.select_rows(i for i, e in rows if e.name in wanted)

    # -- navigation -----------------------------------------------------------------
    # Listing work runs in the pane's slot: a new listing cancels the stale one. Each
    # action below exists as a starter (for buttons; returns the task) and as a
    # coroutine method that waits (for code); both run the same private coroutine.
    def spawn(self, coro: Coroutine[Any, Any, Any], label: str) -> asyncio.Task[Any] | None:
        """Start listing work in this pane's slot (cancelling the previous one)."""
        return self._runner.spawn(coro, f"{label} ({self.side} pane)", slot=self._slot)

    async def _run(self, coro: Coroutine[Any, Any, Any], label: str) -> bool:
        return await self._runner.run(coro, f"{label} ({self.side} pane)", slot=self._slot)

    def go(self, spec: str) -> asyncio.Task[Any] | None:
        """Start navigating to ``spec`` (``'mount:path'`` or a path in this mount)."""
        self._on_change(self, "focus")
        return self.spawn(self._navigate(spec), f"list {spec or self.folder.mount + ':'}")

    def reload(self) -> asyncio.Task[Any] | None:
        """Start re-listing the current folder, keeping as many entries as are loaded."""
        keep = pane_window.reload_size(self)
        return self.spawn(self._list(self.folder, keep), f"reload {self.folder.fullpath}")

    async def navigate(self, spec: str) -> bool:
        """List ``spec`` (``'mount:path'``, or a path from this mount's root) and wait.

        True when the listing is shown; False when it failed (the error is in the
        status area) or a newer navigation replaced it.
        """
        self._on_change(self, "focus")
        return await self._run(self._navigate(spec), f"list {spec}")

    async def open_mount(self, name: str) -> bool:
        """Show the root of mount ``name``."""
        return await self.navigate(f"{name}:")

    async def refresh(self) -> bool:
        """Re-list the current folder."""
        keep = pane_window.reload_size(self)
        return await self._run(self._list(self.folder, keep), f"reload {self.folder.fullpath}")

    def more(self) -> asyncio.Task[Any] | None:
        """Start loading the next page (what the More button does)."""
        if self.cursor is None or self.listing_task is not None:
            return None
        return self.spawn(self._more(), "load more")

    async def load_more(self) -> bool:
        """Append the next page and wait; False when everything is loaded already or a
        listing is running (it replaces the entries anyway)."""
        if self.cursor is None or self.listing_task is not None:
            return False
        return await self._run(self._more(), "load more")

    def _target(self, spec: str) -> AsyncStorageNode:
        if ":" in spec:
            mount, path = split_spec(spec)
            if self.storage.has_mount(mount):
                return self.storage.node(mount, path)
        return self.storage.node(self.folder.mount, spec)

    async def _navigate(self, spec: str) -> None:
        await self._list(self._target(spec), self.page_size)

    async def _list(self, folder: AsyncStorageNode, page_size: int) -> None:
        self.more_button.disabled = True
        self.count_label.value = '<span class="gs-muted">loading…</span>'
        try:
            page = await folder.list(page_size=page_size)
        except BaseException:
            self._draw_count()  # show the old state again; the error goes to the status
            self.more_button.disabled = False
            raise
        changed = folder.fullpath != self.folder.fullpath
        self.folder = folder
        self.results = None  # another listing ends a search's results
        self._rows, self.marks, self.paged = {}, [], None
        pane_window.take_page(self, None, page_size, page)
        self.loaded = True
        self._sync_mount_picker(folder.mount)
        self._draw_breadcrumbs()
        self._draw_badge()
        self.redraw(keep_selection=not changed)
        self._on_change(self, "navigated" if changed else "listing")

    async def _more(self) -> None:
        folder, cursor = self.folder, self.cursor
        self.more_button.disabled = True
        self.count_label.value = '<span class="gs-muted">loading more…</span>'
        try:
            page = await folder.list(page_size=self.page_size, cursor=cursor)
        except BaseException:
            self._draw_count()
            self.more_button.disabled = False
            raise
        pane_window.take_page(self, cursor, self.page_size, page)
        self.redraw()

    def _sync_mount_picker(self, mount: str) -> None:
        """Show ``mount`` in the picker, whose options follow the manager's mounts."""
        mounts = tuple(self.storage.mounts)
        if self.mount_picker.options == mounts and self.mount_picker.value == mount:
            return
        self._syncing = True
        try:
            if self.mount_picker.options != mounts:
                self.mount_picker.options = mounts
            self.mount_picker.value = mount
        finally:
            self._syncing = False

    def _mount_changed(self, change: dict[str, Any]) -> None:
        if self._syncing or change["new"] == self.folder.mount:
            return
        self.go(f"{change['new']}:")

    def _open_selected(self) -> None:
        folders = [e for e in self.selected_entries if e.isdir]
        if len(folders) == 1:
            self.go(self.folder.child_from(folders[0]).fullpath)

    def _selection_changed(self, _change: dict[str, Any]) -> None:
        if self._syncing:
            return
        if self.paged is not None and not pane_window.pin_selection(self):
            return  # rows being listed again: ``selection_resolved`` reports it
        self.selection_resolved()

    @property
    def selection_pending(self) -> bool:
        """Whether selected rows of a big folder are still being listed again."""
        return self.paged is not None and self.paged.pending > 0

    def selection_resolved(self) -> None:
        """The selection's entries are all known: show and report it."""
        chosen = self.selected_entries
        self.open_button.disabled = not (len(chosen) == 1 and chosen[0].isdir)
        self._on_change(self, "selection")

    # -- the grid's requests -----------------------------------------------------------
    def grid_rows(self, start: int, count: int) -> list[list[str]] | None:
        """The cells of the grid rows ``start`` to ``start + count`` (what the browser gets)."""
        if self.results is not None:
            return pane_jobs.result_cells(self, start, count)
        if self.paged is not None:
            return pane_window.paged_cells(self, start, count)
        return [row_cells(e) for e in self.visible[start : start + count]]

    def _grid_event(self, kind: str, content: dict[str, Any]) -> None:
        self._on_change(self, "focus")
        if kind == "open":
            entry = self.entry_at(content)
            if self.results is not None:  # a search result: show it in its folder
                parent = self.results[content["row"]][0]
                target = parent.child_from(entry) if entry.isdir else parent
                self.go(target.fullpath)
            elif entry.isdir:
                self.go(self.folder.child_from(entry).fullpath)
        elif kind == "parent":
            self.go(self.folder.parent.path)
        elif kind == "more":
            self.more()
        elif kind == "end":
            self.load_all(to_end=True)
        elif kind == "typeahead":
            self.type_ahead(str(content.get("text", "")), content.get("row", 0))
        elif self._on_action is not None:
            self._on_action(self, kind, content)

    def entry_at(self, content: dict[str, Any]) -> FileInfo:
        """The entry of the row a grid message names (``{"row": n}``), checked."""
        row = content.get("row")
        total = self.grid.total if self.paged is not None else len(self.visible)
        if not isinstance(row, int) or isinstance(row, bool) or not 0 <= row < total:
            raise StorageError(f"no row {row!r} in the {self.side} pane")
        if self.paged is None:
            return self.visible[row]
        entry = self.paged.entry(row)
        if entry is None:  # only rows shown (and so listed) can be clicked
            raise StorageError(f"row {row:,} is not listed any more: scroll to it again")
        return entry

    def type_ahead(self, text: str, start: object = 0) -> int | None:
        """Select the first row (from ``start``, wrapping) whose name starts with
        ``text`` (case-insensitive); returns its number, or ``None``."""
        row = pane_window.find_name(self, text.lower(), start)
        if row is not None:
            self.grid.select_rows([row], focus=row)
            self.grid.scroll_to(row)
        return row

    def _sort_changed(self, _change: dict[str, Any]) -> None:
        self._on_change(self, "focus")
        key = self.grid.sort_key
        if key not in SORT_KEYS:
            self.grid.sort_key = "name"  # observed again: that redraws
            raise StorageError(f"cannot sort by {key!r}")
        if self.paged is not None and pane_window.wants_order(self):
            self.load_all()  # a big folder: its entries as compact records, as a job
        elif self.cursor is None or (key == "name" and not self.grid.sort_desc):
            self.redraw()
        else:
            self.load_all()  # a sort of the whole folder: list the rest first, as a job

    def load_all(self, to_end: bool = False) -> asyncio.Task[Any] | None:
        """List the rest of the folder as a job, then sort it (``pane_jobs``)."""
        return pane_jobs.load_all(self, to_end)

    async def list_all(self) -> bool:
        """``load_all`` and wait: True when the whole folder is loaded and sorted."""
        return await pane_jobs.list_all(self)

    def search(self, pattern: str) -> Job:
        """Search below the folder for ``pattern`` (name part or glob) as a job."""
        return pane_jobs.start_search(self, pattern)

    def show_results(self, found: list[tuple[AsyncStorageNode, FileInfo]]) -> None:
        """Show search results (``(folder, entry)`` pairs) in the grid."""
        self.results = found
        self.paged = None  # a navigation lists the folder again
        self.redraw()

    def add_entries(self, entries: Sequence[FileInfo]) -> None:
        """Add listed entries (those not loaded yet) to the loaded ones."""
        self._add_rows([e for e in entries if e.name not in self._rows])

    def _view_changed(self, _change: dict[str, Any]) -> None:
        if self.paged is not None and pane_window.wants_order(self):
            self.load_all()  # a filter of a big folder needs all of its names
        else:
            self.redraw()
        self._on_change(self, "focus")

    # -- drawing --------------------------------------------------------------------
    def _add_rows(self, entries: list[FileInfo]) -> None:
        compact = len(self._rows) + len(entries) > pane_window.HOLD_ENTRIES
        for entry in entries:
            row = SortRow(entry)
            if compact:
                row.compact()  # a big folder sorted or filtered: compact records
            self._rows[row.name] = row

    def redraw(self, keep_selection: bool = True) -> None:
        """Sort and filter the loaded entries into the grid's rows (no I/O; sort keys are
        computed once per entry). The browser then asks for the rows it shows."""
        if self.results is not None:  # search results, in the order found
            ids = {id(self.visible[i]) for i in self.grid.selected_rows() if i < len(self.visible)}
            self.visible = [entry for _, entry in self.results]
            kept = [i for i, e in enumerate(self.visible) if id(e) in ids]
            self.reset_grid(len(self.visible), kept)
            self._on_change(self, "listing")
            return
        if self.paged is not None:  # pages only come after: the rows keep their numbers
            self.reset_grid(self.paged.total, self.grid.selected_rows())
            self._draw_count()
            self._on_change(self, "listing")
            return
        rows = pane_window.ordered(self, list(self._rows.values()))
        old = {e.name for e in self.selected_entries} if keep_selection else set()
        self.visible = RowView(rows)
        self.reset_grid(len(rows), [i for i, r in enumerate(rows) if r.name in old] if old else [])
        chosen = self.selected_entries
        self.open_button.disabled = not (len(chosen) == 1 and chosen[0].isdir)
        self._draw_count()
        if old and len(chosen) != len(old):
            self._on_change(self, "selection")  # a filter dropped part of the selection
        self._on_change(self, "listing")

    def reset_grid(self, total: int, selected: list[int]) -> None:
        """New rows in the grid (``total``, ``selected``), without echoing the selection."""
        self._syncing = True
        try:
            self.grid.reset(total, self.cursor is None, selected)
        finally:
            self._syncing = False

    def _draw_count(self) -> None:
        text = pane_window.count_text(self)
        self.count_label.value = f'<span class="gs-muted">{esc(text)}</span>'
        self.more_button.layout.display = "" if self.cursor is not None else "none"
        self.more_button.disabled = self.cursor is None

    def _draw_breadcrumbs(self) -> None:
        self.breadcrumbs.children = crumb_buttons(self.folder, self.go)

    def _draw_badge(self) -> None:
        self.badge.value = badge_html(self.capabilities)
