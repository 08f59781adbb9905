"""``StorageExplorer``: browse, preview, copy and move across mounts in a notebook.

The explorer sits on the async API only. Each button or selection schedules a task on
the kernel's running loop (see ``_tasks.TaskRunner``); nothing here blocks the kernel
or re-enters its loop. Construction does no I/O: the first listing of each pane is a
task started when a loop is running (``await explorer.refresh()`` works too).
"""

from __future__ import annotations

import asyncio
import base64
import functools
import time
from collections.abc import Callable, Coroutine
from typing import Any

import ipywidgets as ipw

from .._shared.exceptions import StorageConfigError, StorageError, StorageExistsError
from .._shared.info import FileInfo, VersionInfo
from .._shared.paths import basename, split_spec
from ..async_.manager import AsyncStorageManager
from ..async_.node import AsyncStorageNode
from ._format import esc, human_size, human_time, message, plural, show
from ._tasks import TaskRunner
from .jobs import Job, JobList
from .pane import BrowserPane
from .preview import PREVIEW_BYTES, Preview, load_preview, render

__all__ = ["StorageExplorer", "DOWNLOAD_BYTES", "SKIP_CHOICES"]

#: Largest file offered as an in-page download (a base64 ``data:`` link).
DOWNLOAD_BYTES = 8 * 1024 * 1024
#: The skip strategies of copy/move, as (label, value).
SKIP_CHOICES = (
    ("overwrite", "none"),
    ("skip if it exists", "exists"),
    ("skip if same size", "size"),
    ("skip if same MD5", "hash"),
)
#: Messages kept in the status area (the newest are shown).
STATUS_KEEP = 200
STATUS_SHOWN = 6

STYLE = """<style>
.gs-explorer { font-size: 13px; }
.gs-explorer .gs-title { font-weight: 600; font-size: 14px; margin-right: 12px; }
.gs-explorer .gs-muted { color: var(--jp-ui-font-color2, #666); }
.gs-explorer .gs-pane { border: 1px solid var(--jp-border-color1, #ccc); border-radius: 4px;
  margin: 2px; }
.gs-explorer .gs-pane.gs-active { border-color: #1976d2; box-shadow: inset 0 0 0 1px #1976d2; }
.gs-explorer .gs-listing select, .gs-explorer .gs-head { font-family: var(--jp-code-font-family,
  monospace); font-size: 12px; }
.gs-explorer .gs-listing select { height: 250px; width: 100%; min-width: 0; }
.gs-explorer .gs-pane > * { min-width: 0; }
.gs-explorer .gs-head { color: var(--jp-ui-font-color2, #666); padding: 0 0 0 6px;
  white-space: nowrap; overflow: hidden; }
.gs-explorer .gs-crumbs button { font-family: var(--jp-code-font-family, monospace); }
.gs-explorer .gs-sep { color: var(--jp-ui-font-color2, #888); padding: 0 2px; }
.gs-explorer .gs-badge { font-size: 11px; padding: 1px 6px; border-radius: 8px;
  background: #e3f2e6; color: #1b5e20; margin-left: 8px; }
.gs-explorer .gs-badge.gs-ro { background: #fdecea; color: #8a1c1c; }
.gs-explorer .gs-pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0;
  font-family: var(--jp-code-font-family, monospace); font-size: 12px; line-height: 1.35;
  max-height: 340px; overflow: auto; padding: 6px;
  background: var(--jp-layout-color2, #f5f5f5); border-radius: 3px; }
.gs-explorer .gs-tablewrap { max-height: 340px; overflow: auto; }
.gs-explorer .gs-table { border-collapse: collapse; font-size: 12px; }
.gs-explorer .gs-table th, .gs-explorer .gs-table td { border: 1px solid
  var(--jp-border-color2, #ddd); padding: 2px 6px; text-align: left; vertical-align: top; }
.gs-explorer .gs-table th { background: var(--jp-layout-color2, #f0f0f0); }
.gs-explorer .gs-facts td { padding: 1px 8px 1px 0; vertical-align: top;
  overflow-wrap: anywhere; }
.gs-explorer .gs-facts td:first-child { color: var(--jp-ui-font-color2, #666);
  white-space: nowrap; }
.gs-explorer .gs-box, .gs-explorer .gs-pane { box-sizing: border-box; }
.gs-explorer .gs-box { border: 1px solid var(--jp-border-color2, #ddd); border-radius: 4px;
  padding: 6px; margin: 2px; }
.gs-explorer .gs-msg { font-size: 12px; overflow-wrap: anywhere; }
.gs-explorer .gs-msg.gs-error { color: #b00020; }
.gs-explorer .gs-msg.gs-info { color: var(--jp-ui-font-color1, #333); }
.gs-explorer .gs-confirm { background: #fff4e5; border: 1px solid #f0a030; border-radius: 4px;
  padding: 4px 8px; }
.gs-explorer .gs-job { border-bottom: 1px dotted var(--jp-border-color2, #ddd); }
</style>"""


