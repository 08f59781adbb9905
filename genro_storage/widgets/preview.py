"""File previews for the explorer: bytes in, escaped HTML (or image bytes) out.

Rendering is pure (:func:`render`); only :func:`load_preview` does I/O, and it reads at
most ``limit`` bytes of a file through ``read_range`` (more only for an image small
enough to show whole). Whatever the content, the HTML produced here never contains
markup taken from the file: text, JSON, CSV cells, HTML and SVG sources and the ASCII
column of a hex dump are all escaped with :func:`html.escape`, so a file can not run
script or inject markup into the notebook. HTML and SVG are shown as source, never
rendered; images are handed to ``ipywidgets.Image`` as bytes (PNG, JPEG, GIF, WebP only,
recognised by their magic bytes, not by the file name).
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import FileInfo
from .._shared.paths import mimetype as guess_mimetype
from .._shared.paths import suffix as path_suffix
from . import thumbnail as thumbnail_mod
from ._format import esc, human_size
from .preview_data import TABLE_SUFFIXES, json_tree, load_table, markdown_html, notebook_summary

if TYPE_CHECKING:
    from ..async_ import AsyncStorageNode

__all__ = [
    "HEX_BYTES",
    "IMAGE_BYTES",
    "PREVIEW_BYTES",
    "Preview",
    "decode_text",
    "hex_dump",
    "load_preview",
    "render",
    "sniff_image",
]

#: Bytes read from the start of a file to preview it.
PREVIEW_BYTES = 64 * 1024
#: Largest image read whole to make its thumbnail (``thumbnail.py``; 4 MiB without Pillow).
IMAGE_BYTES = thumbnail_mod.IMAGE_BYTES
#: Bytes of a binary file shown in the hex dump.
HEX_BYTES = 4 * 1024
#: Rows and columns of a CSV table, and the longest cell shown.
CSV_ROWS = 200
CSV_COLS = 40
CSV_CELL = 200

#: Deepest JSON nesting pretty-printed; deeper documents are shown as text (parsing and
#: printing them recurses once per level, and a 60 KB file can nest 30,000 levels).
JSON_DEPTH = 100

JSON_SUFFIXES = {".json", ".geojson", ".ipynb", ".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv": ",", ".tsv": "\t", ".tab": "\t"}
SOURCE_SUFFIXES = {".html", ".htm", ".xhtml", ".svg", ".svgz", ".xml", ".xsl", ".mhtml"}
SOURCE_STARTS = (b"<!doctype html", b"<html", b"<svg", b"<?xml")
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown"}
#: Largest notebook read whole to summarise its cells.
NOTEBOOK_BYTES = 4 * 1024 * 1024


@dataclass
class Preview:
    """What the preview pane shows for some bytes.

    ``kind`` is one of ``'text'``, ``'json'`` (a collapsed tree), ``'csv'``, ``'table'``
    (Parquet/Arrow through pyarrow), ``'notebook'``, ``'markdown'`` (rendered safely),
    ``'source'`` (HTML/SVG/XML shown escaped), ``'image'``, ``'hex'``, ``'empty'``.
    ``html`` is safe to put in an ``HTML`` widget (every piece of file content in it is
    escaped); ``image`` and ``image_format`` are set for ``'image'``. ``note`` says what
    is shown: the encoding used, and whether only the first bytes were read.
    """

    kind: str
    html: str = ""
    note: str = ""
    encoding: str | None = None
    image: bytes | None = None
    image_format: str | None = None
    bytes_read: int = 0
    size: int | None = None
    truncated: bool = False


def sniff_image(data: bytes) -> str | None:
    """The image format from magic bytes (``'png'``, ``'jpeg'``, ``'gif'``, ``'webp'``)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def looks_binary(data: bytes) -> bool:
    """True for a NUL byte, or for many control characters, in the first 8 KiB."""
    sample = data[:8192]
    if not sample:
        return False
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if (b < 32 and b not in b"\t\n\r\f\b\x1b") or b == 127)
    return controls / len(sample) > 0.1


