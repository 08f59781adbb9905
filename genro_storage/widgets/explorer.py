"""``StorageExplorer``: browse, preview, copy and move across mounts in a notebook.

The explorer is assembled from parts, each in its own module: two ``BrowserPane``
(``pane.py``), the ``ActionBar``, ``PreviewPanel``, ``FactsPanel``, ``JobList`` and
``StatusPanel`` (views), and an ``ExplorerController`` (``controller.py``) that holds the
async actions and no widget. This module lays the views out, binds their buttons to
the controller's actions and keeps the public API (attributes and coroutine methods)
that notebooks and tests use.

The explorer sits on the async API only. Each button or selection schedules a task on
the kernel's running loop (see ``_tasks.TaskRunner``); nothing here blocks the kernel
or re-enters its loop. Construction does no I/O: the first listing of each pane is a
task started when a loop is running (``await explorer.refresh()`` works too).
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

import ipywidgets as ipw

from .. import FileInfo, StorageConfigError, StorageError, VersionInfo
from .._shared.paths import split_spec
from ..async_ import AsyncStorageManager, AsyncStorageNode
from ._format import describe, esc
from ._tasks import TaskRunner
from .action_bar import SKIP_CHOICES, ActionBar
from .controller import DOWNLOAD_BYTES, PREVIEW_SLOT, ExplorerController
from .facts_panel import FactsPanel
from .grid import FileGrid
from .grid_actions import GridActions
from .jobs import Job, JobList
from .pane import BrowserPane
from .pane_window import check_ready
from .preview import PREVIEW_BYTES, Preview
from .preview_panel import PreviewPanel
from .status_panel import StatusPanel

__all__ = ["StorageExplorer", "DOWNLOAD_BYTES", "SKIP_CHOICES"]

#: The explorer's stylesheet, shipped as package data (``explorer.css``).
STYLE = (
    "<style>\n"
    + resources.files("genro_storage.widgets").joinpath("explorer.css").read_text("utf-8")
    + "</style>"
)
#: The runner slot of "Compute MD5": a second click replaces the first.
MD5_SLOT = "md5"


class StorageExplorer(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """An ipywidgets file explorer over an :class:`AsyncStorageManager`.

    Display it as the last expression of a cell (it is a ``VBox``). Two panes browse
    any mounts; the action bar works on the *active* pane (the one last clicked),
    copying or moving its selection into the other pane's folder.

    For notebook code and tests: ``selected`` (nodes selected in the active pane),
    the panes ``left``/``right`` and their widgets, ``listing`` (the active pane's
    ``FileGrid``), ``preview_area``, ``preview_html``, ``preview_image``,
    ``preview_note``, ``facts``, ``jobs`` (a :class:`JobList`), ``status`` (an ``HTML``
    widget; ``messages`` holds ``(level, text)`` pairs), and coroutine methods that wait
    for their work: ``refresh()``, ``open_mount()``, ``navigate()``, ``load_more()``,
    ``preview()``, ``open_version()``, ``md5()``, ``copy_selected()``, ``mkdir()``,
    ``rename()``, ``upload_files()``, ``download()``, ``wait_idle()``. They return True
    when the work completed, False when it failed (the error is in the status area) or
    was replaced by newer work. ``close()`` cancels every task.
    """

    def __init__(
        self,
        storage: AsyncStorageManager,
        *,
        page_size: int = 200,
        preview_bytes: int = PREVIEW_BYTES,
    ) -> None:
        if not isinstance(storage, AsyncStorageManager):
            raise TypeError(
                f"StorageExplorer needs an AsyncStorageManager, not {type(storage).__name__}"
            )
        if not isinstance(page_size, int) or page_size < 1:
            raise StorageConfigError(f"page_size must be an integer >= 1, not {page_size!r}")
        mounts = storage.mounts
        if not mounts:
            raise StorageConfigError("StorageExplorer needs a manager with at least one mount")
        #: The manager browsed.
        self.storage = storage
        #: Entries fetched per listing page.
        self.page_size = page_size
        #: Bytes read from the start of a file to preview it.
        self.preview_bytes = preview_bytes
        #: Starts, tracks and cancels every task of this explorer.
        self.runner = TaskRunner(self._task_failed)
        self._active = "left"
        #: Answers the grids (menu, rename, drops, streamed uploads, "Use in code").
        self.grid_actions = GridActions(self)

        #: The left pane (a ``BrowserPane``), on the first mount.
        self.left = self._new_pane("left", mounts[0])
        #: The right pane, on the second mount (the first when there is only one).
        self.right = self._new_pane("right", mounts[1] if len(mounts) > 1 else mounts[0])
        #: The action bar (an ``ActionBar``: its buttons, the confirmation, the download).
        self.actions = ActionBar()
        #: The preview panel (a ``PreviewPanel``).
        self.preview_area = PreviewPanel()
        #: The facts panel (a ``FactsPanel``).
        self.facts = FactsPanel()
        #: The copy/move jobs (a ``JobList``).
        self.jobs = JobList()
        self.jobs.add_class("gs-box")
        self.left.jobs = self.right.jobs = self.jobs  # whole-folder listings show there
        #: The status area (a ``StatusPanel``).
        self.status_panel = StatusPanel()
        #: The async actions (an ``ExplorerController``; it owns no widget).
        self.controller = ExplorerController(
            self.runner, self.report, (self.left, self.right), self.preview_area, self.facts,
            self.actions, preview_bytes=preview_bytes,
            download_bytes=DOWNLOAD_BYTES,  # read now: a test may lower the module's cap
        )  # fmt: skip

        # The parts' widgets, under the names the explorer always had.
        bar, preview, facts = self.actions, self.preview_area, self.facts
        self.copy_button = bar.copy_button  #: Copy the selection into the other pane.
        self.move_button = bar.move_button  #: Move the selection into the other pane.
        self.skip_picker = bar.skip_picker  #: The ``skip_if`` strategy of copy/move.
        self.name_input = bar.name_input  #: The name box of New folder and Rename.
        self.mkdir_button = bar.mkdir_button  #: New folder.
        self.rename_button = bar.rename_button  #: Rename the one selected entry.
        self.delete_button = bar.delete_button  #: Delete… (asks for confirmation).
        self.upload = bar.upload  #: A ``FileUpload`` into the active folder.
        self.download_button = bar.download_button  #: Prepare a download link.
        self.target_label = bar.target_label  #: Says where actions work and copy to.
        self.confirm_label = bar.confirm_label  #: The delete confirmation's question.
        self.confirm_button = bar.confirm_button  #: "Yes, delete".
        self.cancel_delete_button = bar.cancel_delete_button  #: Drop the deletion.
        self.confirm_box = bar.confirm_box  #: The confirmation (hidden until asked).
        self.download_area = bar.download_area  #: Where the download link appears.
        self.preview_title = preview.preview_title  #: The previewed path.
        self.preview_note = preview.preview_note  #: What the preview shows.
        self.preview_html = preview.preview_html  #: The preview (escaped HTML).
        self.preview_image = preview.preview_image  #: The preview of a raster image.
        self.facts_html = facts.facts_html  #: The facts table.
        self.md5_button = facts.md5_button  #: Compute MD5.
        self.metadata_html = facts.metadata_html  #: The user metadata.
        self.versions_picker = facts.versions_picker  #: The stored versions.
        self.open_version_button = facts.open_version_button  #: Preview the picked one.
        self.versions_box = facts.versions_box  #: Picker and button (where versions are).
        self.status = self.status_panel.status  #: The status messages (``HTML``).
        self.clear_status_button = self.status_panel.clear_button  #: Clear the messages.
        self._bind_buttons()

        header = ipw.HBox(
            [ipw.HTML('<span class="gs-title">genro-storage explorer</span>'),
             ipw.HTML(self._mounts_line())],
            layout=ipw.Layout(align_items="center"),
        )  # fmt: skip
        super().__init__(
            [
                ipw.HTML(STYLE),
                header,
                ipw.HBox([self.left, self.right], layout=ipw.Layout(width="100%")),
                self.actions,
                ipw.HBox([self.preview_area, self.facts], layout=ipw.Layout(width="100%")),
                self.jobs,
                self.status_panel,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class("gs-explorer")
        self._update_actions()
        if self.runner.loop() is not None:  # a kernel (or test) loop runs: list now
            self.left.go(f"{self.left.folder.mount}:")
            self.right.go(f"{self.right.folder.mount}:")
            self._focus("left")

    def _new_pane(self, side: str, mount: str) -> BrowserPane:
        return BrowserPane(
            self.storage, self.runner, side, mount, self.page_size, self._pane_event,
            lambda pane, kind, content: self.grid_actions.handle(pane, kind, content),
        )  # fmt: skip

    def _bind_buttons(self) -> None:
        """Wire each button to one action; what a click means is read at click time."""
        runner, bar, control, guard = self.runner, self.actions, self.controller, self.runner.guard
        bar.copy_button.on_click(guard(lambda _b: self.start_transfer(move=False)))
        bar.move_button.on_click(guard(lambda _b: self.start_transfer(move=True)))
        bar.delete_button.on_click(guard(lambda _b: self.ask_delete()))
        bar.confirm_button.on_click(guard(lambda _b: self.confirm_delete()))
        bar.cancel_delete_button.on_click(guard(lambda _b: self.cancel_delete()))
        bar.upload.observe(guard(self._upload_picked), names="value")
        runner.bind(
            bar.mkdir_button,
            lambda: control.create_folder(self.active.folder, bar.new_name()),
            "create folder",
        )
        runner.bind(
            bar.rename_button,
            lambda: control.rename(self._single_selected("entry to rename"), bar.new_name()),
            "rename",
        )
        runner.bind(
            bar.download_button,
            lambda: control.download(self._single_selected("file to download")),
            "download",
        )
        runner.bind(
            self.md5_button, lambda: control.compute_md5(self._previewed()), "compute MD5", MD5_SLOT
        )
        runner.bind(
            self.open_version_button,
            lambda: control.open_version(self._previewed(), self._picked_version()),
            "open version",
            PREVIEW_SLOT,
        )

    # -- what a click means ------------------------------------------------------------
    def _single_selected(self, what: str) -> AsyncStorageNode:
        nodes = self.active.selected
        if len(nodes) != 1:
            raise StorageError(f"select exactly one {what}")
        return nodes[0]

    def _previewed(self) -> AsyncStorageNode:
        if self.previewed is None:
            raise StorageError("select a file first")
        return self.previewed

    def _picked_version(self) -> str:
        version = self.facts.selected_version
        if version is None:
            raise StorageError("select a version first")
        return version

    def _upload_picked(self, change: dict[str, Any]) -> None:
        files = self.actions.picked_files(change)
        if files:
            self.runner.spawn(self.controller.upload(self.active.folder, files), "upload")

    # -- state ---------------------------------------------------------------------------
    @property
    def active(self) -> BrowserPane:
        """The pane the action bar works on (the one last used)."""
        return self.left if self._active == "left" else self.right

    @property
    def other(self) -> BrowserPane:
        """The pane copies and moves go to."""
        return self.right if self._active == "left" else self.left

    @property
    def listing(self) -> FileGrid:
        """The active pane's file grid."""
        return self.active.listing

    @property
    def selected(self) -> list[AsyncStorageNode]:
        """The nodes selected in the active pane (multi-select)."""
        return self.active.selected

    @property
    def previewed(self) -> AsyncStorageNode | None:
        """The node whose facts are shown (a file or a folder), if any."""
        return self.controller.previewed

    @property
    def last_preview(self) -> Preview | None:
        """The ``Preview`` shown last (``None`` after a failed preview)."""
        return self.controller.last_preview

    @property
    def pending_delete(self) -> list[tuple[AsyncStorageNode, FileInfo]]:
        """What the delete confirmation asks about (empty when none is shown)."""
        return self.controller.pending_delete

    @property
    def versions_list(self) -> list[VersionInfo]:
        """The ``VersionInfo`` of the previewed file listed in the versions picker."""
        return self.facts.versions

    @property
    def facts_rows(self) -> dict[str, str]:
        """The facts shown, as a dict (``'size'``, ``'mtime'``, ``'md5'``...)."""
        return dict(self.facts.rows)

    def pane(self, side: str) -> BrowserPane:
        """The pane on ``side``: ``'left'`` or ``'right'``."""
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', not {side!r}")
        return self.left if side == "left" else self.right

    def _mounts_line(self) -> str:
        described = self.storage.describe()
        parts = [f"{esc(name)} ({esc(kind)})" for name, kind in described.items()]
        return f'<span class="gs-muted">mounts: {", ".join(parts)}</span>'

    async def wait_idle(self) -> None:
        """Wait until every task the explorer started (and those they started) is done."""
        await self.runner.wait_idle()

    def close(self) -> None:
        """Cancel every task and close the widget and all the widgets inside it."""
        self.runner.cancel_all()
        seen: set[int] = set()
        pending: list[Any] = [
            *self.children, *(j.widget for j in self.jobs.items), self.preview_image,
        ]  # fmt: skip
        while pending:
            widget = pending.pop()
            if id(widget) in seen:
                continue
            seen.add(id(widget))
            pending.extend(getattr(widget, "children", ()))
            widget.close()
        super().close()

    # -- status --------------------------------------------------------------------------
    @property
    def messages(self) -> list[tuple[str, str]]:
        """Every status message kept, as ``(level, text)``, oldest first."""
        return self.status_panel.messages

    def report(self, level: str, text: str) -> None:
        """Add a message to the status area (``level``: ``'info'`` or ``'error'``);
        secrets are redacted and invisible characters of names escaped (``message``)."""
        self.status_panel.report(level, text)

    @property
    def errors(self) -> list[str]:
        """The error messages shown so far."""
        return self.status_panel.errors

    def clear_status(self) -> None:
        """Clear the status area."""
        self.status_panel.clear()

    def _task_failed(self, label: str, exc: BaseException) -> None:
        self.report("error", f"{label} failed: {describe(exc)}" if label else describe(exc))

    # -- panes ---------------------------------------------------------------------------
    def _focus(self, side: str) -> None:
        if side != self._active:
            self._active = side
            self.cancel_delete()
        self.active.add_class("gs-active")
        self.other.remove_class("gs-active")
        self._update_actions()

    def _update_actions(self) -> None:
        self.actions.update(self.active, self.other, target_is_right=self.active is self.left)
        for pane, other in ((self.left, self.right), (self.right, self.left)):
            pane.grid.menu = self.grid_actions.menu(pane, other)

    def _pane_event(self, pane: BrowserPane, event: str) -> None:
        if event == "focus":
            self._focus(pane.side)
            self.cancel_delete()
        elif event == "selection":
            self._focus(pane.side)
            self.cancel_delete()
            self.actions.clear_download()
            self.controller.show_selection(pane.selection_folder, pane.selected_entries)
        elif event == "navigated" and pane is self.active:
            self.actions.clear_download()
            # a new folder: nothing selected, so no preview
            self.controller.show_selection(pane.folder, pane.selected_entries)
            self._update_actions()
        else:
            self._update_actions()

    def _resolve(self, name: str) -> AsyncStorageNode:
        """``'mount:path'``, else a name or relative path in the active pane's folder."""
        if ":" in name:
            mount, path = split_spec(name)
            if self.storage.has_mount(mount):
                return self.storage.node(mount, path)
        node: AsyncStorageNode = self.active.folder.child(name)
        return node

    async def refresh(self) -> bool:
        """List (again) the folder of both panes and wait."""
        results = await asyncio.gather(self.left.refresh(), self.right.refresh())
        return all(results)

    async def open_mount(self, name: str, side: str | None = None) -> bool:
        """Show the root of mount ``name`` in the active pane (or ``side``)."""
        target = self.pane(side) if side else self.active
        self._focus(target.side)
        return await target.open_mount(name)

    async def navigate(self, path: str, side: str | None = None) -> bool:
        """Show a folder in the active pane (or ``side``): ``'mount:path'``, or a path
        from the root of the pane's mount. A newer navigation cancels this one."""
        target = self.pane(side) if side else self.active
        self._focus(target.side)
        return await target.navigate(path)

    async def load_more(self, side: str | None = None) -> bool:
        """Load the next page of the active pane's folder (the More button)."""
        target = self.pane(side) if side else self.active
        return await target.load_more()

    # -- the actions, for code and tests (the buttons run the same controller actions) ---
    async def preview(self, name: str) -> bool:
        """Preview a file (a name in the active pane's folder, or ``'mount:path'``)."""
        node = self._resolve(name)
        coro = self.controller.preview(node)
        return await self.runner.run(coro, f"preview {node.fullpath}", PREVIEW_SLOT)

    async def md5(self) -> bool:
        """Compute the MD5 of the previewed file (the "Compute MD5" button)."""
        node = self.previewed
        if node is None:
            return False
        return await self.runner.run(self.controller.compute_md5(node), "compute MD5", MD5_SLOT)

    async def open_version(self, version_id: str) -> bool:
        """Show one stored version of the previewed file in the preview pane."""
        node = self.previewed
        if node is None:
            return False
        coro = self.controller.open_version(node, version_id)
        return await self.runner.run(coro, "open version", PREVIEW_SLOT)

    def start_transfer(
        self,
        move: bool = False,
        source: BrowserPane | None = None,
        target: BrowserPane | None = None,
    ) -> list[Job]:
        """Copy (or move) the selection of the active pane (or ``source``) into the
        other pane's (or ``target``'s) folder: one job (and one task) per selected entry.
        Returns the jobs."""
        source = source or self.active
        target = target or (self.right if source is self.left else self.left)
        entries = source.selected_entries
        if not entries:
            raise StorageError(f"select something in the {source.side} pane first")
        skip_if = self.actions.skip_if
        verb = "move" if move else "copy"
        jobs = []
        for src, entry in zip(source.selected, entries, strict=True):  # results: own folders
            dst: AsyncStorageNode = target.folder.child_named(entry.name)
            unit = "files" if entry.isdir else "bytes"
            job = self.jobs.add(Job(f"{verb} {src.fullpath} → {dst.fullpath}", unit, entry.size))
            work = self.controller.transfer(job, src, dst, move, skip_if)
            job.start(self.runner.spawn(work, job.title))
            jobs.append(job)
        return jobs

    def use_in_code(self) -> str:
        """Show code reaching the selection (and copy it to the browser's clipboard)."""
        return self.grid_actions.use_in_code()

    async def copy_selected(self, move: bool = False) -> list[Job]:
        """``start_transfer`` and wait for its jobs (returns them, whatever their end)."""
        jobs = self.start_transfer(move)
        tasks = [j.task for j in jobs if j.task is not None]
        if tasks:
            await asyncio.wait(tasks)
            await asyncio.sleep(0)
        return jobs

    def ask_delete(self) -> None:
        """Show the confirmation step for deleting the active pane's selection."""
        check_ready(self.active)  # not a part of a range still being read
        self.controller.ask_delete(self.active.folder, self.active.selected_entries)

    def cancel_delete(self) -> None:
        """Drop the pending deletion."""
        self.controller.cancel_delete()

    def confirm_delete(self) -> asyncio.Task[Any] | None:
        """Delete exactly what the confirmation showed (starts a task, returned)."""
        items = self.controller.take_pending_delete()
        return self.runner.spawn(self.controller.delete(items), "delete")

    async def mkdir(self, name: str) -> bool:
        """Create folder ``name`` in the active pane's folder."""
        self.name_input.value = name
        coro = self.controller.create_folder(self.active.folder, self.actions.new_name())
        return await self.runner.run(coro, "create folder")

    async def rename(self, old: str, new: str) -> bool:
        """Rename ``old`` (a name in the active pane's folder) to ``new``."""
        self.name_input.value = new
        src: AsyncStorageNode = self.active.folder.child_named(old)
        coro = self.controller.rename(src, self.actions.new_name())
        return await self.runner.run(coro, "rename")

    async def upload_files(self, files: dict[str, bytes]) -> bool:
        """Write ``{name: bytes}`` into the active pane's folder (what Upload does)."""
        return await self.runner.run(self.controller.upload(self.active.folder, files), "upload")

    async def download(self, name: str) -> bool:
        """Prepare the download link of one file (the Download button)."""
        node = self._resolve(name)
        return await self.runner.run(self.controller.download(node), "download")
