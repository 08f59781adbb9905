"""One browsing pane of the explorer: a mount, a folder, a paged listing.

The listing asks the backend for one page (``node.list(page_size=...)``) and shows it;
"More" asks for the next page with the cursor. A folder of 10,000 entries costs one page
of work until the user asks for more. Sort and filter work on the entries loaded so far
(they do not list the rest of the folder), and the count line says so.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

import ipywidgets as ipw

from .. import Capabilities, FileInfo
from .._shared.paths import split_spec
from ._format import esc, human_size, human_time, plural, show

if TYPE_CHECKING:
    from ..async_ import AsyncStorageManager, AsyncStorageNode
    from ._tasks import TaskRunner

__all__ = ["BrowserPane"]

NAME_WIDTH = 30
SORT_KEYS = (("name", "name"), ("size", "size"), ("modified", "mtime"))


def entry_label(entry: FileInfo) -> str:
    """One listing line: name, size and modification time in fixed columns (plain text:
    the frontend sets it as an option's text and keeps the spaces)."""
    name = show(entry.name) + ("/" if entry.isdir else "")
    if len(name) > NAME_WIDTH:
        name = name[: NAME_WIDTH - 1] + "…"
    size = "folder" if entry.isdir else human_size(entry.size)
    mark = "▸" if entry.isdir else " "
    return f"{mark} {name:<{NAME_WIDTH}} {size:>9}  {human_time(entry.mtime)}".rstrip()


class _Row:
    """One loaded entry with its sort keys and listing label, computed once."""

    __slots__ = ("info", "name", "lower", "size", "mtime", "isdir", "label")

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        self.name = info.name
        self.lower = self.name.lower()
        self.size = info.size or 0
        self.mtime = info.mtime or 0.0
        self.isdir = info.isdir
        self.label = entry_label(info)


def _header_label() -> str:
    text = f"  {'name':<{NAME_WIDTH}} {'size':>9}  modified"
    return esc(text).replace(" ", "&nbsp;")


class BrowserPane(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """A mount picker, breadcrumbs, toolbar and a multi-select listing of one folder.

    Attributes for code and tests: ``mount_picker``, ``breadcrumbs``, ``listing``
    (``SelectMultiple``; its values are entry names), ``more_button``, ``open_button``,
    ``up_button``, ``refresh_button``, ``sort_by``, ``descending``, ``name_filter``,
    ``count_label``; state: ``folder`` (the node shown), ``entries`` (loaded
    ``FileInfo``), ``cursor`` (``None`` when everything is loaded), ``listing_task``.

    ``on_change(pane, event)`` tells the explorer what happened: ``'focus'`` (the user
    worked in this pane), ``'selection'``, ``'navigated'`` (another folder is shown) or
    ``'listing'`` (the entries shown changed).
    """

    def __init__(
        self,
        storage: AsyncStorageManager,
        runner: TaskRunner,
        side: str,
        mount: str,
        page_size: int,
        on_change: Callable[[BrowserPane, str], None],
    ) -> None:
        self.storage = storage
        self.side = side
        self.page_size = page_size
        self.folder: AsyncStorageNode = storage.node(mount)
        self.entries: list[FileInfo] = []
        self.visible: list[FileInfo] = []
        self._rows: dict[str, _Row] = {}  # name -> cached sort keys and label
        self.cursor: str | None = None
        self.loaded = False
        self._runner = runner
        self._on_change = on_change
        self._slot = f"listing:{side}"
        self._syncing = False

        self.mount_picker = ipw.Dropdown(
            options=storage.mounts,
            value=mount,
            description="mount",
            layout=ipw.Layout(width="220px"),
            style={"description_width": "44px"},
        )
        self.badge = ipw.HTML(layout=ipw.Layout(flex="1 1 auto"))
        self.up_button = ipw.Button(icon="arrow-up", tooltip="Parent folder", layout=_small())
        self.refresh_button = ipw.Button(icon="refresh", tooltip="Reload", layout=_small())
        self.open_button = ipw.Button(
            description="Open",
            icon="folder-open",
            tooltip="Open the selected folder",
            disabled=True,
            layout=ipw.Layout(width="84px"),
        )
        self.breadcrumbs = ipw.HBox(layout=ipw.Layout(flex_flow="row wrap", align_items="center"))
        self.breadcrumbs.add_class("gs-crumbs")
        self.sort_by = ipw.Dropdown(
            options=SORT_KEYS, value="name", description="sort", layout=ipw.Layout(width="160px"),
            style={"description_width": "32px"},
        )  # fmt: skip
        self.descending = ipw.ToggleButton(
            value=False, icon="sort-amount-desc", tooltip="Descending", layout=_small()
        )
        self.name_filter = ipw.Text(
            placeholder="filter loaded names (text or *.glob)",
            layout=ipw.Layout(flex="1 1 auto", width="auto", min_width="80px"),
        )
        self.header = ipw.HTML(f'<div class="gs-head">{_header_label()}</div>')
        self.listing = ipw.SelectMultiple(options=[], rows=14, layout=ipw.Layout(width="100%"))
        self.listing.add_class("gs-listing")
        self.count_label = ipw.HTML(layout=ipw.Layout(flex="1 1 auto"))
        self.more_button = ipw.Button(
            description="More",
            icon="angle-double-down",
            tooltip="Load the next page of this folder",
            layout=ipw.Layout(width="90px", display="none"),
        )

        guard = runner.guard  # a failing callback shows its error in the status area
        self.mount_picker.observe(guard(self._mount_changed), names="value")
        self.up_button.on_click(guard(lambda _b: self.go(self.folder.parent.path)))
        self.refresh_button.on_click(guard(lambda _b: self.reload()))
        self.open_button.on_click(guard(lambda _b: self._open_selected()))
        self.more_button.on_click(guard(lambda _b: self.more()))
        self.sort_by.observe(guard(self._view_changed), names="value")
        self.descending.observe(guard(self._view_changed), names="value")
        self.name_filter.observe(guard(self._view_changed), names="value")
        self.listing.observe(guard(self._selection_changed), names="value")

        super().__init__(
            [
                ipw.HBox([self.mount_picker, self.badge], layout=ipw.Layout(align_items="center")),
                ipw.HBox(
                    [self.up_button, self.refresh_button, self.breadcrumbs],
                    layout=ipw.Layout(align_items="center"),
                ),
                ipw.HBox([self.sort_by, self.descending, self.name_filter]),
                self.header,
                self.listing,
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
    def selected_entries(self) -> list[FileInfo]:
        """The ``FileInfo`` of the selected entries, in listing order."""
        rows = self._rows
        return [rows[name].info for name in self.listing.value if name in rows]

    @property
    def selected(self) -> list[AsyncStorageNode]:
        """The selected entries as nodes."""
        return [self.folder.child_from(e) for e in self.selected_entries]

    def select(self, *names: str) -> None:
        """Select entries by name (those not loaded or filtered out are ignored)."""
        shown = set(self.listing.options and [v for _, v in self.listing.options])
        self.listing.value = tuple(n for n in names if n in shown)

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
        keep = max(self.page_size, len(self.entries))
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
        keep = max(self.page_size, len(self.entries))
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
        self.entries = list(page.entries)
        self._rows = {}
        self._add_rows(self.entries)
        self.cursor = page.cursor
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
        fresh = [e for e in page.entries if e.name not in self._rows]
        self.entries.extend(fresh)
        self._add_rows(fresh)
        self.cursor = page.cursor
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
        chosen = self.selected_entries
        self.open_button.disabled = not (len(chosen) == 1 and chosen[0].isdir)
        self._on_change(self, "selection")

    def _view_changed(self, _change: dict[str, Any]) -> None:
        self.redraw()
        self._on_change(self, "focus")

    # -- drawing --------------------------------------------------------------------
    def _add_rows(self, entries: list[FileInfo]) -> None:
        for entry in entries:
            row = _Row(entry)
            self._rows[row.name] = row

    def redraw(self, keep_selection: bool = True) -> None:
        """Sort and filter the loaded entries into the listing (no I/O; labels and sort
        keys are computed once per entry, so "More" on a big folder stays cheap)."""
        rows = list(self._rows.values())  # in loading order (dicts keep insertion order)
        pattern = self.name_filter.value.strip().lower()
        if pattern:
            if any(c in pattern for c in "*?["):
                rows = [r for r in rows if fnmatch.fnmatchcase(r.lower, pattern)]
            else:
                rows = [r for r in rows if pattern in r.lower]
        key = self.sort_by.value
        if key == "size":
            rows.sort(key=lambda r: (r.size, r.lower, r.name))
        elif key == "mtime":
            rows.sort(key=lambda r: (r.mtime, r.lower, r.name))
        else:
            rows.sort(key=lambda r: (r.lower, r.name))
        if self.descending.value:
            rows.reverse()
        rows.sort(key=lambda r: not r.isdir)  # folders first; the sort is stable
        self.visible = [r.info for r in rows]
        old = set(self.listing.value) if keep_selection else set()
        self._syncing = True
        try:
            self.listing.options = [(r.label, r.name) for r in rows]  # resets the value
            if old:
                self.listing.value = tuple(r.name for r in rows if r.name in old)
        finally:
            self._syncing = False
        chosen = self.selected_entries
        self.open_button.disabled = not (len(chosen) == 1 and chosen[0].isdir)
        self._draw_count()
        self._on_change(self, "listing")

    def _draw_count(self) -> None:
        loaded = len(self.entries)
        shown = len(self.visible)
        parts = [f"{plural(loaded, 'entry', 'entries')} loaded"]
        if shown != loaded:
            parts.insert(0, f"{shown:,} shown")
        if self.cursor is not None:
            parts.append("more in this folder")
        if (self.name_filter.value.strip() or self.sort_by.value != "name") and (
            self.cursor is not None
        ):
            parts.append("sort/filter apply to loaded entries only")
        self.count_label.value = f'<span class="gs-muted">{esc(" · ".join(parts))}</span>'
        self.more_button.layout.display = "" if self.cursor is not None else "none"
        self.more_button.disabled = self.cursor is None

    def _draw_breadcrumbs(self) -> None:
        folder = self.folder
        crumbs: list[ipw.Widget] = []
        root = ipw.Button(description=f"{folder.mount}:", tooltip="Mount root", layout=_crumb())
        root.on_click(lambda _b, m=folder.mount: self.go(f"{m}:"))
        crumbs.append(root)
        parts = folder.path.split("/") if folder.path else []
        for number, part in enumerate(parts):
            crumbs.append(ipw.HTML('<span class="gs-sep">/</span>'))
            target = "/".join(parts[: number + 1])
            tip = show(f"{folder.mount}:{target}")
            button = ipw.Button(description=show(part), tooltip=tip, layout=_crumb())
            button.on_click(lambda _b, m=folder.mount, t=target: self.go(f"{m}:{t}"))
            crumbs.append(button)
        self.breadcrumbs.children = crumbs

    def _draw_badge(self) -> None:
        caps = self.capabilities
        if not caps.write:
            text, cls = "read-only", "gs-badge gs-ro"
        elif not caps.delete:
            text, cls = "no delete", "gs-badge gs-ro"
        else:
            text, cls = "read-write", "gs-badge"
        self.badge.value = f'<span class="{cls}">{esc(text)}</span>'


def _small() -> ipw.Layout:
    return ipw.Layout(width="34px", padding="0")


def _crumb() -> ipw.Layout:
    return ipw.Layout(width="auto", max_width="200px", padding="0 6px", height="26px")
