"""HTTP servers that lie: every read stays bounded, correct, or refused with a library
error, in both APIs.

The hostile server (``servers.HostileHTTPServer``) ignores ``Range``, announces more
bytes than it sends, sends gzip bombs and endless bodies, and redirects across origins
and schemes. Memory ceilings are measured inside the tests (``memwatch.PeakRSS``): peak
resident growth below 64 MiB while files of 160-200 MiB, a 1 GiB bomb or an endless
body go by. These are memory ceilings, not timings.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from memwatch import PeakRSS
from mounts import test_node
from servers import PATTERN_BLOCK, HostileHTTPServer, MiB, pattern

from genro_storage import (
    StorageBackendError,
    StorageConfigError,
    StorageError,
    StorageManager,
    StorageNotFoundError,
    StoragePermissionError,
)
from genro_storage._shared import httpwire, sansio
from genro_storage.async_ import AsyncStorageManager
from genro_storage.widgets import PREVIEW_BYTES, StorageExplorer
from genro_storage.widgets.explorer import DOWNLOAD_BYTES
from genro_storage.widgets.preview import load_preview

CEILING = 64 * MiB


def pattern_md5(size: int) -> str:
    digest = hashlib.md5()
    left = size
    while left:
        piece = PATTERN_BLOCK[:left]
        digest.update(piece)
        left -= len(piece)
    return digest.hexdigest()


def hostile_mount(server: HostileHTTPServer, name: str = "h", path: str = "files", **extra):
    return {"name": name, "type": "http", "base_url": server.url(path), **extra}


@pytest.fixture
def hostile(hostile_server, open_storage):
    """``(node_factory, server)``: nodes of a mount on the hostile server's ``/files/``,
    with a local mount ``disk`` beside it, in the test's API."""

    def make(tmp: Any, **extra: Any) -> Any:
        return open_storage(
            [
                hostile_mount(hostile_server, **extra),
                {"name": "disk", "type": "local", "path": str(tmp)},
            ]
        )

    return make


# -- 1. ranged and bounded reads ------------------------------------------------------------


async def test_a_server_that_ignores_range_is_sliced_here(hostile, hostile_server, tmp_path):
    storage = hostile(tmp_path)
    node = test_node(storage, "h:norange.bin")
    with PeakRSS() as peak:
        assert await node.size() == hostile_server.BIG
        assert await node.read_range(100, 110) == pattern(100, 110)
        assert await node.read_range(5 * MiB + 3, 5 * MiB + 20) == pattern(
            5 * MiB + 3, 5 * MiB + 20
        )
        assert await node.read_range(0, 1) == pattern(0, 1)
        async with node.open("rb") as f:
            assert await f.read(10) == pattern(0, 10)
            assert await f.read(5) == pattern(10, 15)
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"


async def test_a_gzip_bomb_is_read_as_sent_never_decoded(hostile, hostile_server, tmp_path):
    storage = hostile(tmp_path)
    bomb = hostile_server.bomb
    with PeakRSS() as peak:
        for name in ("bomb.bin", "bomb-chunked.bin"):
            node = test_node(storage, f"h:{name}")
            assert await node.read_range(0, 100) == bomb[:100]
            assert await node.read_range(1000, 1010) == bomb[1000:1010]
            async with node.open("rb") as f:
                assert await f.read(10) == bomb[:10]
            assert await node.read_bytes() == bomb  # the ~1 MB sent, not 1 GiB
        assert await test_node(storage, "h:bomb.bin").size() == len(bomb)
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"


async def test_endless_bodies_give_what_was_asked(hostile, tmp_path):
    storage = hostile(tmp_path)
    with PeakRSS() as peak:
        endless = test_node(storage, "h:endless.bin")
        assert await endless.size() is None
        assert await endless.read_range(0, 100) == bytes(100)
        assert await endless.read_range(3 * MiB, 3 * MiB + 7) == bytes(7)
        async with endless.open("rb") as f:
            assert await f.read(1000) == bytes(1000)
            assert len(await f.read(2 * MiB)) == 2 * MiB
        lying = test_node(storage, "h:endless-206.bin")
        assert await lying.read_range(10, 20) == bytes(10)
        assert len(await lying.read_range(0, 5 * MiB)) == 5 * MiB
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"


async def test_a_partial_answer_from_the_wrong_place_is_refused(hostile, tmp_path):
    node = test_node(hostile(tmp_path), "h:wrong-range.bin")
    assert await node.read_range(0, 10) == pattern(0, 10)  # where it starts anyway
    with pytest.raises(StorageBackendError, match="asked for bytes from 100"):
        await node.read_range(100, 110)


