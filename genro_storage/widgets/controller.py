"""The explorer's work, without widgets: preview, facts, copy/move, delete, new folder,
rename, upload and download.

Each action is ONE ``async def`` taking plain values (nodes, names, bytes). A button
runs it through ``TaskRunner.bind``, a method of ``StorageExplorer`` through
``TaskRunner.run``: both go through the runner, so every action is a referenced task
on the kernel's loop, its error lands in the status area, and replaceable work (the
preview) cancels the stale one. The controller shows results through the views it is
given (the protocols below); it makes no widget and reads none.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .. import FileInfo, Progress, StorageError, StorageExistsError, TransferReport, VersionInfo
from .._shared.paths import basename
from ..async_ import AsyncStorageNode
from ._format import describe, human_size
from ._tasks import TaskRunner
from .preview import PREVIEW_BYTES, Preview, load_preview, render
from .thumbnail import for_browser

__all__ = ["DOWNLOAD_BYTES", "PREVIEW_SLOT", "ExplorerController", "read_capped"]

#: Largest file offered as an in-page download (a base64 ``data:`` link).
DOWNLOAD_BYTES = 8 * 1024 * 1024
#: The runner slot of the preview: a new preview cancels the one still loading.
PREVIEW_SLOT = "preview"


# -- what the controller needs of the views ------------------------------------------
class FolderView(Protocol):
    """A browsing pane, as far as reloading it after a change goes."""

    folder: AsyncStorageNode

    @property
    def listing_task(self) -> asyncio.Task[Any] | None:
        """The listing still running in the pane, if any."""

    def reload(self) -> object:
        """Start listing the pane's folder again."""


class PreviewView(Protocol):
    """Where previews go (``PreviewPanel``)."""

    def show_nothing(self) -> None:
        """No single file selected."""

    def show_loading(self, node: AsyncStorageNode) -> None:
        """``node`` is being read."""

    def show_preview(self, node: AsyncStorageNode, preview: Preview, label: str = "") -> None:
        """Show ``preview`` of ``node`` (``label``: which content, e.g. a version)."""

    def show_folder(self, node: AsyncStorageNode) -> None:
        """``node`` is a folder: nothing to preview."""

    def show_error(self, exc: BaseException) -> None:
        """The preview failed with ``exc``."""


class FactsView(Protocol):
    """Where facts, MD5, metadata and versions go (``FactsPanel``)."""

    def show_nothing(self) -> None:
        """Nothing selected."""

    def show_loading(self, node: AsyncStorageNode) -> None:
        """``node``'s facts are being read."""

    def show_summary(self, entries: Sequence[FileInfo]) -> None:
        """Several entries selected."""

    def show_info(self, node: AsyncStorageNode, info: FileInfo) -> None:
        """The facts of one entry."""

    def set_md5_busy(self, busy: bool) -> None:
        """An MD5 is being computed (or no longer)."""

    def show_md5(self, digest: str) -> None:
        """Add the MD5 to the facts."""

    def show_metadata(self, metadata: dict[str, str]) -> None:
        """The user metadata."""

    def show_metadata_error(self, exc: BaseException) -> None:
        """Reading the metadata failed."""

    def show_versions(self, versions: Sequence[VersionInfo]) -> None:
        """The stored versions, newest first."""


class ActionsView(Protocol):
    """The action bar's feedback (``ActionBar``)."""

    def ask_delete_confirmation(self, folder: str, entries: Sequence[FileInfo]) -> None:
        """Ask before deleting ``entries`` of ``folder``."""

    def hide_confirmation(self) -> None:
        """No deletion is pending."""

    def clear_name(self) -> None:
        """The typed name was used."""

    def clear_upload(self) -> None:
        """The picked files were handled."""

    def show_download_preparing(self) -> None:
        """A download is being prepared."""

    def show_download_data(self, name: str, data: bytes) -> None:
        """Offer ``data`` as a file named ``name``."""

    def show_download_url(self, name: str, url: str, size_text: str) -> None:
        """Offer the store's URL of a file too large for the page."""

    def clear_download(self) -> None:
        """No download on offer."""


class JobView(Protocol):
    """One copy/move row of the jobs list (``Job``)."""

    @property
    def title(self) -> str:
        """What the job does (``'copy a:x → b:x'``)."""

    @property
    def status_line(self) -> str:
        """How the job ended, in words."""

    def start(self, task: asyncio.Task[Any] | None = None) -> None:
        """The job's task runs."""

    def on_progress(self, event: Progress) -> None:
        """The ``progress=`` callback of copy/move."""

    def finish(
        self,
        state: str,
        report: TransferReport[AsyncStorageNode] | None = None,
        error: BaseException | None = None,
    ) -> None:
        """The job ended: ``'done'``, ``'failed'`` or ``'cancelled'``."""


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


