"""The explorer's preview panel: a title, a note and the preview itself (HTML or image).

A view only: ``preview.render`` decides what a file looks like, the controller decides
when to show it. Every string put into an ``HTML`` widget here is escaped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as ipw

from ._format import describe, esc, set_visible, show

if TYPE_CHECKING:
    from ..async_.node import AsyncStorageNode
    from .preview import Preview

__all__ = ["PreviewPanel"]

_EMPTY_TITLE = '<span class="gs-title">Preview</span>'


class PreviewPanel(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """Shows one file's preview.

    Widgets: ``preview_title``, ``preview_note`` (what is shown: the encoding, how much
    was read), ``preview_html`` (text, tables, hex, messages) and ``preview_image``
    (raster images only; hidden otherwise).
    """

    def __init__(self) -> None:
        self.preview_title = ipw.HTML(_EMPTY_TITLE)
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
        super().__init__(
            [self.preview_title, self.preview_note, self.preview_html, self.preview_image],
            layout=ipw.Layout(flex="3 1 0", min_width="0"),
        )
        self.add_class("gs-box")

    def _set_title(self, node: AsyncStorageNode, label: str = "") -> None:
        title = esc(show(node.fullpath)) + (f" · {esc(label)}" if label else "")
        self.preview_title.value = f'<span class="gs-title">Preview · {title}</span>'

    def show_html(self, html: str, note: str = "") -> None:
        """Show ``html`` (already safe) with ``note`` (plain text) above it."""
        self.preview_note.value = f'<span class="gs-muted">{esc(note)}</span>' if note else ""
        self.preview_html.value = html
        set_visible(self.preview_html, True)
        set_visible(self.preview_image, False)

    def show_nothing(self) -> None:
        """No single file selected: the untitled panel and a hint."""
        self.preview_title.value = _EMPTY_TITLE
        self.show_html('<span class="gs-muted">Select one file to preview it.</span>')

    def show_loading(self, node: AsyncStorageNode) -> None:
        """``node``'s title and a loading note, while its preview is read."""
        self._set_title(node)
        self.show_html('<span class="gs-muted">loading…</span>')

    def show_preview(self, node: AsyncStorageNode, preview: Preview, label: str = "") -> None:
        """Show ``preview`` of ``node``; ``label`` says which content (a version)."""
        self._set_title(node, label)
        if preview.kind == "image" and preview.image is not None:
            self.preview_note.value = f'<span class="gs-muted">{esc(preview.note)}</span>'
            self.preview_image.format = preview.image_format or "png"
            self.preview_image.value = preview.image
            set_visible(self.preview_image, True)
            set_visible(self.preview_html, False)
            self.preview_html.value = ""
            return
        html = preview.html
        if preview.kind in ("csv", "table", "notebook"):
            html = f'<div class="gs-tablewrap">{html}</div>'
        self.show_html(html, preview.note)

    def show_folder(self, node: AsyncStorageNode) -> None:
        """A folder has no preview: say how to browse it."""
        self._set_title(node)
        self.show_html(
            '<span class="gs-muted">A folder: press <b>Open</b> (below the listing) to browse '
            "it, or copy/move it as a whole.</span>"
        )

    def show_error(self, exc: BaseException) -> None:
        """The preview failed: show why (escaped, secrets redacted)."""
        self.show_html(
            f'<div class="gs-msg gs-error">⚠ {esc(describe(exc))}</div>', "preview failed"
        )
