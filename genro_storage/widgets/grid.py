"""The file grid: one anywidget that shows a folder's entries as a virtualized table.

The browser never holds the folder: it knows how many rows there are (``total``) and asks
the kernel for blocks of rows as they scroll into view (``{"kind": "rows", "start",
"count", "version"}``), keeping only a bounded number of blocks. ``version`` changes
whenever the rows change (another folder, a sort, a filter), so stale blocks are dropped.
The selection is a list of half-open ``[start, end)`` row ranges, so selecting all of a
100,000-entry folder costs one pair.

Row cells are display strings the kernel made (names through ``show``); the script puts
them in the page with ``textContent`` only, never as markup. Everything else the browser
says (open, parent, rename, delete, drop, type-ahead, more, end, action) is passed to the
pane's ``handler`` after its fields are checked: a message of the wrong shape is an error,
never a guess.

The ESM and CSS ship as package data (``grid.js``, ``grid.css``); nothing is fetched from
the network.
"""

from __future__ import annotations

import mimetypes
import secrets
from collections.abc import Callable, Iterable, Sequence
from importlib import resources
from typing import Any

import anywidget
import traitlets as t

from .. import FileInfo, StorageError
from ._format import human_size, human_time, show

__all__ = ["BLOCK_ROWS", "EVENTS", "FileGrid", "row_cells", "ranges_of"]