async def test_a_body_shorter_than_announced_is_an_error(hostile, tmp_path):
    node = test_node(hostile(tmp_path), "h:short.bin")
    assert await node.size() == 1000
    with pytest.raises(StorageBackendError):
        await node.read_bytes()
    with pytest.raises(StorageBackendError):
        async with node.open("rb") as f:
            while await f.read(300):
                pass
    # the bytes that came, or an error once the client saw the connection drop
    with contextlib.suppress(StorageBackendError):
        assert await node.read_range(0, 100) == pattern(0, 100)


@pytest.fixture(scope="module")
def range_targets(http_server, stdhttp_server, hostile_server):
    """``[(name, base_url, file, content)]``: one file on a server that honours Range,
    one on a server that ignores it (200), and the hostile server's 200 MiB file."""
    content = random.Random(17).randbytes(300_000)
    targets = []
    for name, server in (("http", http_server), ("stdhttp", stdhttp_server)):
        folder = server.root / f"ranges-{name}"
        folder.mkdir(exist_ok=True)
        (folder / "blob.bin").write_bytes(content)
        targets.append((name, server.url(f"ranges-{name}"), "blob.bin", content))
    big = hostile_server.BIG
    targets.append(("hostile", hostile_server.url("files"), "norange.bin", big))
    return targets


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_every_range_read_is_exactly_the_slice(range_targets, data):
    """Whatever the server does with Range (206, or 200 sliced here), and whatever the
    range (empty, past the end, open-ended), both APIs return exactly ``[start, end)``."""
    import asyncio

    name, base_url, file, content = data.draw(st.sampled_from(range_targets))
    size = content if isinstance(content, int) else len(content)
    # (on the 200 MiB file, starts stay in its first 8 MiB: each read skips to them)
    start = data.draw(st.integers(0, size + 10 if size < MiB else 8 * MiB), label="start")
    open_end = data.draw(st.booleans(), label="open end") and isinstance(content, bytes)
    end = None if open_end else data.draw(st.integers(0, min(size + 10, start + 70_000)))
    if isinstance(content, bytes):
        expected = content[start:end]
    else:
        expected = pattern(min(start, size), min(end, size)) if end > start else b""
    config = [{"name": "r", "type": "http", "base_url": base_url}]
    sync = StorageManager(config)
    try:
        assert sync.node(f"r:{file}").read_range(start, end) == expected
    finally:
        sync.close()

    async def in_async() -> bytes:
        async with AsyncStorageManager(config) as storage:
            return await storage.node(f"r:{file}").read_range(start, end)

    assert asyncio.run(in_async()) == expected


# -- 3. files of unknown size stream ----------------------------------------------------------


async def test_copy_and_md5_of_unknown_size_stream_in_bounded_chunks(
    hostile, hostile_server, tmp_path
):
    storage = hostile(tmp_path)
    src = test_node(storage, "h:chunked.bin")
    expected = pattern_md5(hostile_server.CHUNKED)
    with PeakRSS() as peak:
        assert await src.size() is None
        assert await src.md5hash() == expected
        report = await src.copy(test_node(storage, "disk:copy.bin"))
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"
    assert report.bytes_copied == hostile_server.CHUNKED
    assert (tmp_path / "copy.bin").stat().st_size == hostile_server.CHUNKED
    digest = hashlib.md5()
    with open(tmp_path / "copy.bin", "rb") as f:
        while chunk := f.read(MiB):
            digest.update(chunk)
    assert digest.hexdigest() == expected


async def test_a_copy_of_an_endless_body_is_bounded_until_cancelled(hostile, tmp_path):
    """An endless body can only be interrupted; until then memory stays flat."""
    import asyncio

    storage = hostile(tmp_path)
    src = test_node(storage, "h:endless.bin")
    seen: list[int] = []

    def progress(event: Any) -> None:
        seen.append(event.bytes_done)
        if event.bytes_done > 100 * MiB:
            raise RuntimeError("enough")

    with PeakRSS() as peak, pytest.raises((RuntimeError, StorageError)):
        await asyncio.wait_for(
            src.copy(test_node(storage, "disk:endless.bin"), progress=progress), 120
        )
    assert seen and seen[-1] > 100 * MiB
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"
    assert not (tmp_path / "endless.bin").exists()


# -- the explorer's preview and download --------------------------------------------------------