def _describe(exc: BaseException) -> str:
    """An error for display: its class and message, secrets redacted, names escaped."""
    text = str(exc).strip()
    name = type(exc).__name__
    return message(f"{name}: {text}" if text else name)


async def read_capped(node: AsyncStorageNode, limit: int) -> bytes | None:
    """The content of ``node`` if it is at most ``limit`` bytes, else ``None``; never
    more than ``limit`` + 1 bytes are read, whatever size the store announced."""
    async with node.open("rb") as f:
        parts: list[bytes] = []
        have = 0
        while have <= limit:
            chunk = await f.read(limit + 1 - have)
            if not chunk:
                return b"".join(parts)
            parts.append(chunk)
            have += len(chunk)
    return None


def _show(widget: ipw.Widget, visible: bool) -> None:
    widget.layout.display = "" if visible else "none"


class StorageExplorer(ipw.VBox):
    """An ipywidgets file explorer over an :class:`AsyncStorageManager`.

    Display it as the last expression of a cell (it is a ``VBox``). Two panes browse
    any mounts; the action bar works on the *active* pane (the one last clicked),
    copying or moving its selection into the other pane's folder.

    For notebook code and tests: ``selected`` (nodes selected in the active pane),
    the panes ``left``/``right`` and their widgets, ``listing`` (the active pane's
    ``SelectMultiple``), ``preview_area``, ``preview_html``, ``preview_image``,
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
        self.storage = storage
        self.page_size = page_size
        self.preview_bytes = preview_bytes
        self.messages: list[tuple[str, str]] = []
        self.runner = TaskRunner(self._task_failed)
        self.last_preview: Preview | None = None
        self.previewed: AsyncStorageNode | None = None
        self.pending_delete: list[tuple[AsyncStorageNode, FileInfo]] = []
        self.versions_list: list[VersionInfo] = []
        self._facts_rows: list[tuple[str, str]] = []
        self._active = "left"
        self._clearing_upload = False
        guard = self._guard

        def pane(side: str, mount: str) -> BrowserPane:
            events = self._pane_event
            return BrowserPane(storage, self.runner, side, mount, page_size, events, guard)

        self.left = pane("left", mounts[0])
        self.right = pane("right", mounts[1] if len(mounts) > 1 else mounts[0])

        # -- action bar ---------------------------------------------------------------
        self.copy_button = ipw.Button(description="Copy ▶", icon="copy", button_style="primary")
        self.move_button = ipw.Button(description="Move ▶", icon="share")
        self.skip_picker = ipw.Dropdown(
            options=SKIP_CHOICES, value="none", description="if target exists",
            style={"description_width": "initial"}, layout=ipw.Layout(width="250px"),
        )  # fmt: skip
        self.name_input = ipw.Text(placeholder="new name", layout=ipw.Layout(width="170px"))
        self.mkdir_button = ipw.Button(description="New folder", icon="folder")
        self.rename_button = ipw.Button(description="Rename", icon="i-cursor")
        self.delete_button = ipw.Button(description="Delete…", icon="trash", button_style="danger")
        self.upload = ipw.FileUpload(multiple=True, description="Upload")
        self.download_button = ipw.Button(description="Download", icon="download")
        for button in (
            self.copy_button,
            self.move_button,
            self.mkdir_button,
            self.rename_button,
            self.delete_button,
            self.download_button,
        ):
            button.layout = ipw.Layout(width="auto")  # fmt: skip
        self.upload.layout = ipw.Layout(width="auto")
        self.copy_button.on_click(guard(lambda _b: self.start_transfer(move=False)))
        self.move_button.on_click(guard(lambda _b: self.start_transfer(move=True)))
        self.mkdir_button.on_click(guard(lambda _b: self._spawn_mkdir()))
        self.rename_button.on_click(guard(lambda _b: self._spawn_rename()))
        self.delete_button.on_click(guard(lambda _b: self.ask_delete()))
        self.download_button.on_click(guard(lambda _b: self._spawn_download()))
        self.upload.observe(guard(self._upload_changed), names="value")
        self.target_label = ipw.HTML(layout=ipw.Layout(width="100%"))
        self.actions = ipw.HBox(
            [
                self.copy_button, self.move_button, self.skip_picker,
                ipw.HTML('<span class="gs-sep">│</span>'),
                self.name_input, self.mkdir_button, self.rename_button, self.delete_button,
                self.upload, self.download_button,
            ],
            layout=ipw.Layout(flex_flow="row wrap", align_items="center", width="100%"),
        )  # fmt: skip

        # -- delete confirmation, download link -----------------------------------
        self.confirm_label = ipw.HTML()
        self.confirm_button = ipw.Button(
            description="Yes, delete", icon="trash", button_style="danger"
        )
        self.cancel_delete_button = ipw.Button(description="Cancel")
        self.confirm_button.on_click(guard(lambda _b: self.confirm_delete()))
        self.cancel_delete_button.on_click(guard(lambda _b: self.cancel_delete()))
        self.confirm_box = ipw.HBox(
            [self.confirm_label, self.confirm_button, self.cancel_delete_button],
            layout=ipw.Layout(display="none", align_items="center", flex_flow="row wrap"),
        )
        self.confirm_box.add_class("gs-confirm")
        self.download_area = ipw.HTML()

        # -- preview and facts ----------------------------------------------------
        self.preview_title = ipw.HTML('<span class="gs-title">Preview</span>')
        self.preview_note = ipw.HTML()
        self.preview_html = ipw.HTML(
            '<span class="gs-muted">Select a file to preview it.</span>',
            layout=ipw.Layout(width="100%"),
        )
        self.preview_image = ipw.Image(
            value=b"",
            format="png",
            layout=ipw.Layout(
                display="none",
                align_self="flex-start",  # natural size: a small image is not blown up
                max_width="100%",
                max_height="340px",
                object_fit="contain",
            ),
        )
        self.preview_area = ipw.VBox(
            [self.preview_title, self.preview_note, self.preview_html, self.preview_image],
            layout=ipw.Layout(flex="3 1 0", min_width="0"),
        )
        self.preview_area.add_class("gs-box")
        self.facts_html = ipw.HTML('<span class="gs-muted">No selection.</span>')
        self.md5_button = ipw.Button(
            description="Compute MD5",
            icon="hashtag",
            layout=ipw.Layout(width="auto", display="none"),
        )
        self.md5_button.on_click(guard(lambda _b: self._spawn_md5()))
        self.metadata_html = ipw.HTML()
        self.versions_picker = ipw.Dropdown(options=[], description="version",
                                          layout=ipw.Layout(width="100%"),
                                          style={"description_width": "56px"})  # fmt: skip
        self.open_version_button = ipw.Button(
            description="Open version", icon="history", layout=ipw.Layout(width="auto")
        )
        self.open_version_button.on_click(guard(lambda _b: self._spawn_open_version()))
        self.versions_box = ipw.VBox(
            [self.versions_picker, self.open_version_button], layout=ipw.Layout(display="none")
        )
        self.facts = ipw.VBox(
            [
                ipw.HTML('<span class="gs-title">Facts</span>'),
                self.facts_html,
                self.md5_button,
                self.metadata_html,
                self.versions_box,
            ],
            layout=ipw.Layout(flex="2 1 0", min_width="0"),
        )
        self.facts.add_class("gs-box")

        # -- jobs and status ------------------------------------------------------
        self.jobs = JobList()
        self.jobs.add_class("gs-box")
        self.status = ipw.HTML()
        self.clear_status_button = ipw.Button(
            description="Clear", icon="eraser", layout=ipw.Layout(width="auto")
        )
        self.clear_status_button.on_click(guard(lambda _b: self.clear_status()))
        status_box = ipw.VBox(
            [ipw.HBox([ipw.HTML('<span class="gs-title">Status</span>'), self.clear_status_button],
                    layout=ipw.Layout(align_items="center")),
             self.status],
        )  # fmt: skip
        status_box.add_class("gs-box")

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
                self.target_label,
                self.actions,
                self.confirm_box,
                self.download_area,
                ipw.HBox([self.preview_area, self.facts], layout=ipw.Layout(width="100%")),
                self.jobs,
                status_box,
            ],
            layout=ipw.Layout(width="100%"),
        )
        self.add_class("gs-explorer")
        self._draw_status()
        self._update_actions()
        if self.runner.loop() is not None:  # a kernel (or test) loop runs: list now
            self.left.go(f"{self.left.folder.mount}:")
            self.right.go(f"{self.right.folder.mount}:")
            self._focus("left")

    # ---------------------------------------------------------------- basics
    @property
    def active(self) -> BrowserPane:
        """The pane the action bar works on (the one last used)."""
        return self.left if self._active == "left" else self.right

    @property
    def other(self) -> BrowserPane:
        """The pane copies and moves go to."""
        return self.right if self._active == "left" else self.left

    @property
    def listing(self) -> ipw.SelectMultiple:
        """The active pane's listing widget."""
        return self.active.listing

    @property
    def selected(self) -> list[AsyncStorageNode]:
        """The nodes selected in the active pane (multi-select)."""
        return self.active.selected

    def pane(self, side: str) -> BrowserPane:
        """``'left'`` or ``'right'``."""
        if side not in ("left", "right"):
            raise ValueError(f"side must be 'left' or 'right', not {side!r}")
        return self.left if side == "left" else self.right

    def _mounts_line(self) -> str:
        described = self.storage.describe()
        parts = [f"{esc(name)} ({esc(kind)})" for name, kind in described.items()]
        return f'<span class="gs-muted">mounts: {", ".join(parts)}</span>'

    def _guard(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a widget callback so that its exception reaches the status area."""

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - shown to the user, not swallowed
                self.report("error", _describe(exc))
                return None

        return wrapper

    def _spawn(self, coro: Coroutine[Any, Any, Any], label: str, slot: str | None = None) -> Any:
        return self.runner.spawn(coro, label, slot)

    async def wait_idle(self) -> None:
        """Wait until every task the explorer started (and those they started) is done."""
        await self.runner.wait_idle()

    def close(self) -> None:
        """Cancel every task and close the widget and all the widgets inside it."""
        self.runner.cancel_all()
        seen: set[int] = set()
        pending: list[ipw.Widget] = [
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

    # ---------------------------------------------------------------- status
    def report(self, level: str, text: str) -> None:
        """Add a message to the status area (``level``: ``'info'`` or ``'error'``);
        secrets are redacted and invisible characters of names escaped (``message``)."""
        self.messages.append((level, message(text)))
        del self.messages[:-STATUS_KEEP]
        self._draw_status()

    @property
    def errors(self) -> list[str]:
        """The error messages shown so far."""
        return [text for level, text in self.messages if level == "error"]

    def clear_status(self) -> None:
        self.messages.clear()
        self._draw_status()

    def _task_failed(self, label: str, exc: BaseException) -> None:
        self.report("error", f"{label} failed: {_describe(exc)}")

    def _draw_status(self) -> None:
        if not self.messages:
            self.status.value = '<span class="gs-muted">Ready.</span>'
            return
        stamp = time.strftime("%H:%M:%S")
        rows = [
            f'<div class="gs-msg gs-{esc(level)}">{"⚠ " if level == "error" else ""}'
            f"{esc(text)}</div>"
            for level, text in reversed(self.messages[-STATUS_SHOWN:])
        ]
        more = len(self.messages) - STATUS_SHOWN
        tail = f'<div class="gs-muted">… {more:,} older</div>' if more > 0 else ""
        self.status.value = f'<div title="{stamp}">{"".join(rows)}{tail}</div>'

    # ---------------------------------------------------------------- panes
    def _focus(self, side: str) -> None:
        if side != self._active:
            self._active = side
            self.cancel_delete()
        self.active.add_class("gs-active")
        self.other.remove_class("gs-active")
        self._update_actions()

    def _pane_event(self, pane: BrowserPane, event: str) -> None:
        if event == "focus":
            self._focus(pane.side)
            self.cancel_delete()
        elif event == "selection":
            self._focus(pane.side)
            self.cancel_delete()
            self.download_area.value = ""
            self._selection_changed(pane)
        elif event == "navigated" and pane is self.active:
            self.download_area.value = ""
            self._selection_changed(pane)  # a new folder: nothing selected, no preview
            self._update_actions()
        else:
            self._update_actions()

    def _selection_changed(self, pane: BrowserPane) -> None:
        entries = pane.selected_entries
        if len(entries) == 1:
            node = pane.folder.child_from(entries[0])
            if entries[0].isdir:
                self.runner.cancel("preview")
                self._show_folder(node, entries[0])
            else:
                self._spawn(self._preview(node), f"preview {node.fullpath}", slot="preview")
            return
        self.runner.cancel("preview")
        self.previewed = None
        self.preview_title.value = '<span class="gs-title">Preview</span>'
        self._set_preview_html('<span class="gs-muted">Select one file to preview it.</span>')
        files = [e for e in entries if e.isfile]
        folders = len(entries) - len(files)
        if not entries:
            self._set_facts([], '<span class="gs-muted">No selection.</span>')
            return
        total = sum(e.size or 0 for e in files)
        rows = [("selected", plural(len(entries), "item")),
                ("files", f"{len(files):,} ({human_size(total)})"),
                ("folders", f"{folders:,}")]  # fmt: skip
        self._set_facts(rows)

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

    def _resolve(self, name: str) -> AsyncStorageNode:
        """``'mount:path'``, else a name or relative path in the active pane's folder."""
        if ":" in name:
            mount, path = split_spec(name)
            if self.storage.has_mount(mount):
                return self.storage.node(mount, path)
        return self.active.folder.child(name)

    def _reload_showing(self, *folders: AsyncStorageNode) -> None:
        """Re-list the panes that show one of ``folders`` (and are not busy)."""
        wanted = {f.fullpath for f in folders}
        for pane in (self.left, self.right):
            if pane.folder.fullpath in wanted and pane.listing_task is None:
                pane.reload()

    # ---------------------------------------------------------------- preview
    async def preview(self, name: str) -> bool:
        """Preview a file (a name in the active pane's folder, or ``'mount:path'``)."""
        node = self._resolve(name)
        return await self.runner.run(self._preview(node), f"preview {node.fullpath}", "preview")

    def _set_preview_html(self, html: str, note: str = "") -> None:
        self.preview_note.value = f'<span class="gs-muted">{esc(note)}</span>' if note else ""
        self.preview_html.value = html
        _show(self.preview_html, True)
        _show(self.preview_image, False)

    def _show_loading(self, node: AsyncStorageNode) -> None:
        title = esc(show(node.fullpath))
        self.preview_title.value = f'<span class="gs-title">Preview · {title}</span>'
        self._set_preview_html('<span class="gs-muted">loading…</span>')

    def _show_preview(self, node: AsyncStorageNode, preview: Preview, label: str = "") -> None:
        self.last_preview = preview
        title = esc(show(node.fullpath)) + (f" · {esc(label)}" if label else "")
        self.preview_title.value = f'<span class="gs-title">Preview · {title}</span>'
        if preview.kind == "image" and preview.image is not None:
            self.preview_note.value = f'<span class="gs-muted">{esc(preview.note)}</span>'
            self.preview_image.format = preview.image_format or "png"
            self.preview_image.value = preview.image
            _show(self.preview_image, True)
            _show(self.preview_html, False)
            self.preview_html.value = ""
            return
        html = preview.html
        if preview.kind == "csv":
            html = f'<div class="gs-tablewrap">{html}</div>'
        self._set_preview_html(html, preview.note)

    def _show_folder(self, node: AsyncStorageNode, info: FileInfo) -> None:
        self.previewed = node
        title = esc(show(node.fullpath))
        self.preview_title.value = f'<span class="gs-title">Preview · {title}</span>'
        self._set_preview_html(
            '<span class="gs-muted">A folder: press <b>Open</b> (below the listing) to browse '
            "it, or copy/move it as a whole.</span>"
        )
        self._facts_for(node, info)

    async def _preview(self, node: AsyncStorageNode) -> None:
        self.previewed = node
        self._show_loading(node)
        self._set_facts([("path", node.fullpath)], '<span class="gs-muted">loading…</span>')
        try:
            info = await node.info()
            if info.isdir:
                self._show_folder(node, info)
                return
            self._facts_for(node, info)
            preview = await load_preview(node, info, self.preview_bytes)
            self._show_preview(node, preview)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self.last_preview = None
            self._set_preview_html(
                f'<div class="gs-msg gs-error">⚠ {esc(_describe(exc))}</div>', "preview failed"
            )
            raise
        await self._load_extras(node)

    # ---------------------------------------------------------------- facts
    def _set_facts(self, rows: list[tuple[str, str]], extra_html: str = "") -> None:
        self._facts_rows = list(rows)
        body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(show(v))}</td></tr>" for k, v in rows if v)
        table = f'<table class="gs-facts">{body}</table>' if rows else ""
        self.facts_html.value = table + extra_html
        if not rows or self.previewed is None:
            _show(self.md5_button, False)
            _show(self.versions_box, False)
            self.metadata_html.value = ""

    @property
    def facts_rows(self) -> dict[str, str]:
        """The facts shown, as a dict (``'size'``, ``'mtime'``, ``'md5'``...)."""
        return dict(self._facts_rows)

    def _facts_for(self, node: AsyncStorageNode, info: FileInfo) -> None:
        rows = [("path", node.fullpath), ("type", info.type)]
        if info.isfile:
            size = f"{human_size(info.size)} ({info.size:,} bytes)" if info.size is not None else ""
            rows += [("size", size), ("mimetype", info.content_type or node.mimetype)]
        rows.append(("mtime", human_time(info.mtime)))
        if info.etag:
            rows.append(("etag", info.etag))
        if info.version_id:
            rows.append(("version", info.version_id))
        if info.md5:
            rows.append(("md5", info.md5))
        self.previewed = node
        self._set_facts(rows)
        _show(self.md5_button, info.isfile and not info.md5)
        self.md5_button.disabled = False
        caps = node.capabilities
        self.metadata_html.value = (
            '<span class="gs-muted">metadata: loading…</span>' if caps.metadata and info.isfile
            else ""
        )  # fmt: skip
        self.versions_list = []
        self.versions_picker.options = []
        _show(self.versions_box, False)

    async def _load_extras(self, node: AsyncStorageNode) -> None:
        """Metadata and versions, where the mount has them; failures are reported but do
        not undo the preview."""
        caps = node.capabilities
        if caps.metadata:
            try:
                metadata = await node.get_metadata()
            except StorageError as exc:
                text = esc(message(exc))
                self.metadata_html.value = f'<span class="gs-msg gs-error">⚠ {text}</span>'
                self.report("error", f"metadata of {node.fullpath}: {_describe(exc)}")
            else:
                rows = "".join(
                    f"<tr><td>{esc(show(k))}</td><td>{esc(show(v))}</td></tr>"
                    for k, v in sorted(metadata.items())
                )
                self.metadata_html.value = (
                    f'<b>metadata</b><table class="gs-facts">{rows}</table>' if rows
                    else '<span class="gs-muted">no metadata</span>'
                )  # fmt: skip
        if caps.versions:
            try:
                versions = await node.versions()
            except StorageError as exc:
                self.report("error", f"versions of {node.fullpath}: {_describe(exc)}")
                return
            self.versions_list = versions
            self.versions_picker.options = [
                (
                    f"{v.version_id[:16]} · {human_size(v.size)} · {human_time(v.mtime)}"
                    + (" · latest" if v.is_latest else ""),
                    v.version_id,
                )
                for v in versions
            ]
            _show(self.versions_box, bool(versions))

    def _spawn_md5(self) -> Any:
        node = self.previewed
        if node is None:
            raise StorageError("select a file first")
        self.md5_button.disabled = True
        return self._spawn(self._md5(node), f"md5 of {node.fullpath}", slot="md5")

    async def md5(self) -> bool:
        """Compute the MD5 of the previewed file (the "Compute MD5" button)."""
        node = self.previewed
        if node is None:
            return False
        return await self.runner.run(self._md5(node), f"md5 of {node.fullpath}", "md5")

    async def _md5(self, node: AsyncStorageNode) -> None:
        try:
            digest = await node.md5hash()
        finally:
            self.md5_button.disabled = False
        if self.previewed == node:
            rows = [r for r in self._facts_rows if r[0] != "md5"] + [("md5", digest)]
            self._set_facts(rows)
            _show(self.md5_button, False)

    def _spawn_open_version(self) -> Any:
        node, version = self.previewed, self.versions_picker.value
        if node is None or version is None:
            raise StorageError("select a version first")
        return self._spawn(self._open_version(node, version), f"open version {version}", "preview")

    async def open_version(self, version_id: str) -> bool:
        """Show one stored version of the previewed file in the preview pane."""
        node = self.previewed
        if node is None:
            return False
        coro = self._open_version(node, version_id)
        return await self.runner.run(coro, f"open version {version_id}", "preview")

    async def _open_version(self, node: AsyncStorageNode, version_id: str) -> None:
        self._show_loading(node)
        data = await node.open_version(version_id)  # the API reads a version whole
        cut = data[: self.preview_bytes]
        preview = render(cut, node.basename, len(data), len(cut) < len(data))
        self._show_preview(node, preview, f"version {version_id}")

    # ---------------------------------------------------------------- actions
    def _update_actions(self) -> None:
        src, dst = self.active, self.other
        caps, dcaps = src.capabilities, dst.capabilities
        entries = src.selected_entries
        some, one = bool(entries), len(entries) == 1
        arrow_to_right = src is self.left
        self.copy_button.description = "Copy ▶" if arrow_to_right else "◀ Copy"
        self.move_button.description = "Move ▶" if arrow_to_right else "◀ Move"
        source, target = esc(show(src.folder.fullpath)), esc(show(dst.folder.fullpath))
        self.target_label.value = (
            f'<span class="gs-muted">Actions work on the <b>{src.side}</b> pane '
            f"(<code>{source}</code>); copy/move go to <code>{target}</code>"
            + ("" if dcaps.write else " — <b>read-only</b>, no copy possible")
            + "</span>"
        )
        self.copy_button.disabled = not (some and dcaps.write)
        self.copy_button.tooltip = (
            f"Copy the selection into {show(dst.folder.fullpath)}" if dcaps.write
            else f"{dst.folder.mount} is read-only"
        )  # fmt: skip
        _show(self.move_button, caps.delete)
        self.move_button.disabled = not (some and dcaps.write and caps.delete)
        _show(self.skip_picker, dcaps.write)
        _show(self.mkdir_button, caps.mkdir)
        _show(self.rename_button, caps.write and caps.delete)
        self.rename_button.disabled = not one
        _show(self.name_input, caps.mkdir or (caps.write and caps.delete))
        _show(self.delete_button, caps.delete)
        self.delete_button.disabled = not some
        _show(self.upload, caps.write)
        self.upload.tooltip = f"Upload into {show(src.folder.fullpath)}"
        self.download_button.disabled = not (one and entries[0].isfile)

    # -- copy / move ---------------------------------------------------------------
    def start_transfer(self, move: bool = False) -> list[Job]:
        """Copy (or move) the active pane's selection into the other pane's folder: one
        job (and one task) per selected entry. Returns the jobs."""
        src_pane, dst_pane = self.active, self.other
        entries = src_pane.selected_entries
        if not entries:
            raise StorageError(f"select something in the {src_pane.side} pane first")
        skip = None if self.skip_picker.value == "none" else self.skip_picker.value
        jobs = []
        for entry in entries:
            src = src_pane.folder.child_from(entry)
            dst = dst_pane.folder.child_named(entry.name)
            verb = "move" if move else "copy"
            unit = "files" if entry.isdir else "bytes"
            job = self.jobs.add(Job(f"{verb} {src.fullpath} → {dst.fullpath}", unit, entry.size))
            task = self._spawn(self._run_job(job, src, dst, move, skip), job.title)
            job.start(task)
            jobs.append(job)
        return jobs

    async def copy_selected(self, move: bool = False) -> list[Job]:
        """``start_transfer`` and wait for its jobs (returns them, whatever their end)."""
        jobs = self.start_transfer(move)
        tasks = [j.task for j in jobs if j.task is not None]
        if tasks:
            await asyncio.wait(tasks)
            await asyncio.sleep(0)
        return jobs

    async def _run_job(
        self,
        job: Job,
        src: AsyncStorageNode,
        dst: AsyncStorageNode,
        move: bool,
        skip: str | None,
    ) -> None:
        job.start()
        method = src.move if move else src.copy
        try:
            report = await method(dst, skip_if=skip, progress=job.on_progress)
        except asyncio.CancelledError:
            job.finish("cancelled")
            self.report("info", f"{job.title}: cancelled")
            raise
        except Exception as exc:
            job.finish("failed", error=exc)
            raise
        finally:
            self._reload_showing(src.parent, dst.parent)
        job.finish("done", report)
        self.report("info", f"{job.title}: {job.detail.value}")

    # -- delete ------------------------------------------------------------------
    def ask_delete(self) -> None:
        """Show the confirmation step for deleting the active pane's selection."""
        pane = self.active
        entries = pane.selected_entries
        if not entries:
            raise StorageError("select what to delete first")
        self.pending_delete = [(pane.folder.child_from(e), e) for e in entries]
        names = [e.name + ("/ (folder and all it contains)" if e.isdir else "") for e in entries]
        shown = ", ".join(names[:5]) + (f", … ({len(names) - 5:,} more)" if len(names) > 5 else "")
        self.confirm_label.value = (
            f"<b>Delete {esc(plural(len(entries), 'item'))}</b> from "
            f"<code>{esc(show(pane.folder.fullpath))}</code>: {esc(show(shown))}?"
            " This cannot be undone."
        )
        self.confirm_box.layout.display = "flex"

    def cancel_delete(self) -> None:
        """Drop the pending deletion."""
        self.pending_delete = []
        self.confirm_box.layout.display = "none"

    def confirm_delete(self) -> Any:
        """Delete exactly what the confirmation showed (starts a task)."""
        items, self.pending_delete = self.pending_delete, []
        self.confirm_box.layout.display = "none"
        if not items:
            raise StorageError("nothing to delete (the confirmation was cancelled)")
        return self._spawn(self._delete(items), f"delete {plural(len(items), 'item')}")

    async def _delete(self, items: list[tuple[AsyncStorageNode, FileInfo]]) -> None:
        try:
            for node, entry in items:
                await node.delete(recursive=entry.isdir)
                self.report("info", f"deleted {node.fullpath}")
        finally:
            self._reload_showing(*{n.parent.fullpath: n.parent for n, _ in items}.values())

    # -- mkdir / rename ----------------------------------------------------------
    def _new_name(self) -> str:
        name = self.name_input.value.strip()
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise StorageError(f"type a plain name (no '/') in the name box, not {name!r}")
        return name

    def _spawn_mkdir(self) -> Any:
        folder, name = self.active.folder, self._new_name()
        return self._spawn(self._mkdir(folder, name), f"create folder {name}")

    async def mkdir(self, name: str) -> bool:
        """Create folder ``name`` in the active pane's folder."""
        self.name_input.value = name
        folder, name = self.active.folder, self._new_name()
        return await self.runner.run(self._mkdir(folder, name), f"create folder {name}")

    async def _mkdir(self, folder: AsyncStorageNode, name: str) -> None:
        node = folder.child_named(name)
        await node.mkdir()
        self.name_input.value = ""
        self.report("info", f"created folder {node.fullpath}")
        self._reload_showing(folder)

    def _spawn_rename(self) -> Any:
        pane = self.active
        entries = pane.selected_entries
        if len(entries) != 1:
            raise StorageError("select exactly one entry to rename")
        src, name = pane.folder.child_from(entries[0]), self._new_name()
        return self._spawn(self._rename(src, name), f"rename {src.fullpath}")

    async def rename(self, old: str, new: str) -> bool:
        """Rename ``old`` (a name in the active pane's folder) to ``new``."""
        self.name_input.value = new
        src, name = self.active.folder.child_named(old), self._new_name()
        return await self.runner.run(self._rename(src, name), f"rename {src.fullpath}")

    async def _rename(self, src: AsyncStorageNode, name: str) -> None:
        dst = src.parent.child_named(name)
        if await dst.exists():
            raise StorageExistsError(f"'{dst.fullpath}' already exists; not renaming over it")
        await src.move(dst)
        self.name_input.value = ""
        self.report("info", f"renamed {src.fullpath} to {dst.name}")
        self._reload_showing(src.parent)

    # -- upload / download ---------------------------------------------------------
    def _upload_changed(self, change: dict[str, Any]) -> None:
        if self._clearing_upload or not change["new"]:
            return
        folder = self.active.folder
        files = {str(f["name"]): bytes(f["content"]) for f in change["new"]}
        self._spawn(self._upload(folder, files), f"upload into {folder.fullpath}")

    async def upload_files(self, files: dict[str, bytes]) -> bool:
        """Write ``{name: bytes}`` into the active pane's folder (what Upload does)."""
        folder = self.active.folder
        return await self.runner.run(self._upload(folder, files), f"upload to {folder.fullpath}")

    async def _upload(self, folder: AsyncStorageNode, files: dict[str, bytes]) -> None:
        try:
            for raw_name, data in files.items():
                name = basename(raw_name.replace("\\", "/"))
                if not name or name in (".", ".."):
                    raise StorageError(f"cannot upload a file named {raw_name!r}")
                node = folder.child_named(name)
                await node.write_bytes(data)
                self.report("info", f"uploaded {node.fullpath} ({human_size(len(data))})")
        finally:
            self._clearing_upload = True
            try:
                self.upload.value = ()
            finally:
                self._clearing_upload = False
            self._reload_showing(folder)

    def _spawn_download(self) -> Any:
        nodes = self.active.selected
        if len(nodes) != 1:
            raise StorageError("select one file to download")
        return self._spawn(self._download(nodes[0]), f"download {nodes[0].fullpath}")

    async def download(self, name: str) -> bool:
        """Prepare the download link of one file (the Download button)."""
        node = self._resolve(name)
        return await self.runner.run(self._download(node), f"download {node.fullpath}")

    async def _download(self, node: AsyncStorageNode) -> None:
        self.download_area.value = '<span class="gs-muted">preparing download…</span>'
        try:
            size = await node.size()
            data = None
            if size is None or size <= DOWNLOAD_BYTES:
                # The cap holds on the bytes actually read: a size that is unknown (or
                # wrong) never lets more than DOWNLOAD_BYTES + 1 into memory.
                data = await read_capped(node, DOWNLOAD_BYTES)
            if data is None:
                shown = human_size(size) if size is not None else "size unknown"
                url = node.url()
                if url and url.startswith(("http://", "https://")):
                    self.download_area.value = (
                        f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
                        f"Open {esc(show(node.name))} ({esc(shown)}) from the store</a>"
                    )
                    return
                raise StorageError(
                    f"{node.fullpath} ({shown}) is larger than the "
                    f"{human_size(DOWNLOAD_BYTES)} the explorer puts in a page; copy it to a "
                    "local mount instead"
                )
        except BaseException:
            self.download_area.value = ""
            raise
        payload = base64.b64encode(data).decode("ascii")
        self.download_area.value = (
            f'<a download="{esc(show(node.name))}" href="data:application/octet-stream;base64,'
            f'{payload}">⬇ Save {esc(show(node.name))} ({esc(human_size(len(data)))})</a>'
        )
