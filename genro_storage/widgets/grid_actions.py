"""What the file grid asks of the explorer: menu actions, inline rename, drops from the
other pane, streamed uploads from the desktop, and "Use in code".

Uploads: the browser sends each file in chunks (``{"kind": "upload", "action": "chunk",
"id", "name", "size", "offset", "last"}`` plus one binary buffer) and waits for the
kernel's answer before sending the next, so the kernel holds at most one chunk per
upload. The first chunk starts a job whose task writes through ``node.open("wb")``: the
store publishes the file only when the block ends cleanly after the last chunk.
Cancelling (the job's Cancel, the grid's Cancel, a chunk out of order, a browser gone
silent) aborts the write: nothing is left behind.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from .. import Progress, StorageError
from ..async_ import AsyncStorageNode
from ._format import human_size
from .jobs import Job

if TYPE_CHECKING:
    from .explorer import StorageExplorer
    from .pane import BrowserPane

__all__ = ["UPLOAD_IDLE_SECONDS", "GridActions", "code_snippet", "upload_name"]

#: An upload whose browser sends nothing for this long is aborted.
UPLOAD_IDLE_SECONDS = 300.0
#: Suffixes offered as a pandas one-liner by "Use in code", with the reader to call.
_READERS = {
    ".parquet": "read_parquet",
    ".pq": "read_parquet",
    ".csv": "read_csv",
    ".tsv": "read_csv",
    ".feather": "read_feather",
    ".json": "read_json",
    ".xlsx": "read_excel",
}
#: Characters that keep a ``genro://`` URL literal in fsspec (no %, ?, #, ::, spaces).
_URL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./+=,@~")


def upload_name(raw: object) -> str:
    """The file name to write for an uploaded file called ``raw`` by the browser: its
    last part (``/`` or ``\\``); a ``StorageError`` for none, ``.`` or ``..``."""
    if not isinstance(raw, str):
        raise StorageError(f"an uploaded file needs a name, not {type(raw).__name__}")
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    if not name or name in (".", ".."):
        raise StorageError(f"cannot upload a file named {raw!r}")
    return name


def code_snippet(node: AsyncStorageNode, variable: str = "storage") -> str:
    """Python that reaches ``node`` from a notebook holding the manager as ``variable``:
    ``storage.node('s3:data/x.parquet')``, and for a table a pandas one-liner through the
    ``genro://`` fsspec protocol. Names are quoted with ``repr``, never pasted raw."""
    lines = [f"node = {variable}.node({node.fullpath!r})"]
    suffix = "." + node.basename.rpartition(".")[2].lower() if "." in node.basename else ""
    reader = _READERS.get(suffix)
    url = f"genro://{node.mount}/{node.path}"
    if reader and set(url[len("genro://") :]) <= _URL_SAFE:
        extra = ', sep="\\t"' if suffix == ".tsv" else ""
        lines += [
            "import pandas as pd",
            f'df = pd.{reader}({url!r}{extra}, storage_options={{"storage": {variable}}})',
        ]
    return "\n".join(lines)


class _Upload:
    """One file being uploaded: a queue of chunks feeding the task that writes it."""

    def __init__(self, pane: BrowserPane, node: AsyncStorageNode, size: int, job: Job) -> None:
        self.pane = pane
        self.node = node
        self.size = size
        self.job = job
        self.offset = 0  # bytes received so far
        self.published = False
        self.chunks: asyncio.Queue[tuple[bytes, bool]] = asyncio.Queue(maxsize=2)
        self.task: asyncio.Task[Any] | None = None