async def test_explorer_preview_and_download_caps_hold(hostile_server):
    storage = AsyncStorageManager(
        [{"name": "mem", "type": "memory"}, hostile_mount(hostile_server)]
    )
    explorer = StorageExplorer(storage)
    try:
        await explorer.wait_idle()
        with PeakRSS() as peak:
            for name in (
                "norange.bin",
                "bomb.bin",
                "endless.bin",
                "chunked.bin",
                "endless-206.bin",
            ):
                node = storage.node(f"h:{name}")
                preview = await load_preview(node)
                assert preview.bytes_read <= PREVIEW_BYTES, name
                assert await explorer.preview(f"h:{name}"), explorer.errors[-1:]
                assert explorer.last_preview is not None
                assert explorer.last_preview.bytes_read <= PREVIEW_BYTES
                assert len(explorer.preview_html.value) < 64 * PREVIEW_BYTES
            for name in ("endless.bin", "chunked.bin", "norange.bin"):
                assert await explorer.download(f"h:{name}"), explorer.errors[-1:]
                link = explorer.download_area.value
                assert "from the store" in link and "base64" not in link, name
                assert len(link) < 1000
        assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"
        assert await explorer.download("h:page.html")  # small and of unknown size: inline
        assert "data:application/octet-stream;base64," in explorer.download_area.value
        assert DOWNLOAD_BYTES < hostile_server.CHUNKED
    finally:
        explorer.close()
        await explorer.wait_idle()
        await storage.close()


# -- 2. HTML files are files ----------------------------------------------------------------


PAGE = (
    b"<html><head><title>Notes</title></head><body>"
    b'<a href="other.html">o</a> <a href="sub/x.html">x</a></body></html>'
)


