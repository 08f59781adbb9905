"""Data-aware previews: Parquet/Arrow/Feather tables, JSON as a tree, notebooks as a
summary of their cells, Markdown rendered safely.

Every function here builds HTML from escaped text plus tags of its own: nothing from a
file is ever emitted as markup. Markdown is rendered by a small converter that escapes
each line first and then adds only headings, paragraphs, lists, emphasis and code;
links and images become plain text (no ``href``, no ``src``): no script, no event
handler and no remote resource can come out of it.

Tables are read through pyarrow (optional: the ``widgets`` extra) from a file object
that fetches only the byte ranges pyarrow asks for (the footer, then one row group),
with ``node.read_range`` run on the kernel's loop while pyarrow works in a thread.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import re
from typing import TYPE_CHECKING, Any

from ._format import esc, human_size

if TYPE_CHECKING:
    from ..async_ import AsyncStorageNode

__all__ = [
    "TABLE_SUFFIXES",
    "RangeFile",
    "json_tree",
    "load_table",
    "markdown_html",
    "notebook_summary",
]

#: Suffixes previewed as tables through pyarrow.
TABLE_SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".arrow": "ipc", ".feather": "ipc",
                  ".ipc": "ipc"}  # fmt: skip
#: Rows of a table shown, and the most bytes a table preview may read.
TABLE_ROWS = 20
TABLE_READ_BYTES = 32 * 1024 * 1024
#: JSON tree: levels shown, items per level, longest string.
TREE_DEPTH = 8
TREE_ITEMS = 100
TREE_TEXT = 200


# -- JSON ---------------------------------------------------------------------------------
def json_tree(value: Any, depth: int = 0, key: str | None = None) -> str:
    """A collapsed ``<details>`` tree of a parsed JSON value (the top level open)."""
    label = f'<span class="gs-key">{esc(key)}</span>: ' if key is not None else ""
    if isinstance(value, dict | list):
        items = list(value.items()) if isinstance(value, dict) else list(enumerate(value))
        kind = f"{{…}} {len(items):,} keys" if isinstance(value, dict) else f"[…] {len(items):,}"
        if depth >= TREE_DEPTH:
            return f'<div class="gs-leaf">{label}<i>{esc(kind)} (deeper levels not shown)</i></div>'
        inner = "".join(json_tree(v, depth + 1, str(k)) for k, v in items[:TREE_ITEMS])
        if len(items) > TREE_ITEMS:
            inner += f'<div class="gs-leaf gs-muted">… {len(items) - TREE_ITEMS:,} more</div>'
        opened = " open" if depth == 0 else ""
        return (
            f'<details class="gs-tree"{opened}><summary>{label}{esc(kind)}</summary>'
            f"{inner}</details>"
        )
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > TREE_TEXT:
        text = text[:TREE_TEXT] + "…"
    return f'<div class="gs-leaf">{label}{esc(text)}</div>'


# -- notebooks ------------------------------------------------------------------------------
def notebook_summary(notebook: Any) -> tuple[str, str]:
    """``(html, note)``: the kernel and each cell's type and first line."""
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("not a notebook: no list of cells")
    meta = notebook.get("metadata")
    spec = meta.get("kernelspec") if isinstance(meta, dict) else None
    kernel = spec.get("display_name") if isinstance(spec, dict) else None
    counts: dict[str, int] = {}
    rows = []
    for number, cell in enumerate(cells):
        kind = str(cell.get("cell_type", "?")) if isinstance(cell, dict) else "?"
        counts[kind] = counts.get(kind, 0) + 1
        if number < 200:
            source = cell.get("source", "") if isinstance(cell, dict) else ""
            text = "".join(source) if isinstance(source, list) else str(source)
            first = next((line for line in text.splitlines() if line.strip()), "")
            outputs = cell.get("outputs") if isinstance(cell, dict) else None
            extra = f" ({len(outputs)} outputs)" if isinstance(outputs, list) and outputs else ""
            rows.append(
                f"<tr><td>{number + 1}</td><td>{esc(kind)}{esc(extra)}</td>"
                f"<td><code>{esc(first[:160])}</code></td></tr>"
            )
    summary = ", ".join(f"{n:,} {k}" for k, n in sorted(counts.items()))
    head = f"kernel: {kernel}; " if isinstance(kernel, str) else ""
    html = f'<table class="gs-table gs-notebook">{"".join(rows)}</table>'
    return html, f"notebook: {head}{len(cells):,} cells ({summary})"


# -- Markdown -------------------------------------------------------------------------------
_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\(([^)]*)\)"), r'<span class="gs-muted">[image: \1]</span>'),
    (re.compile(r"\[([^\]]+)\]\(([^)]*)\)"), r'\1 <span class="gs-muted">(\2)</span>'),
    (re.compile(r"\*\*([^*]+)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![*\w])\*([^*]+)\*(?!\w)"), r"<i>\1</i>"),
    (re.compile(r"(?<!\w)_([^_]+)_(?!\w)"), r"<i>\1</i>"),
]


def _inline(escaped: str) -> str:
    # Code spans first, kept aside so emphasis rules do not touch them.
    parts = re.split(r"(`[^`]*`)", escaped)
    out = []
    for part in parts:
        if len(part) >= 2 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{part[1:-1]}</code>")
            continue
        for pattern, repl in _INLINE:
            part = pattern.sub(repl, part)
        out.append(part)
    return "".join(out)


