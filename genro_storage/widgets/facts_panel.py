"""The explorer's facts panel: path, type, size, times, MD5, metadata and versions.

A view only: the controller reads the facts from the store and hands them here. Every
value, metadata keys included, is escaped before it reaches an ``HTML`` widget.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ipywidgets as ipw

from .._shared.info import FileInfo, VersionInfo
from ._format import esc, human_size, human_time, message, plural, set_visible, show

if TYPE_CHECKING:
    from ..async_.node import AsyncStorageNode

__all__ = ["FactsPanel"]

_MUTED_LOADING = '<span class="gs-muted">loading…</span>'


class FactsPanel(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """The facts of the selected entry, or a summary of a multiple selection.

    Widgets: ``facts_html`` (the table), ``md5_button`` (shown when the store does not
    know the MD5), ``metadata_html``, ``versions_picker``, ``open_version_button`` and
    ``versions_box`` (shown where the mount keeps versions). ``rows`` holds the facts
    shown; ``versions`` the versions listed in the picker.
    """

    def __init__(self) -> None:
        self.facts_html = ipw.HTML('<span class="gs-muted">No selection.</span>')
        self.md5_button = ipw.Button(
            description="Compute MD5",
            icon="hashtag",
            layout=ipw.Layout(width="auto", display="none"),
        )
        self.metadata_html = ipw.HTML()
        self.versions_picker = ipw.Dropdown(options=[], description="version",
                                          layout=ipw.Layout(width="100%"),
                                          style={"description_width": "56px"})  # fmt: skip
        self.open_version_button = ipw.Button(
            description="Open version", icon="history", layout=ipw.Layout(width="auto")
        )
        self.versions_box = ipw.VBox(
            [self.versions_picker, self.open_version_button], layout=ipw.Layout(display="none")
        )
        self.rows: list[tuple[str, str]] = []
        self.versions: list[VersionInfo] = []
        super().__init__(
            [
                ipw.HTML('<span class="gs-title">Facts</span>'),
                self.facts_html,
                self.md5_button,
                self.metadata_html,
                self.versions_box,
            ],
            layout=ipw.Layout(flex="2 1 0", min_width="0"),
        )
        self.add_class("gs-box")

    @property
    def selected_version(self) -> str | None:
        """The version id picked in the versions dropdown."""
        value: str | None = self.versions_picker.value
        return value

    def show_rows(
        self, rows: list[tuple[str, str]], extra_html: str = "", of_one_node: bool = True
    ) -> None:
        """Show ``rows`` (name, value) then ``extra_html`` (already safe). Without rows,
        or when they describe no single node, the MD5, metadata and versions go away."""
        self.rows = list(rows)
        body = "".join(f"<tr><td>{esc(k)}</td><td>{esc(show(v))}</td></tr>" for k, v in rows if v)
        table = f'<table class="gs-facts">{body}</table>' if rows else ""
        self.facts_html.value = table + extra_html
        if not rows or not of_one_node:
            set_visible(self.md5_button, False)
            set_visible(self.versions_box, False)
            self.metadata_html.value = ""

    def show_loading(self, node: AsyncStorageNode) -> None:
        """``node``'s path and a loading note, while its facts are read."""
        self.show_rows([("path", node.fullpath)], _MUTED_LOADING)

    def show_nothing(self) -> None:
        """Nothing selected."""
        self.show_rows([], '<span class="gs-muted">No selection.</span>', of_one_node=False)

    def show_summary(self, entries: Sequence[FileInfo]) -> None:
        """A multiple selection: how many files (and bytes) and folders."""
        files = [e for e in entries if e.isfile]
        total = sum(e.size or 0 for e in files)
        rows = [("selected", plural(len(entries), "item")),
                ("files", f"{len(files):,} ({human_size(total)})"),
                ("folders", f"{len(entries) - len(files):,}")]  # fmt: skip
        self.show_rows(rows, of_one_node=False)

    def show_info(self, node: AsyncStorageNode, info: FileInfo) -> None:
        """The facts of one entry; metadata shows "loading" where the mount has some, and
        the versions are hidden until ``show_versions``."""
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
        self.show_rows(rows)
        set_visible(self.md5_button, info.isfile and not info.md5)
        self.md5_button.disabled = False
        self.metadata_html.value = (
            '<span class="gs-muted">metadata: loading…</span>'
            if node.capabilities.metadata and info.isfile else ""
        )  # fmt: skip
        self.versions = []
        self.versions_picker.options = []
        set_visible(self.versions_box, False)

    def set_md5_busy(self, busy: bool) -> None:
        """Disable the MD5 button while the digest is computed."""
        self.md5_button.disabled = busy

    def show_md5(self, digest: str) -> None:
        """Add (or replace) the MD5 row; the button is no longer needed."""
        self.show_rows([r for r in self.rows if r[0] != "md5"] + [("md5", digest)])
        set_visible(self.md5_button, False)

    def show_metadata(self, metadata: dict[str, str]) -> None:
        """The user metadata as a table, keys sorted."""
        rows = "".join(
            f"<tr><td>{esc(show(k))}</td><td>{esc(show(v))}</td></tr>"
            for k, v in sorted(metadata.items())
        )
        self.metadata_html.value = (
            f'<b>metadata</b><table class="gs-facts">{rows}</table>' if rows
            else '<span class="gs-muted">no metadata</span>'
        )  # fmt: skip

    def show_metadata_error(self, exc: BaseException) -> None:
        """Reading the metadata failed: say so where it would be."""
        self.metadata_html.value = f'<span class="gs-msg gs-error">⚠ {esc(message(exc))}</span>'

    def show_versions(self, versions: Sequence[VersionInfo]) -> None:
        """List ``versions`` (newest first, as the store gives them) in the picker."""
        self.versions = list(versions)
        self.versions_picker.options = [
            (
                f"{v.version_id[:16]} · {human_size(v.size)} · {human_time(v.mtime)}"
                + (" · latest" if v.is_latest else ""),
                v.version_id,
            )
            for v in versions
        ]
        set_visible(self.versions_box, bool(versions))