@pytest.fixture(params=["http", "stdhttp"])
def plain_server(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """The project's file server, then ``python -m http.server``: ``(kind, server)``."""
    return request.param, request.getfixturevalue(f"{request.param}_server")


async def test_html_pages_are_files_and_folders_are_folders(
    plain_server, make_config, open_storage
):
    server_kind, server = plain_server
    config = make_config(server_kind)
    folder = server.root / config["base_url"].rsplit("/", 1)[-1]
    (folder / "docs" / "sub").mkdir(parents=True)
    (folder / "docs" / "page.html").write_bytes(PAGE)
    (folder / "docs" / "other.html").write_bytes(b"<p>other</p>")
    storage = open_storage([config])
    page = test_node(storage, "m:docs/page.html")
    assert await page.exists() and await page.isfile() and not await page.isdir()
    assert await page.size() == len(PAGE)
    assert await page.read_bytes() == PAGE
    assert (await page.info()).content_type == "text/html"
    for name in ("docs", "docs/sub"):
        assert await test_node(storage, f"m:{name}").isdir(), name
    listing = await test_node(storage, "m:docs").list()
    assert [(e.name, e.type) for e in listing.entries] == [
        ("other.html", "file"),
        ("page.html", "file"),
        ("sub", "directory"),
    ]
    with pytest.raises(StorageError, match="Not a directory"):
        await test_node(storage, "m:docs/page.html").list()


async def test_html_page_on_the_hostile_server_is_a_file(hostile, tmp_path):
    page = test_node(hostile(tmp_path), "h:page.html")
    assert await page.isfile() and not await page.isdir()


# -- 4. and 5. fill_from_url --------------------------------------------------------------------


async def test_fill_from_url_publishes_nothing_truncated_or_redirected_away(
    hostile_server, open_storage, tmp_path
):
    storage = open_storage([{"name": "disk", "type": "local", "path": str(tmp_path)}])
    node = test_node(storage, "disk:got.bin")
    with pytest.raises(StorageBackendError, match="500 of"):
        await node.fill_from_url(hostile_server.url("files/short.bin"))
    assert not await node.exists()
    for kind in ("ftp", "file"):
        with pytest.raises(StoragePermissionError, match="redirect"):
            await node.fill_from_url(hostile_server.url(f"redirect/{kind}"))
        assert not await node.exists()
    with pytest.raises(StorageBackendError, match="redirects"):
        await node.fill_from_url(hostile_server.url("redirect/loop"))
    with pytest.raises(StorageNotFoundError):
        await node.fill_from_url(hostile_server.url("files/nope.bin"))
    assert os.listdir(tmp_path) == []  # no leftovers either


async def test_fill_from_url_stores_the_bytes_sent_in_both_apis(
    hostile_server, open_storage, tmp_path
):
    storage = open_storage([{"name": "disk", "type": "local", "path": str(tmp_path)}])
    with PeakRSS() as peak:
        await test_node(storage, "disk:bomb.gz").fill_from_url(hostile_server.url("files/bomb.bin"))
        await test_node(storage, "disk:big.bin").fill_from_url(
            hostile_server.url("files/norange.bin")
        )
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"
    assert (tmp_path / "bomb.gz").read_bytes() == hostile_server.bomb  # not 1 GiB of zeros
    assert (tmp_path / "big.bin").stat().st_size == hostile_server.BIG
    with open(tmp_path / "big.bin", "rb") as f:
        f.seek(123_456_789)
        assert f.read(10) == pattern(123_456_789, 123_456_799)


async def test_fill_from_url_timeout_is_an_idle_timeout(hostile_server, open_storage, tmp_path):
    """Data that keeps flowing for longer than the timeout arrives whole; a server that
    stops sending fails after the timeout. (Behaviour, not durations, is asserted.)"""
    storage = open_storage([{"name": "disk", "type": "local", "path": str(tmp_path)}])
    drip = hostile_server.DRIP * hostile_server.DRIP_GAP
    timeout = 4 * hostile_server.DRIP_GAP
    assert drip > timeout  # a total timeout would cut this download
    node = test_node(storage, "disk:drip.bin")
    await node.fill_from_url(hostile_server.url("files/drip.bin"), timeout=timeout)
    assert await node.read_bytes() == pattern(0, 1024 * hostile_server.DRIP)
    stalled = test_node(storage, "disk:stall.bin")
    with pytest.raises(StorageBackendError):
        await stalled.fill_from_url(hostile_server.url("files/stall.bin"), timeout=timeout)
    assert not await stalled.exists()
    for bad in (0, -1, "10", True):
        with pytest.raises(StorageConfigError, match="timeout"):
            await node.fill_from_url(hostile_server.url("files/drip.bin"), timeout=bad)


async def test_mount_timeout_is_an_idle_timeout_too(hostile, hostile_server, tmp_path):
    storage = hostile(tmp_path, timeout=4 * hostile_server.DRIP_GAP)
    node = test_node(storage, "h:drip.bin")
    assert await node.read_bytes() == pattern(0, 1024 * hostile_server.DRIP)
    with pytest.raises(StorageBackendError):
        await test_node(storage, "h:stall.bin").read_bytes()


# -- 12. configured headers stay with their origin ---------------------------------------------


@pytest.mark.parametrize("where", ["headers", "client_kwargs"])
async def test_configured_headers_never_follow_a_redirect_to_another_origin(
    where, hostile_server, open_storage
):
    secret = {"X-Api-Key": "k-123", "Authorization": "Bearer t-456"}
    extra: dict[str, Any] = (
        {"headers": secret}
        if where == "headers"
        else {"options": {"client_kwargs": {"headers": secret}}}
    )
    storage = open_storage([hostile_mount(hostile_server, path="redirect", **extra)])
    same = json.loads(await test_node(storage, "h:same/a.txt").read_bytes())
    assert same["path"] == "/echo/a.txt"
    assert same["headers"]["x-api-key"] == "k-123"
    assert same["headers"]["authorization"] == "Bearer t-456"
    other = json.loads(await test_node(storage, "h:cross/b.txt").read_bytes())
    assert other["path"] == "/echo/b.txt"
    assert "x-api-key" not in other["headers"]
    assert "authorization" not in other["headers"]
    assert other["headers"].get("accept-encoding") == "identity"
    other = json.loads(await test_node(storage, "h:cross/c.txt").read_range(0, 10_000))
    assert "x-api-key" not in other["headers"]
    with pytest.raises(StoragePermissionError, match="redirect"):
        await test_node(storage, "h:ftp").read_bytes()


# -- 9. and 10. listings ------------------------------------------------------------------------


async def test_bad_links_in_an_index_are_skipped(hostile_server, open_storage):
    storage = open_storage([hostile_mount(hostile_server, path="")])
    page = await test_node(storage, "h:index-bad").list()
    # '\' is an ordinary character of a name (POSIX), so 'back%5Cslash.txt' is a file.
    assert [(e.name, e.type) for e in page.entries] == [
        ("back\\slash.txt", "file"),
        ("last.txt", "file"),
        ("ok.txt", "file"),
        ("sub", "directory"),
    ]
    names = [c.basename async for c in test_node(storage, "h:index-bad").children()]
    assert names == ["back\\slash.txt", "last.txt", "ok.txt", "sub"]


async def test_an_endless_index_page_is_refused_with_bounded_memory(hostile_server, open_storage):
    storage = open_storage([hostile_mount(hostile_server, path="")])
    with PeakRSS() as peak, pytest.raises(StorageBackendError, match="index page is larger"):
        await test_node(storage, "h:endless-index").list()
    assert peak.growth < CEILING, f"peak growth {peak.growth / MiB:.0f} MiB"


async def test_a_listing_reads_the_index_once_and_asks_nothing_per_entry(
    http_server, make_config, open_storage
):
    config = make_config("http")
    prefix = config["base_url"].rsplit("/", 1)[-1]
    folder = http_server.root / prefix / "many"
    folder.mkdir(parents=True)
    sizes = {f"f{i:02d}.bin": i * 37 for i in range(30)}
    for name, size in sizes.items():
        (folder / name).write_bytes(b"x" * size)
    (folder / "sub").mkdir()
    storage = open_storage([config])
    node = test_node(storage, "m:many")
    before = len(http_server.requests)
    seen: dict[str, int | None] = {}
    cursor, pages = None, 0
    while True:
        page = await node.list(page_size=7, cursor=cursor)
        pages += 1
        seen.update({e.name: e.size for e in page.entries})
        if (cursor := page.cursor) is None:
            break
    asked = [r for r in http_server.requests[before:] if prefix in r[1]]
    assert pages == 5
    assert seen == {**sizes, "sub": None}
    assert asked == [("GET", f"/{prefix}/many/")]  # one index download, no HEAD per entry
    before = len(http_server.requests)
    assert [c.basename async for c in node.children()] == [*sizes, "sub"]
    assert len([r for r in http_server.requests[before:] if prefix in r[1]]) == 1


async def test_an_old_style_cursor_still_resumes(http_server, make_config, open_storage):
    config = make_config("http")
    folder = http_server.root / config["base_url"].rsplit("/", 1)[-1]
    for name in ("a", "b", "c"):
        (folder / name).write_bytes(b"1")
    node = test_node(open_storage([config]), "m:")
    page = await node.list(page_size=5, cursor="a")
    assert [e.name for e in page.entries] == ["b", "c"] and page.cursor is None


def test_redirect_rules_without_a_server():
    headers = {"X-Api-Key": "k", "Range": "bytes=0-1", "Accept-Encoding": "identity"}

    class Script:
        """A transport that answers from a script (the rules are checked, not a wire)."""

        def __init__(self, answers: list[tuple[int, str | None]]) -> None:
            self.answers = answers
            self.sent: list[tuple[str, dict[str, str]]] = []

        def send(self, method, url, headers, body=None):
            status, location = self.answers.pop(0)
            self.sent.append((url, dict(headers)))
            names = {"location": location} if location else {}
            return sansio.call(lambda: httpwire.Response(status, url, names))

        def read(self, response, size):
            return sansio.call(lambda: b"")

        def close(self, response):
            return sansio.call(lambda: None)

    script = Script([(302, "http://b.example:81/x"), (301, "http://a.example/y"), (200, None)])
    logic = httpwire.open_url(script, "GET", "http://a.example/start", headers, "w")
    assert sansio.drive_sync(logic).status == 200
    assert [url for url, _ in script.sent] == [
        "http://a.example/start",
        "http://b.example:81/x",
        "http://a.example/y",
    ]
    assert "X-Api-Key" in script.sent[0][1]
    assert set(script.sent[1][1]) == {"Range", "Accept-Encoding"}
    assert set(script.sent[2][1]) == {"Range", "Accept-Encoding"}  # once gone, gone
    same = Script([(307, "/z"), (200, None)])
    sansio.drive_sync(httpwire.open_url(same, "GET", "https://a.example/s", headers, "w"))
    assert same.sent[1][0] == "https://a.example/z" and "X-Api-Key" in same.sent[1][1]
    downgrade = Script([(302, "http://a.example/z"), (200, None)])
    sansio.drive_sync(httpwire.open_url(downgrade, "GET", "https://a.example/s", headers, "w"))
    assert "X-Api-Key" not in downgrade.sent[1][1]  # https -> http is another origin
    for target in ("ftp://a.example/x", "file:///etc/passwd", "javascript:alert(1)", "data:,x"):
        with pytest.raises(StoragePermissionError, match="redirect"):
            sansio.drive_sync(
                httpwire.open_url(Script([(302, target)]), "GET", "http://a.example/", {}, "w")
            )
