"""Sample files for trying the explorer, generated in code (no binaries in the repo).

``sample_files()`` returns ``{relative path: bytes}``: text (UTF-8 and Latin-1), JSON,
CSV (with a cell that looks like a ``<script>`` tag), a PNG drawn here, a GIF, binary
bytes, HTML and SVG that try to run script (the explorer shows them escaped), a large
log (previewed by its first bytes only) and, optionally, a folder of many small files
(paged listing). ``write_sample_folder(path)`` puts them on disk; ``await
fill_mount(node)`` writes them through the async API (for a memory mount, say).
"""

from __future__ import annotations

import csv
import io
import json
import random
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..async_.node import AsyncStorageNode

__all__ = ["fill_mount", "png_bytes", "sample_files", "write_sample_folder"]

#: The smallest valid GIF: one pixel (GIF89a, 43 bytes).
TINY_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


def png_bytes(
    width: int = 96,
    height: int = 64,
    pixel: Callable[[int, int], tuple[int, int, int]] | None = None,
) -> bytes:
    """A truecolor PNG drawn by ``pixel(x, y) -> (r, g, b)`` (a gradient by default)."""

    def default(x: int, y: int) -> tuple[int, int, int]:
        return (x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), 160)

    draw = pixel or default
    rows = b"".join(
        b"\x00" + b"".join(bytes(draw(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def sample_files(many: int = 0, big_kib: int = 300) -> dict[str, bytes]:
    """The sample set; ``many`` adds ``many/item-00000.txt``... (0 for none)."""
    rng = random.Random(42)
    people = [
        ["name", "city", "score", "note"],
        ["Ada", "London", "97", "first programmer"],
        ["Grace", "New York", "95", 'COBOL, "bugs"'],
        ["Linus", "Helsinki", "88", "<script>alert('csv')</script>"],
        ["Zoë", "Zürich", "91", "UTF-8 name"],
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(people)
    csv_text = out.getvalue()
    config = {
        "name": "genro-storage demo",
        "mounts": ["disk", "mem"],
        "limits": {"preview_bytes": 65536, "page_size": 200},
        "html": "<b>not rendered</b>",
    }
    log_line = "2024-05-01 12:00:00 INFO request served in 12 ms\n"
    files: dict[str, bytes] = {
        "README.txt": (
            "genro-storage explorer demo\n\n"
            "Pick a mount, open a folder, select a file to preview it.\n"
            "Accents are fine: café, naïve, Zürich, 東京.\n"
        ).encode(),
        "notes-latin1.txt": "Crème brûlée, façade, señor (Latin-1 bytes)\n".encode("latin-1"),
        "data/people.csv": csv_text.encode(),
        "data/config.json": json.dumps(config).encode(),
        "data/events.log": (log_line * (big_kib * 1024 // len(log_line) + 1)).encode(),
        "images/gradient.png": png_bytes(),
        "images/checker.png": png_bytes(
            48, 48, lambda x, y: (30, 30, 30) if (x // 8 + y // 8) % 2 else (240, 200, 40)
        ),
        "images/pixel.gif": TINY_GIF,
        "web/page.html": (
            b"<!doctype html><html><body><h1>Hello</h1>"
            b"<script>alert('this must never run')</script>"
            b'<img src=x onerror="alert(1)"></body></html>\n'
        ),
        "web/logo.svg": (
            b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" '
            b'onload="alert(1)"><script>alert("svg")</script>'
            b'<circle cx="20" cy="20" r="18" fill="teal"/></svg>\n'
        ),
        "bin/random.bin": bytes(rng.getrandbits(8) for _ in range(2048)),
    }
    for number in range(many):
        files[f"many/item-{number:05d}.txt"] = f"item {number}\n".encode()
    return files


def write_sample_folder(path: str | Path, many: int = 1000) -> Path:
    """Write ``sample_files(many)`` below ``path`` (created); returns the folder."""
    root = Path(path)
    for relative, data in sample_files(many).items():
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return root


async def fill_mount(root: AsyncStorageNode, files: dict[str, bytes] | None = None) -> int:
    """Write ``files`` (default: ``sample_files()``) below ``root``; returns the count."""
    chosen = sample_files() if files is None else files
    for relative, data in chosen.items():
        await root.child(relative).write_bytes(data)
    return len(chosen)