#: Rows per block the browser asks for (and the most one message carries).
BLOCK_ROWS = 100
#: What the browser may ask of the pane, besides rows.
EVENTS = frozenset(
    {"open", "parent", "rename", "action", "drop", "typeahead", "more", "end", "upload"}
)
_RESOURCES = resources.files("genro_storage.widgets")
_KINDS = {
    "image": (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg", ".bmp", ".ico"),
    "table": (".csv", ".tsv", ".parquet", ".arrow", ".feather", ".xlsx", ".xls"),
    "code": (".py", ".js", ".ts", ".ipynb", ".json", ".yaml", ".yml", ".toml", ".html", ".xml"),
    "text": (".txt", ".md", ".log", ".rst", ".ini", ".cfg"),
    "archive": (".zip", ".gz", ".tar", ".tgz", ".bz2", ".xz", ".zst", ".7z"),
}


def _kind(entry: FileInfo) -> str:
    if entry.isdir:
        return "dir"
    lower = entry.name.lower()
    for kind, suffixes in _KINDS.items():
        if lower.endswith(suffixes):
            return kind
    return "file"


def _type_text(entry: FileInfo) -> str:
    if entry.isdir:
        return "folder"
    if entry.content_type:
        return show(entry.content_type)
    guessed, _ = mimetypes.guess_type(entry.name, strict=False)
    if guessed:
        return guessed
    _, dot, suffix = entry.name.rpartition(".")
    return f"{show(suffix)} file" if dot and suffix and len(suffix) <= 8 else "file"


def row_cells(entry: FileInfo) -> list[str]:
    """One grid row: icon kind, name (escaped by ``show``), size, modified, type."""
    size = "" if entry.isdir and entry.size is None else human_size(entry.size)
    return [_kind(entry), show(entry.name), size, human_time(entry.mtime), _type_text(entry)]


def ranges_of(rows: Iterable[int]) -> list[list[int]]:
    """Sorted row numbers as ``[start, end)`` ranges: ``[1, 2, 3, 7]`` -> ``[[1, 4], [7, 8]]``."""
    out: list[list[int]] = []
    for row in sorted(set(rows)):
        if out and out[-1][1] == row:
            out[-1][1] = row + 1
        else:
            out.append([row, row + 1])
    return out


def _int(content: dict[str, Any], key: str, low: int = 0) -> int:
    value = content.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise StorageError(f"grid message {content.get('kind')!r}: bad {key} {value!r}")
    return value


class FileGrid(anywidget.AnyWidget):
    """The virtualized listing of one pane (see the module docstring).

    ``rows(start, count)`` gives the cells of view rows (the pane's ``visible``), or
    ``None`` when the pane will push them itself (rows of a big folder listed again);
    ``handler(kind, content)`` receives the browser's other requests, already checked.
    """

    _esm = _RESOURCES.joinpath("grid.js").read_text("utf-8")
    _css = _RESOURCES.joinpath("grid.css").read_text("utf-8")

    #: Rows in the view.
    total = t.Int(0).tag(sync=True)
    #: Whether the view holds the whole folder (no page left to list).
    complete = t.Bool(True).tag(sync=True)
    #: Bumped whenever the rows change: the browser drops the blocks it holds.
    version = t.Int(0).tag(sync=True)
    #: The selected rows as ``[start, end)`` ranges.
    selection = t.List(t.List(t.Int())).tag(sync=True)
    #: The row with the keyboard focus (-1: none).
    focus_row = t.Int(-1).tag(sync=True)
    #: The sort column (``name``, ``size``, ``mtime``, ``type``) and direction.
    sort_key = t.Unicode("name").tag(sync=True)
    sort_desc = t.Bool(False).tag(sync=True)
    #: Identifies this grid in drags between panes.
    token = t.Unicode("").tag(sync=True)
    #: The right-click menu: ``[action, label, enabled]`` items.
    menu = t.List(t.List()).tag(sync=True)
    #: A line under the rows (loading, a sort job...).
    note = t.Unicode("").tag(sync=True)
    #: Upload chunk size the browser uses (bytes).
    chunk_bytes = t.Int(1 << 20).tag(sync=True)

    def __init__(
        self,
        rows: Callable[[int, int], list[list[str]] | None],
        handler: Callable[[str, dict[str, Any]], None],
        guard: Callable[[Callable[..., Any]], Callable[..., Any]] = lambda f: f,
    ) -> None:
        super().__init__(token=secrets.token_hex(8))
        self._rows = rows
        self._handler = handler
        #: Messages sent to the browser (kept for tests and debugging; the last 20).
        self.sent: list[dict[str, Any]] = []
        self.on_msg(guard(lambda _w, content, buffers: self.handle(content, buffers)))

    # -- the browser's requests -------------------------------------------------------
    def handle(self, content: Any, buffers: Sequence[bytes] | None = None) -> None:
        """Answer one message of the browser (what ``on_msg`` calls; tests call it too)."""
        if not isinstance(content, dict) or not isinstance(content.get("kind"), str):
            raise StorageError(f"grid message of an unknown shape: {type(content).__name__}")
        kind = content["kind"]
        if kind == "rows":
            start, count = _int(content, "start"), _int(content, "count", 1)
            version = _int(content, "version")
            if version != self.version:
                return  # a stale request: the browser asks again for the new rows
            cells = self._rows(start, min(count, BLOCK_ROWS))
            if cells is None:
                return  # rows listed again first: the pane sends them when they come
            self.push({"kind": "rows", "start": start, "version": version, "rows": cells})
            return
        if kind == "select":  # a click or key: the new selection and focus
            self.select_ranges(content.get("ranges"), content.get("focus"))
            return
        if kind not in EVENTS:
            raise StorageError(f"grid message of an unknown kind: {kind!r}")
        if buffers:
            content = {**content, "buffers": list(buffers)}
        self._handler(kind, content)

    def push(self, content: dict[str, Any]) -> None:
        """Send ``content`` to the browser."""
        self.sent = [*self.sent[-19:], content]
        self.send(content)

    # -- selection ----------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        """The selected row numbers, ascending, within ``total``."""
        rows: set[int] = set()
        for start, end in self.selection:
            rows.update(range(max(0, start), min(end, self.total)))
        return sorted(rows)

    def select_rows(self, rows: Iterable[int], focus: int | None = None) -> None:
        """Select ``rows`` (and put the focus on ``focus``, else the first of them)."""
        chosen = ranges_of(r for r in rows if 0 <= r < self.total)
        with self.hold_sync():
            self.selection = chosen
            if focus is not None:
                self.focus_row = focus
            elif chosen:
                self.focus_row = chosen[0][0]

    def select_ranges(self, ranges: Any, focus: Any = None) -> None:
        """Select ``[start, end)`` ranges (what the browser sends), checked and clipped."""
        if not isinstance(ranges, list) or len(ranges) > 10_000:
            raise StorageError(f"grid selection: not a list of ranges: {type(ranges).__name__}")
        chosen: list[list[int]] = []
        for pair in ranges:
            ok = isinstance(pair, list) and len(pair) == 2
            if not ok or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
                raise StorageError(f"grid selection: bad range {pair!r}")
            start, end = max(0, pair[0]), min(pair[1], self.total)
            if start < end:
                chosen.append([start, end])
        valid_focus = isinstance(focus, int) and not isinstance(focus, bool)
        with self.hold_sync():
            self.selection = chosen
            if valid_focus and -1 <= focus < self.total:
                self.focus_row = focus

    def scroll_to(self, row: int) -> None:
        """Bring ``row`` into view in the browser."""
        self.push({"kind": "scroll", "row": row})

    def reset(self, total: int, complete: bool, selected: Iterable[int] = ()) -> None:
        """New rows: ``total`` of them, the browser drops its blocks; keep ``selected``."""
        chosen = ranges_of(r for r in selected if 0 <= r < total)
        with self.hold_sync():
            self.total = total
            self.complete = complete
            self.version += 1
            self.selection = chosen
            self.focus_row = chosen[0][0] if chosen else (-1 if total == 0 else 0)
