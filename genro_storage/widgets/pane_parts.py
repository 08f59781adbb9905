"""Small parts of a browsing pane: breadcrumbs and the permission badge (no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as ipw

from .. import Capabilities, FileInfo
from ._format import esc, show

if TYPE_CHECKING:
    from ..async_ import AsyncStorageNode

__all__ = ["SortRow", "badge_html", "crumb_buttons", "small_layout"]


class SortRow:
    """One loaded entry with its sort keys, computed once."""

    __slots__ = ("info", "name", "lower", "size", "mtime", "isdir", "suffix")

    def __init__(self, info: FileInfo) -> None:
        self.info = info
        self.name = info.name
        self.lower = self.name.lower()
        self.size = info.size or 0
        self.mtime = info.mtime or 0.0
        self.isdir = info.isdir
        self.suffix = self.lower.rpartition(".")[2] if "." in self.lower else ""


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
