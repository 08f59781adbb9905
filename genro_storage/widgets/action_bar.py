"""The explorer's action bar: copy/move, new folder, rename, delete, upload, download.

A view only: it shows what the active pane allows and holds what the user typed or
picked. The buttons are wired to the controller's actions by ``StorageExplorer``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import ipywidgets as ipw

from .._shared.exceptions import StorageError
from .._shared.info import FileInfo
from ._format import esc, human_size, plural, set_visible, show

if TYPE_CHECKING:
    from .pane import BrowserPane

__all__ = ["SKIP_CHOICES", "ActionBar"]

#: The skip strategies of copy/move, as (label, value).
SKIP_CHOICES = (
    ("overwrite", "none"),
    ("skip if it exists", "exists"),
    ("skip if same size", "size"),
    ("skip if same MD5", "hash"),
)


class ActionBar(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """The target line, the action buttons, the delete confirmation and the download link.

    Widgets: ``target_label``, ``copy_button``, ``move_button``, ``skip_picker``,
    ``name_input``, ``mkdir_button``, ``rename_button``, ``delete_button``, ``upload``
    (a ``FileUpload``), ``download_button``, ``buttons`` (the row holding them),
    ``confirm_label``, ``confirm_button``, ``cancel_delete_button``, ``confirm_box``
    and ``download_area``.
    """

    def __init__(self) -> None:
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
        for widget in (
            self.copy_button, self.move_button, self.mkdir_button, self.rename_button,
            self.delete_button, self.upload, self.download_button,
        ):  # fmt: skip
            widget.layout = ipw.Layout(width="auto")
        self.target_label = ipw.HTML(layout=ipw.Layout(width="100%"))
        self.buttons = ipw.HBox(
            [
                self.copy_button, self.move_button, self.skip_picker,
                ipw.HTML('<span class="gs-sep">│</span>'),
                self.name_input, self.mkdir_button, self.rename_button, self.delete_button,
                self.upload, self.download_button,
            ],
            layout=ipw.Layout(flex_flow="row wrap", align_items="center", width="100%"),
        )  # fmt: skip

        self.confirm_label = ipw.HTML()
        self.confirm_button = ipw.Button(
            description="Yes, delete", icon="trash", button_style="danger"
        )
        self.cancel_delete_button = ipw.Button(description="Cancel")
        self.confirm_box = ipw.HBox(
            [self.confirm_label, self.confirm_button, self.cancel_delete_button],
            layout=ipw.Layout(display="none", align_items="center", flex_flow="row wrap"),
        )
        self.confirm_box.add_class("gs-confirm")
        self.download_area = ipw.HTML()
        self._clearing_upload = False
        super().__init__(
            [self.target_label, self.buttons, self.confirm_box, self.download_area],
            layout=ipw.Layout(width="100%"),
        )

    # -- what the user typed or picked ----------------------------------------------
    @property
    def skip_if(self) -> str | None:
        """The ``skip_if`` of copy/move picked in the dropdown (``None``: overwrite)."""
        value: str = self.skip_picker.value
        return None if value == "none" else value

    def new_name(self) -> str:
        """The plain name typed in the name box; a ``StorageError`` naming what was
        typed when it is empty or holds a path."""
        name: str = self.name_input.value.strip()
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            raise StorageError(f"type a plain name (no '/') in the name box, not {name!r}")
        return name

    def clear_name(self) -> None:
        """Empty the name box (after the name was used)."""
        self.name_input.value = ""

    def picked_files(self, change: dict[str, Any]) -> dict[str, bytes]:
        """``{name: bytes}`` from a change of ``upload.value``; empty when the change is
        our own reset (``clear_upload``) or picks nothing."""
        if self._clearing_upload or not change["new"]:
            return {}
        return {str(f["name"]): bytes(f["content"]) for f in change["new"]}

    def clear_upload(self) -> None:
        """Forget the picked files (so picking the same ones again uploads again)."""
        self._clearing_upload = True
        try:
            self.upload.value = ()
        finally:
            self._clearing_upload = False

    # -- state shown ------------------------------------------------------------------
    def update(self, source: BrowserPane, target: BrowserPane, target_is_right: bool) -> None:
        """Show the actions the active pane (``source``) allows on its selection, and
        copy/move into ``target`` only where its mount can be written."""
        caps, target_caps = source.capabilities, target.capabilities
        entries = source.selected_entries
        some, one = bool(entries), len(entries) == 1
        self.copy_button.description = "Copy ▶" if target_is_right else "◀ Copy"
        self.move_button.description = "Move ▶" if target_is_right else "◀ Move"
        source_path, target_path = show(source.folder.fullpath), show(target.folder.fullpath)
        self.target_label.value = (
            f'<span class="gs-muted">Actions work on the <b>{source.side}</b> pane '
            f"(<code>{esc(source_path)}</code>); copy/move go to <code>{esc(target_path)}</code>"
            + ("" if target_caps.write else " — <b>read-only</b>, no copy possible")
            + "</span>"
        )
        self.copy_button.disabled = not (some and target_caps.write)
        self.copy_button.tooltip = (
            f"Copy the selection into {target_path}" if target_caps.write
            else f"{target.folder.mount} is read-only"
        )  # fmt: skip
        set_visible(self.move_button, caps.delete)
        self.move_button.disabled = not (some and target_caps.write and caps.delete)
        set_visible(self.skip_picker, target_caps.write)
        set_visible(self.mkdir_button, caps.mkdir)
        set_visible(self.rename_button, caps.write and caps.delete)
        self.rename_button.disabled = not one
        set_visible(self.name_input, caps.mkdir or (caps.write and caps.delete))
        set_visible(self.delete_button, caps.delete)
        self.delete_button.disabled = not some
        set_visible(self.upload, caps.write)
        self.upload.tooltip = f"Upload into {source_path}"
        self.download_button.disabled = not (one and entries[0].isfile)

    def ask_delete_confirmation(self, folder: str, entries: Sequence[FileInfo]) -> None:
        """Ask whether to delete ``entries`` of ``folder``, naming the first few (a folder
        is said to go with all it contains)."""
        names = [e.name + ("/ (folder and all it contains)" if e.isdir else "") for e in entries]
        shown = ", ".join(names[:5]) + (f", … ({len(names) - 5:,} more)" if len(names) > 5 else "")
        self.confirm_label.value = (
            f"<b>Delete {esc(plural(len(entries), 'item'))}</b> from "
            f"<code>{esc(show(folder))}</code>: {esc(show(shown))}?"
            " This cannot be undone."
        )
        self.confirm_box.layout.display = "flex"

    def hide_confirmation(self) -> None:
        """Hide the delete confirmation."""
        self.confirm_box.layout.display = "none"

    def show_download_preparing(self) -> None:
        """Say that a download is being prepared."""
        self.download_area.value = '<span class="gs-muted">preparing download…</span>'

    def show_download_data(self, name: str, data: bytes) -> None:
        """A link that saves ``data`` as ``name`` (a ``data:`` URL the browser downloads
        rather than opens)."""
        payload = base64.b64encode(data).decode("ascii")
        label = esc(show(name))
        self.download_area.value = (
            f'<a download="{label}" href="data:application/octet-stream;base64,'
            f'{payload}">⬇ Save {label} ({esc(human_size(len(data)))})</a>'
        )

    def show_download_url(self, name: str, url: str, size_text: str) -> None:
        """A link to the store's own URL of a file too large for the page."""
        self.download_area.value = (
            f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
            f"Open {esc(show(name))} ({esc(size_text)}) from the store</a>"
        )

    def show_snippet(self, code: str) -> None:
        """Show a "Use in code" snippet (escaped) where the download link goes."""
        self.download_area.value = (
            '<div class="gs-muted">Use in code (copied to the clipboard):</div>'
            f'<pre class="gs-pre gs-snippet">{esc(code)}</pre>'
        )

    def clear_download(self) -> None:
        """Remove the download link."""
        self.download_area.value = ""
