"""Image previews are thumbnails: decoded with Pillow under a size and pixel cap, scaled
into a small box and re-encoded, so only a few KB reach the browser; bombs and corrupt
images give a clear message instead of an exception (``widgets/thumbnail.py``)."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import StorageExplorer, thumbnail
from genro_storage.widgets.preview import load_preview


@pytest.fixture
async def storage() -> AsyncIterator[AsyncStorageManager]:
    async with AsyncStorageManager([{"name": "mem", "type": "memory"}]) as manager:
        yield manager


def big_png(width: int = 2400, height: int = 1600) -> bytes:
    """A large lossless drawing (gradient, shapes)."""
    across = Image.linear_gradient("L").rotate(90).resize((width, height))
    down = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width, height), 40)  # does not compress: a big file
    im = Image.merge("RGB", (across, down, noise))
    for x in range(0, width, 200):
        im.paste((200, 30, 30), (x, 100, x + 80, 300))
    out = io.BytesIO()
    im.save(out, "PNG")
    return out.getvalue()


def big_jpeg(width: int = 4000, height: int = 3000) -> bytes:
    im = Image.radial_gradient("L").resize((width, height)).convert("RGB")
    out = io.BytesIO()
    im.save(out, "JPEG", quality=95)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def bomb_png(side: int = 100_000) -> bytes:
    """A valid PNG header announcing ``side`` x ``side`` pixels, a few bytes long."""
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)  # 8-bit grey
    idat = zlib.compress(b"\x00" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


async def preview_of(storage: AsyncStorageManager, name: str, data: bytes):  # type: ignore[no-untyped-def]
    node = storage.node(f"mem:{name}")
    await node.write_bytes(data)
    return await load_preview(node)


async def test_a_large_png_becomes_a_small_thumbnail(storage):
    data = big_png()
    assert len(data) > 1_000_000
    preview = await preview_of(storage, "big.png", data)
    assert preview.kind == "image" and preview.image is not None
    with Image.open(io.BytesIO(preview.image)) as shown:
        assert max(shown.size) == thumbnail.THUMB_BOX and shown.size[0] <= thumbnail.THUMB_BOX
        assert shown.size[1] <= thumbnail.THUMB_BOX
    assert len(preview.image) < 16_000  # a few KB, not the 2400 x 1600 original
    assert "2400×1600 px" in preview.note and "thumbnail 256×171" in preview.note


async def test_a_large_jpeg_becomes_a_jpeg_thumbnail(storage):
    data = big_jpeg()
    preview = await preview_of(storage, "photo.jpg", data)
    assert preview.kind == "image" and preview.image_format == "jpeg"
    assert preview.image is not None and len(preview.image) < 16_000
    with Image.open(io.BytesIO(preview.image)) as shown:
        assert shown.size == (256, 192)


async def test_the_explorer_shows_the_thumbnail(storage):
    await storage.node("mem:pics/big.png").write_bytes(big_png())
    explorer = StorageExplorer(storage)
    try:
        assert await explorer.preview("mem:pics/big.png")
        shown = explorer.preview_image.value
        assert len(shown) < 16_000 and explorer.preview_image.layout.display != "none"
        assert "thumbnail" in explorer.preview_note.value
    finally:
        explorer.close()


async def test_a_decompression_bomb_is_refused_before_decoding(storage):
    data = bomb_png(9_000)  # 81 million pixels: above our cap, below Pillow's warning
    assert len(data) < 200
    preview = await preview_of(storage, "bomb.png", data)
    assert preview.kind == "hex" and preview.image is None
    assert "9,000×9,000 pixels refused" in preview.note
    assert "decompression bomb" in preview.note
    huge = await preview_of(storage, "huge.png", bomb_png(100_000))  # Pillow refuses it
    assert huge.kind == "hex" and "decompression bomb refused" in huge.note


async def test_pillows_own_bomb_check_gives_the_same_kind_of_message(storage, monkeypatch):
    monkeypatch.setattr(thumbnail, "THUMB_PIXELS", 10**12)  # our cap out of the way
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)  # Pillow raises above twice it
    im = Image.new("L", (100, 100))
    out = io.BytesIO()
    im.save(out, "PNG")
    preview = await preview_of(storage, "b.png", out.getvalue())
    assert preview.kind == "hex"
    assert "decompression bomb refused" in preview.note, preview.note


async def test_corrupt_and_truncated_images_give_a_clear_message(storage):
    good = big_png(300, 200)
    corrupt = good[:40] + b"\xff" * 2000 + good[2040:]
    truncated = good[: len(good) // 2]
    for name, data in (("corrupt.png", corrupt), ("cut.png", truncated)):
        preview = await preview_of(storage, name, data)
        assert preview.kind == "hex", name
        assert "PNG image could not be decoded" in preview.note, preview.note
        assert "hex dump" in preview.note
    garbage_jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 64
    preview = await preview_of(storage, "x.jpg", garbage_jpeg)
    assert preview.kind == "hex" and "JPEG image could not be decoded" in preview.note


async def test_without_pillow_the_image_is_sent_whole_with_a_note(storage, monkeypatch):
    monkeypatch.setattr(thumbnail, "Image", None)
    small = big_png(60, 40)
    preview = await preview_of(storage, "s.png", small)
    assert preview.kind == "image" and preview.image == small
    assert "install Pillow for thumbnails" in preview.note
    # and the read cap falls back to 4 MiB
    assert thumbnail.read_cap() == thumbnail.RAW_IMAGE_BYTES


async def test_svg_stays_escaped_source(storage):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>x</script></svg>'
    preview = await preview_of(storage, "logo.svg", svg)
    assert preview.kind == "source" and preview.image is None
    assert "<script" not in preview.html and "&lt;script&gt;" in preview.html
    renamed = await preview_of(storage, "logo.png", svg)  # the name does not make it an image
    assert renamed.kind == "source" and renamed.image is None


async def test_a_photo_beyond_the_pixel_cap_is_decoded_at_a_reduced_scale(storage):
    """A JPEG is decoded at 1/2 to 1/8 scale (``draft``): 49 megapixels pass the cap."""
    im = Image.radial_gradient("L").resize((7000, 7000))
    out = io.BytesIO()
    im.save(out, "JPEG", quality=70)
    del im
    assert thumbnail.THUMB_PIXELS < 7000 * 7000
    preview = await preview_of(storage, "huge.jpg", out.getvalue())
    assert preview.kind == "image", preview.note
    assert "7000×7000 px" in preview.note and "thumbnail 256×256" in preview.note
