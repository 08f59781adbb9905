"""``progress=True`` on copy and move: a ``tqdm.auto`` bar (a widget in Jupyter, text on
stderr in a terminal) over the bytes of the whole transfer, fed by ``Progress`` events.

The bar is display only: nothing it does may fail a transfer (a committed file above
all), so its own errors are swallowed, and the transfer closes it on every way out
(success, failure, cancellation).
"""

from __future__ import annotations

import contextlib
from typing import Any

__all__ = ["TqdmBar"]


def _label(text: str, limit: int = 40) -> str:
    """``text`` safe to draw on one line: no control characters, at most ``limit``."""
    shown = "".join(c if c.isprintable() else "?" for c in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


class TqdmBar:
    """The progress callback of ``progress=True``: opened by the transfer once the tree's
    bytes are known, advanced by each event's ``tree_bytes_done``, closed at the end."""

    def __init__(self) -> None:
        self._bar: Any = None
        self._closed = False

    def open(self, description: str, total_bytes: int | None) -> None:
        """Draw the bar (``total_bytes`` ``None``: a counter with no total)."""
        if self._bar is not None or self._closed:
            return
        # A display that cannot draw (tqdm.auto in a notebook without ipywidgets raises
        # ImportError "IProgress not found") shows no bar; the transfer goes on.
        with contextlib.suppress(Exception):
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total_bytes,
                desc=_label(description),
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                dynamic_ncols=True,
            )

    def __call__(self, event: Any) -> None:
        """Advance to the event's ``tree_bytes_done`` (never fails the transfer)."""
        bar = self._bar
        if bar is None or self._closed:
            return
        with contextlib.suppress(Exception):
            step = event.tree_bytes_done - bar.n
            if step > 0:
                bar.update(step)

    def close(self) -> None:
        """Close the bar, once; what it drew stays (a failed transfer shows where it
        stopped)."""
        if self._closed:
            return
        self._closed = True
        if self._bar is not None:
            with contextlib.suppress(Exception):
                self._bar.close()