def markdown_html(text: str) -> str:
    """Markdown as safe HTML: each line is escaped first, then only our own tags are
    added (headings, paragraphs, lists, quotes, code, emphasis); raw HTML shows as text,
    links and images as text with their target (never fetched or clickable)."""
    out: list[str] = ['<div class="gs-markdown">']
    paragraph: list[str] = []
    in_code = False
    in_list = ""

    def flush() -> None:
        nonlocal in_list
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if in_list:
            out.append(f"</{in_list}>")
            in_list = ""

    for raw in text.splitlines():
        line = esc(raw)
        if raw.lstrip().startswith("```"):
            flush()
            out.append("</pre>" if in_code else '<pre class="gs-pre">')
            in_code = not in_code
            continue
        if in_code:
            out.append(line + "\n")
            continue
        heading = re.match(r"(#{1,6})\s+(.*)", raw)
        item = re.match(r"\s*([-*+]|\d+[.)])\s+(.*)", raw)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(esc(heading.group(2)))}</h{level}>")
        elif item:
            tag = "ol" if item.group(1)[0].isdigit() else "ul"
            if paragraph or in_list != tag:
                flush()
                out.append(f"<{tag}>")
                in_list = tag
            out.append(f"<li>{_inline(esc(item.group(2)))}</li>")
        elif raw.startswith(">"):
            flush()
            out.append(f"<blockquote>{_inline(esc(raw[1:].strip()))}</blockquote>")
        elif not raw.strip():
            flush()
        else:
            if in_list:
                flush()
            paragraph.append(line)
    flush()
    if in_code:
        out.append("</pre>")
    out.append("</div>")
    return "".join(out)


# -- tables through pyarrow ---------------------------------------------------------------
class RangeFile:
    """A read-only file object over a node for pyarrow, used from a worker thread: each
    ``read`` fetches exactly the asked range with ``node.read_range`` on ``loop``.
    ``bytes_read`` counts what was fetched; more than ``limit`` raises. Every read is
    pinned to ``etag`` (the file's ETag when the preview started): never two versions."""

    def __init__(
        self,
        node: AsyncStorageNode,
        size: int,
        loop: asyncio.AbstractEventLoop,
        limit: int,
        etag: str | None = None,
    ) -> None:
        self.node, self.size, self.loop, self.limit = node, size, loop, limit
        self.etag = etag
        self.pos = 0
        self.bytes_read = 0
        self.closed = False

    def seekable(self) -> bool:
        return True

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self.pos, 2: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def read(self, size: int = -1) -> bytes:
        end = self.size if size is None or size < 0 else min(self.size, self.pos + size)
        if end <= self.pos:
            return b""
        if self.bytes_read + end - self.pos > self.limit:
            raise ValueError(f"the preview would read more than {human_size(self.limit)}")
        future = asyncio.run_coroutine_threadsafe(
            self.node.read_range(self.pos, end, etag=self.etag), self.loop
        )
        data = future.result()[: end - self.pos]
        self.bytes_read += len(data)
        self.pos += len(data)
        return data

    def close(self) -> None:
        self.closed = True


def _table_html(table: Any) -> str:
    names = [str(n) for n in table.column_names[:40]]
    head = "".join(f"<th>{esc(n)}</th>" for n in names)
    rows = []
    columns = [table.column(i).to_pylist() for i in range(len(names))]
    for r in range(table.num_rows):
        cells = []
        for column in columns:
            text = str(column[r])
            cells.append(f"<td>{esc(text[:200] + ('…' if len(text) > 200 else ''))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f'<table class="gs-table"><tr>{head}</tr>{"".join(rows)}</table>'


def _schema_html(schema: Any) -> str:
    rows = "".join(
        f"<tr><td>{esc(field.name)}</td><td><code>{esc(str(field.type))}</code></td></tr>"
        for field in list(schema)[:200]
    )
    return f'<table class="gs-table gs-schema"><tr><th>column</th><th>type</th></tr>{rows}</table>'


def _read_table(source: RangeFile, kind: str) -> tuple[Any, Any, int, str]:
    import pyarrow.ipc as ipc  # type: ignore[import-untyped]  # pyarrow ships no types
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    if kind == "parquet":
        parquet = pq.ParquetFile(source, pre_buffer=False)
        meta = parquet.metadata
        first = parquet.read_row_group(0).slice(0, TABLE_ROWS) if meta.num_row_groups else None
        detail = f"Parquet: {meta.num_rows:,} rows in {meta.num_row_groups:,} row groups"
        return parquet.schema_arrow, first, meta.num_rows, detail
    reader = ipc.open_file(source)
    batches = reader.num_record_batches
    first = reader.get_batch(0).slice(0, TABLE_ROWS) if batches else None
    rows = first.num_rows if batches == 1 and first is not None else -1
    return reader.schema, first, rows, f"Arrow IPC: {batches:,} record batches"


async def load_table(
    node: AsyncStorageNode, size: int, kind: str, etag: str | None = None
) -> tuple[str, str]:
    """``(html, note)`` of a Parquet or Arrow file: schema, row count, first rows,
    reading only the ranges pyarrow needs (the footer and the first row group), all
    pinned to ``etag`` (``info().etag``) when given."""
    if importlib.util.find_spec("pyarrow") is None:  # optional: the widgets extra
        raise ValueError("pyarrow is not installed (pip install 'genro-storage[widgets]')")

    source = RangeFile(node, size, asyncio.get_running_loop(), TABLE_READ_BYTES, etag)
    schema, first, rows, detail = await asyncio.to_thread(_read_table, source, kind)
    parts = [f"<div><b>{esc(detail)}</b>, {len(schema):,} columns</div>", _schema_html(schema)]
    if first is not None:
        parts.append(f"<div>first {first.num_rows:,} rows:</div>")
        parts.append(_table_html(first))
    fetched = f"fetched {human_size(source.bytes_read)} of a {human_size(size)} file"
    note = f"{detail}; {fetched} (footer and first row group or batch)"
    return "".join(parts), note