class GridActions:
    """Answers the grids of an explorer (``pane.on_action``)."""

    def __init__(self, explorer: StorageExplorer) -> None:
        self.explorer = explorer
        self.uploads: dict[str, _Upload] = {}
        self.idle_seconds = UPLOAD_IDLE_SECONDS
        #: The last "Use in code" snippet.
        self.last_snippet = ""

    def menu(self, pane: BrowserPane, other: BrowserPane) -> list[list[Any]]:
        """The right-click menu of ``pane``: ``[action, label, enabled]`` items."""
        caps, target = pane.capabilities, other.capabilities
        entries = pane.selected_entries
        some, one = bool(entries), len(entries) == 1
        items: list[tuple[str, str, bool]] = [
            ("open", "Open", one and entries[0].isdir),
            ("copy", "Copy to the other pane", some and target.write),
            ("move", "Move to the other pane", some and target.write and caps.delete),
            ("rename", "Rename (F2)", one and caps.write and caps.delete),
            ("delete", "Delete… (Del)", some and caps.delete),
            ("download", "Download", one and entries[0].isfile),
            ("code", "Use in code", one),
            ("size", "Folder size", one and entries[0].isdir),
            ("mkdir", "New folder", caps.mkdir),
            ("upload", "Upload files…", caps.write),
            ("refresh", "Reload", True),
        ]
        return [[a, label, bool(ok)] for a, label, ok in items]

    def handle(self, pane: BrowserPane, kind: str, content: dict[str, Any]) -> None:
        """One request of ``pane``'s grid (already checked to be a known kind)."""
        ex = self.explorer
        if kind == "rename":
            entry = pane.entry_at(content)
            name = content.get("name")
            if not isinstance(name, str):
                raise StorageError("rename needs a new name")
            src = pane.folder.child_from(entry)
            ex.runner.spawn(ex.controller.rename(src, name.strip()), "rename")
        elif kind == "drop":
            source = ex.other if ex.other.grid.token == content.get("from") else None
            if source is None or source is pane:
                raise StorageError("a drop from an unknown pane")
            ex.start_transfer(move=content.get("move") is True, source=source, target=pane)
        elif kind == "upload":
            try:
                self._upload(pane, content)
            except Exception:  # the browser waits for an answer to each chunk: give one
                ident = content.get("id")
                pane.grid.push({"kind": "upload-done", "id": ident, "ok": False})
                raise
        elif kind == "action":
            self._action(pane, str(content.get("name")))

    def _action(self, pane: BrowserPane, name: str) -> None:
        ex = self.explorer
        runner, control = ex.runner, ex.controller
        if name == "open":
            pane._open_selected()
        elif name in ("copy", "move"):
            ex.start_transfer(move=name == "move")
        elif name == "rename":
            rows = pane.grid.selected_rows()
            if len(rows) != 1:
                raise StorageError("select exactly one entry to rename")
            pane.grid.push({"kind": "edit", "row": rows[0]})  # the browser edits the name
        elif name == "delete":
            ex.ask_delete()
        elif name == "download":
            node = ex._single_selected("file to download")
            runner.spawn(control.download(node), "download")
        elif name == "code":
            self.use_in_code()
        elif name == "size":
            self.start_folder_size()
        elif name == "mkdir":
            runner.spawn(self._new_folder(pane), "create folder")
        elif name == "upload":
            pane.grid.push({"kind": "pick"})  # the browser opens its file picker
        elif name == "refresh":
            pane.reload()
        else:
            raise StorageError(f"unknown action {name!r}")

    async def _new_folder(self, pane: BrowserPane) -> None:
        typed = self.explorer.name_input.value.strip()
        base = self.explorer.actions.new_name() if typed else "New folder"
        name, number = base, 1
        while await pane.folder.child_named(name).exists():
            number += 1
            name = f"{base} ({number})"
        await self.explorer.controller.create_folder(pane.folder, name)

    def use_in_code(self) -> str:
        """Show (and put on the clipboard) code that reaches the selection."""
        nodes = self.explorer.selected or [self.explorer.active.folder]
        snippet = "\n\n".join(code_snippet(n) for n in nodes[:20])
        self.last_snippet = snippet
        self.explorer.actions.show_snippet(snippet)
        self.explorer.active.grid.push({"kind": "clipboard", "text": snippet})
        return snippet

    # -- folder size ----------------------------------------------------------------------
    def start_folder_size(self) -> Job:
        """Count the files and bytes under the selected folder, as a job."""
        node = self.explorer._single_selected("folder")
        job = self.explorer.jobs.add(Job(f"size of {node.fullpath}", "entries"))
        job.start(self.explorer.runner.spawn(self._folder_size(job, node), job.title))
        return job

    async def _folder_size(self, job: Job, root: AsyncStorageNode) -> None:
        files = total = 0
        pending = [root]
        try:
            while pending:
                folder, cursor = pending.pop(), None
                while True:
                    page = await folder.list(page_size=1000, cursor=cursor)
                    for entry in page.entries:
                        total += entry.size or 0  # a folder with content counts its bytes
                        if entry.isfile:
                            files += 1
                        elif entry.addressable:
                            pending.append(folder.child_from(entry))
                    job.count(files, f"files, {human_size(total)} so far")
                    if (cursor := page.cursor) is None:
                        break
        except asyncio.CancelledError:
            job.finish("cancelled")
            raise
        except Exception as exc:
            job.finish("failed", error=exc)
            raise
        job.finish("done")
        job.detail.value = f"done: {files:,} files, {human_size(total)} ({total:,} bytes)"
        self.explorer.report("info", f"{root.fullpath}: {files:,} files, {human_size(total)}")

    # -- uploads ------------------------------------------------------------------------
    def _upload(self, pane: BrowserPane, content: dict[str, Any]) -> None:
        ident = content.get("id")
        if not isinstance(ident, str) or not ident:
            raise StorageError("an upload message needs an id")
        action = content.get("action")
        if action == "cancel":
            upload = self.uploads.get(ident)
            if upload is not None and upload.task is not None:
                upload.task.cancel()
            return
        if action != "chunk":
            raise StorageError(f"unknown upload action {action!r}")
        buffers = content.get("buffers") or []
        offset, last = content.get("offset"), content.get("last") is True
        upload = self.uploads.get(ident)
        if upload is None:
            upload = self._start_upload(pane, ident, content)
        data = bytes(buffers[0]) if buffers else b""
        if (
            offset != upload.offset
            or upload.offset + len(data) > upload.size
            or (last and upload.offset + len(data) != upload.size)
        ):
            if upload.task is not None:
                upload.task.cancel()
            raise StorageError(f"upload of {upload.node.fullpath}: chunk out of order")
        upload.offset += len(data)
        try:
            upload.chunks.put_nowait((data, last))
        except asyncio.QueueFull:  # the browser must wait for each answer: abort
            if upload.task is not None:
                upload.task.cancel()
            raise StorageError(f"upload of {upload.node.fullpath}: chunks sent too fast") from None

    def _start_upload(self, pane: BrowserPane, ident: str, content: dict[str, Any]) -> _Upload:
        size = content.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise StorageError(f"an upload needs a size, not {size!r}")
        if content.get("offset") != 0:
            raise StorageError("an upload starts at offset 0")
        node: AsyncStorageNode = pane.folder.child_named(upload_name(content.get("name")))
        job = self.explorer.jobs.add(Job(f"upload {node.fullpath}", "bytes", size))
        upload = _Upload(pane, node, size, job)
        self.uploads[ident] = upload
        upload.task = self.explorer.runner.spawn(self._write(ident, upload), job.title)
        job.start(upload.task)
        if upload.task is not None:  # cleans up even if cancelled before it ever ran
            upload.task.add_done_callback(lambda _t: self._ended(ident, upload))
        return upload

    def _ended(self, ident: str, upload: _Upload) -> None:
        self.uploads.pop(ident, None)
        if not upload.job.done:
            upload.job.finish("cancelled")
        upload.pane.grid.push({"kind": "upload-done", "id": ident, "ok": upload.published})
        self.explorer.controller.reload_showing(upload.node.parent)

    async def _write(self, ident: str, upload: _Upload) -> None:
        grid, job, node = upload.pane.grid, upload.job, upload.node
        done = 0
        try:
            async with node.open("wb") as f:
                while True:
                    data, last = await asyncio.wait_for(upload.chunks.get(), self.idle_seconds)
                    await f.write(data)
                    done += len(data)
                    job.on_progress(_progress(node, done, upload.size))
                    if last:
                        break
                    grid.push({"kind": "progress", "id": ident, "ok": True, "offset": done})
        except asyncio.CancelledError:
            job.finish("cancelled")
            raise
        except BaseException as exc:
            job.finish("failed", error=exc)
            raise
        upload.published = True
        job.finish("done")
        job.detail.value = f"done: {human_size(done)}"
        self.explorer.report("info", f"uploaded {node.fullpath} ({human_size(done)})")


def _progress(node: AsyncStorageNode, done: int, total: int) -> Progress:
    return Progress(node.path, done, total, 0, 1)
