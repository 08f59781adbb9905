"""Small formatting helpers shared by the explorer's parts (no I/O, no widgets)."""

from __future__ import annotations

import datetime as _dt
import html

__all__ = ["esc", "human_size", "human_time", "plural"]


def esc(value: object) -> str:
    """HTML-escape anything for an ``HTML`` widget: ``<``, ``>``, ``&`` and both quotes."""
    return html.escape(str(value), quote=True)


def human_size(size: int | float | None) -> str:
    """``1536`` -> ``'1.5 KiB'``; ``None`` -> ``''``."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(value) < 1024 or unit == "TiB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"  # pragma: no cover - the loop always returns


def human_time(mtime: float | None) -> str:
    """A POSIX timestamp as local ``YYYY-MM-DD HH:MM``; ``None`` -> ``''``."""
    if mtime is None:
        return ""
    try:
        return _dt.datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return str(mtime)


def plural(count: int, word: str, words: str | None = None) -> str:
    """``plural(1, 'file')`` -> ``'1 file'``; ``plural(3, 'file')`` -> ``'3 files'``."""
    return f"{count:,} {word if count == 1 else (words or word + 's')}"
