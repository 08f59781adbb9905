"""Image thumbnails for the preview: a raster image (PNG, JPEG, GIF, WebP, recognised by
its magic bytes) is decoded with Pillow and scaled down into a ``THUMB_BOX`` square, and
only that small PNG or JPEG goes to the browser.

The image is read whole only up to ``IMAGE_BYTES`` (``preview.load_preview`` enforces
it: a larger one shows a hex dump of its first bytes). Decoding is capped too: an image
whose header announces more than ``THUMB_PIXELS`` pixels (a decompression bomb: a few KB
of PNG that would inflate to gigabytes) is refused before any pixel is decoded, and
Pillow's own ``DecompressionBombError`` is turned into the same message. A corrupt or
truncated image gives a clear message and the hex dump of its first bytes, never an
exception. Without Pillow the image is sent whole (up to ``RAW_IMAGE_BYTES``), as before.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._format import human_size

if TYPE_CHECKING:
    from .preview import Preview

try:  # Pillow is part of the widgets extra, but optional at run time
    from PIL import Image as _PillowImage

    _Image: Any = _PillowImage
except ImportError:  # pragma: no cover - tests set ``Image`` to None instead
    _Image = None

__all__ = [
    "IMAGE_BYTES",
    "for_browser",
    "RAW_IMAGE_BYTES",
    "THUMB_BOX",
    "THUMB_PIXELS",
    "Image",
    "thumbnail",
]

#: Pillow's module, or ``None`` when it is not installed (tests set it to ``None``).
Image: Any = _Image
#: Largest image read whole to make a thumbnail (with Pillow).
IMAGE_BYTES = 16 * 1024 * 1024
#: Largest image sent whole to the browser when Pillow is missing.
RAW_IMAGE_BYTES = 4 * 1024 * 1024
#: The thumbnail fits in a square of this many pixels.
THUMB_BOX = 256
#: Most pixels (width x height) decoded for a thumbnail: at most 160 MB of RGBA while
#: it is made (a JPEG is decoded at a reduced scale first, so a 100-megapixel photo
#: passes). Pillow's own MAX_IMAGE_PIXELS check refuses larger images at ``open``.
THUMB_PIXELS = 40_000_000


def available() -> bool:
    """Whether thumbnails can be made (Pillow is importable)."""
    return Image is not None


def read_cap() -> int:
    """Largest image read whole: ``IMAGE_BYTES`` with Pillow, else ``RAW_IMAGE_BYTES``."""
    return IMAGE_BYTES if available() else RAW_IMAGE_BYTES


async def for_browser(preview: Preview) -> Preview:
    """``preview`` as it may go to the browser: an image as its thumbnail (made in a
    worker thread, so the kernel's loop keeps answering), anything else unchanged."""
    if preview.kind != "image":
        return preview
    return await asyncio.to_thread(thumbnail, preview)


def thumbnail(preview: Preview) -> Preview:
    """The image ``preview`` (``kind == 'image'``) as a thumbnail, or as a hex dump with a
    clear note when it can not be decoded safely. CPU work: run it off the event loop."""
    data = preview.image or b""
    fmt = (preview.image_format or "image").upper()
    if Image is None:
        if len(data) > RAW_IMAGE_BYTES:
            return _refused(preview, f"{fmt} image too large to send without Pillow")
        preview.note += " (sent whole: install Pillow for thumbnails)"
        return preview
    try:
        made, width, height, kind = _scaled(data)
    except _RefusedError as exc:
        return _refused(preview, str(exc))
    except Exception as exc:  # corrupt, truncated or unsupported: say so, never raise
        reason = f"{type(exc).__name__}: {exc}"[:200]
        return _refused(preview, f"{fmt} image could not be decoded ({reason})")
    thumb_w, thumb_h = _size_of(made)
    note = (
        f"{fmt} image, {width}×{height} px, {human_size(len(data))}; "
        f"thumbnail {thumb_w}×{thumb_h} ({kind.upper()}, {human_size(len(made))})"
    )
    return replace(preview, note=note, image=made, image_format=kind)


class _RefusedError(Exception):
    """An image the thumbnailer will not decode (too many pixels)."""


def _scaled(data: bytes) -> tuple[bytes, int, int, str]:
    """``(thumbnail bytes, width, height, 'png' or 'jpeg')`` of the image ``data``."""
    try:
        # ``open`` reads the header only; Pillow refuses there an image of more than
        # twice its MAX_IMAGE_PIXELS, and our own cap on what is decoded comes next.
        with Image.open(io.BytesIO(data)) as im:
            width, height = im.size
            im.draft("RGB", (THUMB_BOX, THUMB_BOX))  # JPEG: decode at a reduced scale
            if im.size[0] * im.size[1] > THUMB_PIXELS:
                raise _RefusedError(_bomb(width, height))
            im.seek(0)  # an animation: its first frame
            im.thumbnail((THUMB_BOX, THUMB_BOX))
            alpha = im.mode in ("RGBA", "LA", "PA") or "transparency" in im.info
            small = im.convert("RGBA" if alpha else "RGB")
    except Image.DecompressionBombError as exc:
        raise _RefusedError(f"decompression bomb refused ({exc})"[:200]) from None
    as_png = io.BytesIO()
    small.save(as_png, "PNG", optimize=True)
    if alpha:
        return as_png.getvalue(), width, height, "png"
    as_jpeg = io.BytesIO()
    small.save(as_jpeg, "JPEG", quality=85)
    # drawings and screenshots are smaller (and crisp) as PNG, photographs as JPEG
    if as_png.tell() <= as_jpeg.tell():
        return as_png.getvalue(), width, height, "png"
    return as_jpeg.getvalue(), width, height, "jpeg"


def _size_of(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as im:
        width, height = im.size
    return int(width), int(height)


def _bomb(width: int, height: int) -> str:
    return (
        f"image of {width:,}×{height:,} pixels refused: more than "
        f"{THUMB_PIXELS:,} pixels to decode (a decompression bomb?)"
    )


def _refused(preview: Preview, why: str) -> Preview:
    from .preview import HEX_BYTES, _pre, hex_dump

    data = preview.image or b""
    note = f"{why}; hex dump of the first {human_size(min(len(data), HEX_BYTES))}"
    return replace(preview, kind="hex", html=_pre(hex_dump(data, HEX_BYTES)), note=note, image=None)