def decode_text(data: bytes, truncated: bool = False) -> tuple[str, str]:
    """Decode as UTF-8 (BOM honoured; UTF-16 when it has a BOM), else as Latin-1.

    When the bytes were cut (``truncated``), a multi-byte character split at the end
    is dropped rather than making the whole text fall back to Latin-1.
    Returns ``(text, encoding)``.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        cut = data[: len(data) - (len(data) % 2)]
        return cut.decode("utf-16", errors="replace"), "utf-16"
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    name = "utf-8-sig" if body is not data else "utf-8"
    try:
        return body.decode("utf-8"), name
    except UnicodeDecodeError as exc:
        if truncated and exc.reason == "unexpected end of data" and exc.start >= len(body) - 3:
            try:
                return body[: exc.start].decode("utf-8"), name
            except UnicodeDecodeError:
                pass
    return data.decode("latin-1"), "latin-1"


def hex_dump(data: bytes, limit: int = HEX_BYTES) -> str:
    """A classic 16-bytes-per-line hex + ASCII dump of the first ``limit`` bytes (plain
    text; escape it before putting it in HTML)."""
    lines = []
    for offset in range(0, min(len(data), limit), 16):
        chunk = data[offset : offset + 16]
        left = " ".join(f"{b:02x}" for b in chunk[:8])
        right = " ".join(f"{b:02x}" for b in chunk[8:])
        ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {left:<23}  {right:<23}  |{ascii_}|")
    return "\n".join(lines)


def json_depth_over(text: str, limit: int = JSON_DEPTH) -> bool:
    """Whether ``text`` nests arrays/objects deeper than ``limit`` (one linear scan,
    brackets inside strings ignored; no recursion)."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def _pre(text: str) -> str:
    return f'<pre class="gs-pre">{esc(text)}</pre>'


def _csv_table(text: str, delimiter: str | None, truncated: bool) -> tuple[str, str]:
    if truncated and "\n" in text:
        text = text[: text.rfind("\n")]  # the last line may be cut in the middle
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:4096], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    more_rows = False
    for row in reader:
        if len(rows) == CSV_ROWS:
            more_rows = True
            break
        rows.append(row)
    width = max((len(r) for r in rows), default=0)
    more_cols = width > CSV_COLS

    def cell(value: str, tag: str) -> str:
        shown = value if len(value) <= CSV_CELL else value[:CSV_CELL] + "…"
        return f"<{tag}>{esc(shown)}</{tag}>"

    parts = ['<table class="gs-table">']
    for number, row in enumerate(rows):
        tag = "th" if number == 0 else "td"
        cells = "".join(cell(v, tag) for v in row[:CSV_COLS])
        parts.append(f"<tr>{cells}</tr>")
    parts.append("</table>")
    notes = [f"{len(rows) - 1 if rows else 0:,} data rows shown"]
    if more_rows or truncated:
        notes.append(f"first {CSV_ROWS} rows at most")
    if more_cols:
        notes.append(f"first {CSV_COLS} of {width} columns")
    delim_name = {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}.get(delimiter)
    notes.append(f"{delim_name or repr(delimiter)}-separated")
    return "".join(parts), ", ".join(notes)


