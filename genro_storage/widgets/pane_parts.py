"""Small parts of a browsing pane: breadcrumbs and the permission badge (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

import ipywidgets as ipw

from .. import Capabilities, FileInfo
from ._format import esc, show

if TYPE_CHECKING:
    from ..async_ import AsyncStorageNode

__all__ = ["SortRow", "badge_html", "crumb_buttons", "small_layout"]


class SortRow:
    """One loaded entry with its sort keys. It keeps the entry's ``FileInfo`` until
    ``compact()`` drops it (a folder too big to hold whole: see ``pane_window``); then
    ``entry()`` rebuilds a ``FileInfo`` from the few facts a row shows and acts on."""

    __slots__ = ("info", "path", "size", "mtime", "isdir", "ctype", "addressable")

    def __init__(self, info: FileInfo) -> None:
        self.info: FileInfo | None = info
        self.path = info.path
        self.size = info.size
        self.mtime = info.mtime
        self.isdir = info.isdir
        self.ctype = info.content_type
        self.addressable = info.addressable

    @property
    def name(self) -> str:
        """The entry's name (the last segment of its path)."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def lower(self) -> str:
        """The name in lower case (the sort and filter key)."""
        return self.name.lower()

    @property
    def suffix(self) -> str:
        """The name's suffix in lower case, without the dot ('' for none)."""
        lower = self.lower
        return lower.rpartition(".")[2] if "." in lower else ""

    def compact(self) -> None:
        """Drop the ``FileInfo`` (about 600 bytes): keep only what the row needs."""
        self.info = None

    def entry(self) -> FileInfo:
        """The entry: the listed ``FileInfo``, or one rebuilt from the kept facts."""
        if self.info is not None:
            return self.info
        kind: Literal["file", "directory"] = "directory" if self.isdir else "file"
        return FileInfo(
            self.path, kind, self.size, self.mtime, content_type=self.ctype,
            addressable=self.addressable,
        )  # fmt: skip


def crumb_buttons(folder: AsyncStorageNode, go: Callable[[str], Any]) -> list[ipw.Widget]:
    """One button per level of ``folder``'s path (the mount root first); a click calls
    ``go('mount:path')``. Labels are plain text through ``show``."""
    crumbs: list[ipw.Widget] = []
    root = ipw.Button(description=f"{folder.mount}:", tooltip="Mount root", layout=_crumb())
    root.on_click(lambda _b, m=folder.mount: go(f"{m}:"))
    crumbs.append(root)
    parts = folder.path.split("/") if folder.path else []
    for number, part in enumerate(parts):
        crumbs.append(ipw.HTML('<span class="gs-sep">/</span>'))
        target = "/".join(parts[: number + 1])
        tip = show(f"{folder.mount}:{target}")
        button = ipw.Button(description=show(part), tooltip=tip, layout=_crumb())
        button.on_click(lambda _b, m=folder.mount, t=target: go(f"{m}:{t}"))
        crumbs.append(button)
    return crumbs


def badge_html(caps: Capabilities) -> str:
    """The badge saying what the mount allows."""
    if not caps.write:
        text, cls = "read-only", "gs-badge gs-ro"
    elif not caps.delete:
        text, cls = "no delete", "gs-badge gs-ro"
    else:
        text, cls = "read-write", "gs-badge"
    return f'<span class="{cls}">{esc(text)}</span>'


def small_layout() -> ipw.Layout:
    """The layout of an icon button."""
    return ipw.Layout(width="34px", padding="0")


def _crumb() -> ipw.Layout:
    return ipw.Layout(width="auto", max_width="200px", padding="0 6px", height="26px")