class ExplorerController:
    """The explorer's actions and the state they share, without widgets.

    ``report(level, text)`` adds a line to the status area. ``panes`` are reloaded when
    an action changes the folder they show. State: ``previewed`` (the node whose facts
    are shown), ``last_preview`` (the ``Preview`` shown) and ``pending_delete`` (what the
    delete confirmation asks about).
    """

    def __init__(
        self,
        runner: TaskRunner,
        report: Callable[[str, str], None],
        panes: Sequence[FolderView],
        preview: PreviewView,
        facts: FactsView,
        actions: ActionsView,
        *,
        preview_bytes: int = PREVIEW_BYTES,
        download_bytes: int = DOWNLOAD_BYTES,
    ) -> None:
        self.runner = runner
        self.report = report
        self.panes = panes
        self.preview_view = preview
        self.facts = facts
        self.actions = actions
        self.preview_bytes = preview_bytes
        self.download_bytes = download_bytes
        self.previewed: AsyncStorageNode | None = None
        self.last_preview: Preview | None = None
        self.pending_delete: list[tuple[AsyncStorageNode, FileInfo]] = []

    def reload_showing(self, *folders: AsyncStorageNode) -> None:
        """Re-list the panes that show one of ``folders`` (and are not listing already)."""
        wanted = {f.fullpath for f in folders}
        for pane in self.panes:
            if pane.folder.fullpath in wanted and pane.listing_task is None:
                pane.reload()

    # -- selection, preview, facts ----------------------------------------------------
    def show_selection(self, folder: AsyncStorageNode, entries: Sequence[FileInfo]) -> None:
        """Follow a pane's selection: one file is previewed (a task in the preview
        slot), one folder gets its facts, several entries a summary."""
        if len(entries) == 1:
            node = folder.child_from(entries[0])
            if entries[0].isdir:
                self.runner.cancel(PREVIEW_SLOT)
                self._show_folder(node, entries[0])
            else:
                self.runner.spawn(self.preview(node), f"preview {node.fullpath}", PREVIEW_SLOT)
            return
        self.runner.cancel(PREVIEW_SLOT)
        self.previewed = None
        self.preview_view.show_nothing()
        if entries:
            self.facts.show_summary(entries)
        else:
            self.facts.show_nothing()

    def _show_folder(self, node: AsyncStorageNode, info: FileInfo) -> None:
        self.previewed = node
        self.preview_view.show_folder(node)
        self.facts.show_info(node, info)

    async def preview(self, node: AsyncStorageNode) -> None:
        """Show ``node``'s facts and a preview of its first bytes, then its metadata and
        versions where the mount has them."""
        self.previewed = node
        self.preview_view.show_loading(node)
        self.facts.show_loading(node)
        try:
            info = await node.info()
            if info.isdir:
                self._show_folder(node, info)
                return
            self.facts.show_info(node, info)
            preview = await load_preview(node, info, self.preview_bytes)
        except asyncio.CancelledError:
            raise  # a newer preview replaced this one: it draws its own state
        except Exception as exc:
            self.last_preview = None
            self.preview_view.show_error(exc)
            raise
        self.last_preview = preview
        self.preview_view.show_preview(node, preview)
        await self._load_extras(node)

    async def _load_extras(self, node: AsyncStorageNode) -> None:
        # A failure here is reported but does not undo the preview already shown.
        caps = node.capabilities
        if caps.metadata:
            try:
                metadata = await node.get_metadata()
            except StorageError as exc:
                self.facts.show_metadata_error(exc)
                self.report("error", f"metadata of {node.fullpath}: {describe(exc)}")
            else:
                self.facts.show_metadata(metadata)
        if caps.versions:
            try:
                versions: Sequence[VersionInfo] = await node.versions()
            except StorageError as exc:
                self.report("error", f"versions of {node.fullpath}: {describe(exc)}")
                return
            self.facts.show_versions(versions)

    async def compute_md5(self, node: AsyncStorageNode) -> None:
        """Compute ``node``'s MD5 and add it to the facts (if ``node`` is still shown)."""
        self.facts.set_md5_busy(True)
        try:
            digest = await node.md5hash()
        finally:
            self.facts.set_md5_busy(False)
        if self.previewed == node:
            self.facts.show_md5(digest)

    async def open_version(self, node: AsyncStorageNode, version_id: str) -> None:
        """Preview one stored version of ``node``."""
        self.preview_view.show_loading(node)
        # The version's first bytes only, streamed with ranged reads; its facts come
        # from the versions listing that resolved it (``f.node`` is the snapshot node).
        async with node.open(version=version_id) as f:
            cut = await f.read(self.preview_bytes)
            size = (await f.node.info()).size
        truncated = len(cut) < size if size is not None else len(cut) >= self.preview_bytes
        self.last_preview = await for_browser(render(cut, node.basename, size, truncated))
        self.preview_view.show_preview(node, self.last_preview, f"version {version_id}")

    # -- copy / move --------------------------------------------------------------------
    async def transfer(
        self,
        job: JobView,
        src: AsyncStorageNode,
        dst: AsyncStorageNode,
        move: bool = False,
        skip_if: str | None = None,
    ) -> None:
        """Copy (or move) ``src`` to ``dst``, driving ``job``'s progress bar; both panes
        showing either parent are re-listed, whatever the end."""
        job.start()
        method = src.move if move else src.copy
        try:
            report = await method(dst, skip_if=skip_if, progress=job.on_progress)
        except asyncio.CancelledError:
            job.finish("cancelled")
            self.report("info", f"{job.title}: cancelled")
            raise
        except Exception as exc:
            job.finish("failed", error=exc)
            raise
        finally:
            self.reload_showing(src.parent, dst.parent)
        job.finish("done", report)
        self.report("info", f"{job.title}: {job.status_line}")

    # -- delete -------------------------------------------------------------------------
    def ask_delete(self, folder: AsyncStorageNode, entries: Sequence[FileInfo]) -> None:
        """Remember ``entries`` of ``folder`` and ask for confirmation (no I/O)."""
        if not entries:
            raise StorageError("select what to delete first")
        self.pending_delete = [(folder.child_from(e), e) for e in entries]
        self.actions.ask_delete_confirmation(folder.fullpath, entries)

    def cancel_delete(self) -> None:
        """Drop the pending deletion."""
        self.pending_delete = []
        self.actions.hide_confirmation()

    def take_pending_delete(self) -> list[tuple[AsyncStorageNode, FileInfo]]:
        """What the confirmation showed, handed over once (a second click finds
        nothing to delete)."""
        items, self.pending_delete = self.pending_delete, []
        self.actions.hide_confirmation()
        if not items:
            raise StorageError("nothing to delete (the confirmation was cancelled)")
        return items

    async def delete(self, items: Sequence[tuple[AsyncStorageNode, FileInfo]]) -> None:
        """Delete each node (a folder with all it contains)."""
        try:
            for node, entry in items:
                await node.delete(recursive=entry.isdir)
                self.report("info", f"deleted {node.fullpath}")
        finally:
            self.reload_showing(*{n.parent.fullpath: n.parent for n, _ in items}.values())

    # -- new folder / rename ------------------------------------------------------------
    async def create_folder(self, folder: AsyncStorageNode, name: str) -> None:
        """Create folder ``name`` in ``folder``."""
        node: AsyncStorageNode = folder.child_named(name)
        await node.mkdir()
        self.actions.clear_name()
        self.report("info", f"created folder {node.fullpath}")
        self.reload_showing(folder)

    async def rename(self, src: AsyncStorageNode, name: str) -> None:
        """Rename ``src`` to ``name`` in the same folder; never over an existing entry."""
        dst: AsyncStorageNode = src.parent.child_named(name)
        if await dst.exists():
            raise StorageExistsError(f"'{dst.fullpath}' already exists; not renaming over it")
        await src.move(dst)
        self.actions.clear_name()
        self.report("info", f"renamed {src.fullpath} to {dst.name}")
        self.reload_showing(src.parent)

    # -- upload / download --------------------------------------------------------------
    async def upload(self, folder: AsyncStorageNode, files: dict[str, bytes]) -> None:
        """Write ``{name: bytes}`` into ``folder``; only the last part of a name is used."""
        try:
            for raw_name, data in files.items():
                name = basename(raw_name.replace("\\", "/"))
                if not name or name in (".", ".."):
                    raise StorageError(f"cannot upload a file named {raw_name!r}")
                node: AsyncStorageNode = folder.child_named(name)
                await node.write_bytes(data)
                self.report("info", f"uploaded {node.fullpath} ({human_size(len(data))})")
        finally:
            self.actions.clear_upload()
            self.reload_showing(folder)

    async def download(self, node: AsyncStorageNode) -> None:
        """Offer ``node`` as a download: a ``data:`` link up to ``download_bytes``, else
        the store's own http(s) URL where the mount has one, else an error."""
        self.actions.show_download_preparing()
        try:
            size = await node.size()
            data = None
            if size is None or size <= self.download_bytes:
                # The cap holds on the bytes actually read: a size that is unknown (or
                # wrong) never lets more than download_bytes + 1 into memory.
                data = await read_capped(node, self.download_bytes)
            if data is None:
                shown = human_size(size) if size is not None else "size unknown"
                url = node.url()
                if url and url.startswith(("http://", "https://")):
                    self.actions.show_download_url(node.name, url, shown)
                    return
                raise StorageError(
                    f"{node.fullpath} ({shown}) is larger than the "
                    f"{human_size(self.download_bytes)} the explorer puts in a page; copy it "
                    "to a local mount instead"
                )
        except BaseException:
            self.actions.clear_download()
            raise
        self.actions.show_download_data(node.name, data)