def render(
    data: bytes,
    name: str = "",
    size: int | None = None,
    truncated: bool = False,
    content_type: str | None = None,
) -> Preview:
    """Turn the (first) bytes of a file into a :class:`Preview`.

    ``name`` gives the suffix (``.json``, ``.csv``, ``.html``...); ``size`` is the whole
    file's size and ``truncated`` says that ``data`` is only its beginning.
    """
    suffix = path_suffix(name).lower()
    mime = (content_type or guess_mimetype(name or "x")).lower()
    size = len(data) if size is None and not truncated else size
    what = (
        f"first {human_size(len(data))} of {human_size(size) if size is not None else '?'}"
        if truncated
        else human_size(len(data))
    )
    # Every preview says how much was read of how much.
    base = functools.partial(Preview, bytes_read=len(data), size=size, truncated=truncated)

    if not data:
        return base("empty", '<p class="gs-muted">(empty file)</p>', "empty file")

    image = sniff_image(data)
    if image is not None and not truncated:
        return base("image", note=f"{image.upper()} image, {what}", image=data, image_format=image)

    if image is not None or looks_binary(data):
        shown = min(len(data), HEX_BYTES)
        lead = (
            f"{image.upper()} image too large to read whole (cap {human_size(IMAGE_BYTES)}, "
            f"4 MiB without Pillow); "
            if image
            else "binary; "
        )
        note = f"{lead}hex dump of the first {human_size(shown)} ({what} read)"
        return base("hex", _pre(hex_dump(data, HEX_BYTES)), note)

    text, encoding = decode_text(data, truncated)
    enc_note = f"decoded as {encoding}" + (
        " (not valid UTF-8, fell back to latin-1)" if encoding == "latin-1" else ""
    )
    head = data[:64].lstrip().lower()

    if suffix in SOURCE_SUFFIXES or "html" in mime or "svg" in mime or "xml" in mime:
        note = f"source shown as text, never rendered; {enc_note}; {what}"
        return base("source", _pre(text), note, encoding)
    if head.startswith(SOURCE_STARTS):
        note = f"markup shown as text, never rendered; {enc_note}; {what}"
        return base("source", _pre(text), note, encoding)

    if suffix in JSON_SUFFIXES or mime.endswith("json"):
        if not truncated and suffix not in (".jsonl", ".ndjson"):
            if json_depth_over(text):
                note = f"JSON nested deeper than {JSON_DEPTH} levels, shown as text; {enc_note}"
                return base("text", _pre(text), f"{note}; {what}", encoding)
            try:
                parsed = json.loads(text)
                pretty = json.dumps(parsed, indent=2, ensure_ascii=False)
            except (ValueError, RecursionError) as exc:
                note = f"not valid JSON ({exc}), shown as text; {enc_note}; {what}"
                return base("text", _pre(text), note, encoding)
            if suffix == ".ipynb":
                try:
                    cells, summary = notebook_summary(parsed)
                except ValueError:
                    pass
                else:
                    return base("notebook", cells, f"{summary}; {what}", encoding)
            tree = json_tree(parsed)  # collapsed, depth-limited; the text below it
            as_text = f'<details class="gs-tree"><summary>as text</summary>{_pre(pretty)}</details>'
            return base("json", tree + as_text, f"JSON, {enc_note}; {what}", encoding)
        note = f"JSON shown as text (only the start was read); {enc_note}; {what}"
        return base("text", _pre(text), note, encoding)

    if suffix in MARKDOWN_SUFFIXES or mime == "text/markdown":
        note = f"Markdown, rendered without HTML, links or images; {enc_note}; {what}"
        return base("markdown", markdown_html(text), note, encoding)

    if suffix in CSV_SUFFIXES or mime in ("text/csv", "text/tab-separated-values"):
        table, table_note = _csv_table(text, CSV_SUFFIXES.get(suffix), truncated)
        note = f"CSV table: {table_note}; {enc_note}; {what}"
        return base("csv", table, note, encoding)

    return base("text", _pre(text), f"text, {enc_note}; {what}", encoding)


async def load_preview(
    node: AsyncStorageNode,
    info: FileInfo | None = None,
    limit: int = PREVIEW_BYTES,
    image_limit: int | None = None,
) -> Preview:
    """Read the first ``limit`` bytes of ``node`` (one ``read_range``) and render them.

    An image is read whole only when it is at most ``image_limit`` bytes (by default
    ``IMAGE_BYTES`` with Pillow, 4 MiB without); a larger one is shown as a hex dump of
    its first bytes. A whole image is turned into a thumbnail (``thumbnail.py``), off
    the event loop.
    """
    if image_limit is None:
        image_limit = thumbnail_mod.read_cap()
    if info is None:
        info = await node.info()
    size = info.size
    suffix = path_suffix(node.basename).lower()
    table = TABLE_SUFFIXES.get(suffix)
    if table and size:
        try:
            html, note = await load_table(node, size, table, info.etag)
        except Exception as exc:  # not a table after all: show its first bytes, say why
            failed = f"not read as a table ({type(exc).__name__}: {exc}); "
        else:
            return Preview("table", html, note, bytes_read=0, size=size)
    else:
        failed = ""
    if suffix == ".ipynb" and size is not None and size <= NOTEBOOK_BYTES:
        limit = max(limit, size)  # a notebook is summarised from its whole JSON
    # Every read is pinned to the ETag of ``info``: a file replaced meanwhile raises the
    # "changed while it was read" error instead of showing parts of two versions.
    etag = info.etag
    data = (await node.read_range(0, limit, etag=etag))[:limit]  # never more than asked
    truncated = len(data) < size if size is not None else len(data) >= limit
    if truncated and size is not None and size <= image_limit and sniff_image(data):
        data = (data + await node.read_range(len(data), size, etag=etag))[:image_limit]
        truncated = len(data) < size
    preview = render(data, node.basename, size, truncated, info.content_type)
    preview = await thumbnail_mod.for_browser(preview)
    if failed:
        preview.note = failed + preview.note
    return preview
