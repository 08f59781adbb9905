"""Data-aware previews: tables read by ranges through pyarrow, JSON trees, notebook
summaries and Markdown rendered without any markup of the file's own."""

from __future__ import annotations

import io
import json
import re
import threading
from html.parser import HTMLParser
from typing import Any, ClassVar

import pandas as pd
import pytest

from genro_storage.async_ import AsyncStorageManager
from genro_storage.backends.memory import MemoryBackend
from genro_storage.widgets.preview import load_preview, render
from genro_storage.widgets.preview_data import TREE_DEPTH, markdown_html

MARKUP = re.compile(r"<\s*(script|img|svg|iframe|object|embed|style|a|link|video|audio)\b", re.I)


class RangeSpy(MemoryBackend):
    """A memory store that records every read, to prove previews read ranges only."""

    reads: ClassVar[list[tuple[str, int, int | None]]] = []
    inner = threading.local()

    def read_range(self, path: str, start: int, end: int | None, etag: str | None = None) -> bytes:
        RangeSpy.reads.append((path, start, end))
        RangeSpy.inner.on = True  # the memory store reads a range out of its bytes
        try:
            return super().read_range(path, start, end, etag)
        finally:
            RangeSpy.inner.on = False

    def read_bytes(self, path: str) -> bytes:
        if not getattr(RangeSpy.inner, "on", False):
            RangeSpy.reads.append((path, 0, None))
        return super().read_bytes(path)

    def open_read(self, path: str) -> Any:
        RangeSpy.reads.append((path, 0, None))
        return super().open_read(path)


@pytest.fixture
async def storage():
    manager = AsyncStorageManager()
    manager.register_backend_type("spy", RangeSpy)
    manager.configure([{"name": "m", "type": "spy"}])
    RangeSpy.reads.clear()
    yield manager
    await manager.close()


def frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {"n": range(rows), "text": [f"<script>alert({i})</script>" for i in range(rows)]}
    )


async def test_parquet_preview_reads_the_footer_and_one_row_group(storage):
    buf = io.BytesIO()
    frame(200_000).to_parquet(buf, row_group_size=20_000)
    data = buf.getvalue()
    await storage.node("m:t.parquet").write_bytes(data)
    RangeSpy.reads.clear()
    preview = await load_preview(storage.node("m:t.parquet"))
    assert preview.kind == "table"
    assert "200,000 rows in 10 row groups" in preview.note
    assert "<td>n</td><td><code>int64</code>" in preview.html  # the schema
    assert "&lt;script&gt;alert(19)&lt;/script&gt;" in preview.html  # first rows, escaped
    assert not MARKUP.search(preview.html)
    read = sum((end or len(data)) - start for _, start, end in RangeSpy.reads)
    assert all(end is not None for _, _, end in RangeSpy.reads)  # ranges only
    assert read < len(data) / 4, (read, len(data))  # footer + one row group of ten


async def test_feather_and_a_fake_parquet(storage):
    buf = io.BytesIO()
    frame(1000).to_feather(buf)
    await storage.node("m:t.feather").write_bytes(buf.getvalue())
    preview = await load_preview(storage.node("m:t.feather"))
    assert preview.kind == "table" and "Arrow IPC" in preview.note
    assert "&lt;script&gt;alert(0)" in preview.html and not MARKUP.search(preview.html)
    await storage.node("m:fake.parquet").write_bytes(b"<script>alert(1)</script>")
    preview = await load_preview(storage.node("m:fake.parquet"))
    assert preview.kind != "table" and "not read as a table" in preview.note
    assert not MARKUP.search(preview.html)


def test_json_is_a_collapsed_depth_limited_tree():
    doc: Any = {"<b>key</b>": "<img src=x onerror=alert(1)>", "list": list(range(500))}
    deep: Any = doc
    for _ in range(TREE_DEPTH + 5):
        deep["child"] = {}
        deep = deep["child"]
    preview = render(json.dumps(doc).encode(), "d.json")
    assert preview.kind == "json"
    assert preview.html.startswith('<details class="gs-tree" open>')
    assert preview.html.count("<details") <= TREE_DEPTH + 3
    assert "deeper levels not shown" in preview.html
    assert "… 400 more" in preview.html  # 100 items per level
    assert "&lt;b&gt;key&lt;/b&gt;" in preview.html and not MARKUP.search(preview.html)


def test_notebook_summary():
    notebook = {
        "cells": [
            {"cell_type": "markdown", "source": ["# Title <script>x</script>\n"]},
            {"cell_type": "code", "source": "import os\nprint(1)", "outputs": [{}, {}]},
        ],
        "metadata": {"kernelspec": {"display_name": "Python <3>"}},
    }
    preview = render(json.dumps(notebook).encode(), "n.ipynb")
    assert preview.kind == "notebook"
    assert "2 cells (1 code, 1 markdown)" in preview.note and "Python <3>" in preview.note
    assert "import os" in preview.html and "(2 outputs)" in preview.html
    assert not MARKUP.search(preview.html)


HOSTILE_MARKDOWN = """# Hello <script>alert(1)</script>
<img src=x onerror=alert(2)>
Some **bold** and *it* and `<code>` and [click](javascript:alert(3)).
![remote](https://example.com/track.png)
- item <iframe src=//evil></iframe>
1. first
<a href="http://evil" onclick="alert(4)">x</a>
> quote <svg onload=alert(5)>
```
<script>alert(6)</script>
```
"""


class Tags(HTMLParser):
    """The tags and attribute names a browser would see in some HTML."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attributes.update(name for name, _ in attrs)


def test_markdown_is_rendered_with_no_markup_of_its_own():
    html = markdown_html(HOSTILE_MARKDOWN)
    assert "<h1>Hello &lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "<b>bold</b>" in html and "<i>it</i>" in html and "<code>&lt;code&gt;</code>" in html
    assert "<ul><li>" in html and "<ol><li>first</li></ol>" in html
    assert "<blockquote>" in html and '<pre class="gs-pre">' in html
    assert not MARKUP.search(html), html
    tags = Tags()
    tags.feed(html)
    assert tags.names <= {"div", "h1", "p", "b", "i", "code", "span", "ul", "ol", "li",
                          "blockquote", "pre"}, tags.names  # fmt: skip
    assert tags.attributes <= {"class"}, tags.attributes  # no handler, no href, no src
    assert "[image: remote]" in html
    preview = render(HOSTILE_MARKDOWN.encode(), "README.md")
    assert preview.kind == "markdown" and preview.html == html
