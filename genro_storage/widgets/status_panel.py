"""The explorer's status area: every message and every error, newest first."""

from __future__ import annotations

import time

import ipywidgets as ipw

from ._format import esc, message

__all__ = ["STATUS_KEEP", "STATUS_SHOWN", "StatusPanel"]

#: Messages kept in the status area, and how many of the newest are shown.
STATUS_KEEP = 200
STATUS_SHOWN = 6


class StatusPanel(ipw.VBox):  # type: ignore[misc]  # ipywidgets ships no type hints
    """The messages of the explorer's work. Widgets: ``status`` (an ``HTML``) and
    ``clear_button``; ``messages`` holds ``(level, text)`` pairs, oldest first."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []
        self.status = ipw.HTML()
        self.clear_button = ipw.Button(
            description="Clear", icon="eraser", layout=ipw.Layout(width="auto")
        )
        self.clear_button.on_click(lambda _button: self.clear())
        super().__init__(
            [ipw.HBox([ipw.HTML('<span class="gs-title">Status</span>'), self.clear_button],
                    layout=ipw.Layout(align_items="center")),
             self.status],
        )  # fmt: skip
        self.add_class("gs-box")
        self._draw()

    def report(self, level: str, text: str) -> None:
        """Add a message (``level``: ``'info'`` or ``'error'``); secrets are redacted and
        invisible characters of names escaped (``message``)."""
        self.messages.append((level, message(text)))
        del self.messages[:-STATUS_KEEP]
        self._draw()

    @property
    def errors(self) -> list[str]:
        """The error messages kept, oldest first."""
        return [text for level, text in self.messages if level == "error"]

    def clear(self) -> None:
        """Forget every message."""
        self.messages.clear()
        self._draw()

    def _draw(self) -> None:
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
