"""Small display helpers shared by the explorer's parts (no I/O; no widget is made here)."""

from __future__ import annotations

import datetime as _dt
import html
import unicodedata
from typing import Any

from .._shared.config import redact

__all__ = [
    "describe",
    "esc",
    "human_size",
    "human_time",
    "message",
    "plural",
    "set_visible",
    "show",
]

#: Characters a name may hold that show as nothing, or reorder what follows: controls
#: (Cc), format characters (Cf: bidi overrides and isolates such as U+202E, zero-width
#: spaces and joiners), line/paragraph separators, surrogates (undecodable bytes of a
#: local file name), private-use and unassigned code points.
_HIDDEN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def esc(value: object) -> str:
    """HTML-escape anything for an ``HTML`` widget: ``<``, ``>``, ``&`` and both quotes."""
    return html.escape(str(value), quote=True)


def show(value: object) -> str:
    """The explorer's one way to display a name or path (plain text; still ``esc()`` it
    for HTML): every invisible or reordering character is written as an escape
    (``'evil\\u202etxt.exe'``), so a name shows what it really is."""
    text = str(value)
    if text.isprintable():
        return text
    out: list[str] = []
    for char in text:
        if unicodedata.category(char) in _HIDDEN:
            code = ord(char)
            out.append(
                f"\\x{code:02x}" if code < 0x100
                else f"\\u{code:04x}" if code < 0x10000
                else f"\\U{code:08x}"
            )  # fmt: skip
        else:
            out.append(char)
    return "".join(out)


def message(value: object) -> str:
    """A status or error text for display: secrets redacted (the library's one
    ``redact``), then each line through ``show``."""
    return "\n".join(show(line) for line in redact(str(value)).split("\n"))


def describe(exc: BaseException) -> str:
    """An error for display: its class and message, secrets redacted (``message``)."""
    text = str(exc).strip()
    name = type(exc).__name__
    return message(f"{name}: {text}" if text else name)


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


def set_visible(widget: Any, visible: bool) -> None:
    """Show or hide ``widget`` through its layout (a hidden widget keeps its state)."""
    widget.layout.display = "" if visible else "none"
