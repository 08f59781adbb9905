"""The modes of ``open()`` in both APIs (issue 11, item 2, "Modes").

- text modes take ``encoding``, ``errors`` and ``newline``, with the semantics of
  ``io.TextIOWrapper`` (the async text file is held to it by property tests);
- ``'x'``/``'xb'`` create only: ``StorageExistsError`` when something is at the path at
  the open, or appears before the publish (nothing is published then);
- ``'a'``/``'ab'`` append (the file is rewritten whole at the publish);
- any other mode is a ``StorageConfigError`` naming the accepted ones.

Every writable backend (local, memory, S3, Azure, GCS on their real servers), both APIs.
"""

from __future__ import annotations

import asyncio
import codecs
import io
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mounts import WRITABLE

from genro_storage import (
    StorageConfigError,
    StorageExistsError,
    StorageManager,
    StoragePermissionError,
)
from genro_storage._shared.modes import MODES
from genro_storage._shared.textcodec import TextDecoding, TextEncoding
from genro_storage.async_ import AsyncStorageManager

NEWLINES = [None, "", "\n", "\r", "\r\n"]
TEXT = "première ligne\nsecond\r\nthird\rfourth\n\nend € ✓ 𝄞 no newline"
BIG = 9 * 1024 * 1024  # above every store's part size: the streamed (multipart) upload


# -- both APIs through one set of helpers ----------------------------------------------


def manager(api: str, configs: list[dict[str, Any]], opened: list[Any]) -> Any:
    made = StorageManager(configs) if api == "sync" else AsyncStorageManager(configs)
    opened.append(made)
    return made


@pytest.fixture
async def storage(
    api: str, make_config: Callable[..., dict], kind: str
) -> Any:  # the manager of a fresh mount 'm'
    opened: list[Any] = []
    yield manager(api, [make_config(kind)], opened)
    for made in opened:
        if isinstance(made, AsyncStorageManager):
            await made.close()
        else:
            made.close()


async def write(node: Any, mode: str, data: Any, **kw: Any) -> None:
    """Open ``node`` in ``mode`` (either API), write ``data``, close cleanly."""
    if hasattr(node, "_manager") and isinstance(node._manager, AsyncStorageManager):
        async with node.open(mode, **kw) as f:
            await f.write(data)
        return
    with node.open(mode, **kw) as f:
        f.write(data)


async def read(node: Any, mode: str = "rb", **kw: Any) -> Any:
    if isinstance(node._manager, AsyncStorageManager):
        async with node.open(mode, **kw) as f:
            return await f.read()
    with node.open(mode, **kw) as f:
        return f.read()


async def lines(node: Any, **kw: Any) -> list[str]:
    if isinstance(node._manager, AsyncStorageManager):
        async with node.open("r", **kw) as f:
            return [line async for line in f]
    with node.open("r", **kw) as f:
        return list(f)


async def content(node: Any) -> bytes | None:
    exists = node.exists if not isinstance(node._manager, AsyncStorageManager) else None
    if exists is None:
        if not await node.exists():
            return None
        return bytes(await node.read_bytes())
    return node.read_bytes() if exists else None


async def put(node: Any, data: bytes) -> None:
    """Another writer, through the same API's ``write_bytes``."""
    if isinstance(node._manager, AsyncStorageManager):
        await node.write_bytes(data)
    else:
        node.write_bytes(data)


def text_bytes(text: str, encoding: str, errors: str, newline: str | None) -> bytes:
    """What ``io.TextIOWrapper`` writes."""
    out = io.BytesIO()
    wrapper = io.TextIOWrapper(out, encoding=encoding, errors=errors, newline=newline)
    wrapper.write(text)
    wrapper.flush()
    return out.getvalue()


def text_lines(data: bytes, encoding: str, errors: str, newline: str | None) -> list[str]:
    """What ``io.TextIOWrapper`` reads as lines."""
    return list(
        io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors, newline=newline)
    )


# -- text round trips -------------------------------------------------------------------

COMBOS = [
    ("utf-8", "strict"),
    ("utf-16", "strict"),
    ("utf-8-sig", "strict"),
    ("latin-1", "replace"),
    ("ascii", "backslashreplace"),
]


async def test_text_round_trips_like_textiowrapper(storage: Any) -> None:
    """Every newline value with several encodings and error handlers: the bytes stored
    are those ``io.TextIOWrapper`` writes, and the lines read back are those it reads."""
    for n, (encoding, errors) in enumerate(COMBOS):
        for m, newline in enumerate(NEWLINES):
            node = storage.node(f"m:t/{n}-{m}.txt")
            kw = {"encoding": encoding, "errors": errors, "newline": newline}
            await write(node, "w", TEXT, **kw)
            stored = await content(node)
            assert stored == text_bytes(TEXT, encoding, errors, newline), (encoding, newline)
            for read_nl in NEWLINES:
                got = await lines(node, encoding=encoding, errors=errors, newline=read_nl)
                assert got == text_lines(stored, encoding, errors, read_nl), (newline, read_nl)
            assert await read(node, "r", encoding=encoding, errors=errors) == "".join(
                text_lines(stored, encoding, errors, None)
            )


async def test_errors_decide_undecodable_bytes(storage: Any) -> None:
    node = storage.node("m:bad.txt")
    await put(node, b"ok \xff\xfe end\n")
    with pytest.raises(UnicodeDecodeError):
        await read(node, "r")
    assert await read(node, "r", errors="replace") == "ok \ufffd\ufffd end\n"
    assert await read(node, "r", errors="surrogateescape") == "ok \udcff\udcfe end\n"
    with pytest.raises(UnicodeEncodeError):
        await write(storage.node("m:enc.txt"), "w", "€", encoding="latin-1")
    assert await content(storage.node("m:enc.txt")) is None  # the failed write published nothing?
    await write(storage.node("m:enc.txt"), "w", "€", encoding="latin-1", errors="replace")
    assert await content(storage.node("m:enc.txt")) == b"?"


# -- 'x' / 'xb' -------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["x", "xb"])
async def test_exclusive_creates_once(storage: Any, mode: str) -> None:
    node = storage.node("m:d/new.bin")
    data: Any = "fresh" if mode == "x" else b"fresh"
    await write(node, mode, data)
    assert await content(node) == b"fresh"
    with pytest.raises(StorageExistsError, match="m:d/new.bin"):
        await write(node, mode, "again" if mode == "x" else b"again")
    assert await content(node) == b"fresh"
    with pytest.raises(StorageExistsError):  # a folder is something too
        await write(storage.node("m:d"), mode, data)


@pytest.mark.parametrize("size", [5, BIG])
async def test_exclusive_loses_a_race_and_publishes_nothing(storage: Any, size: int) -> None:
    """A file created between the open and the close: the close raises
    ``StorageExistsError``, the other writer's file stays (large files take the
    streamed upload path, whose final request is the conditional one)."""
    node = storage.node("m:race.bin")
    payload = b"m" * size
    if isinstance(storage, AsyncStorageManager):
        with pytest.raises(StorageExistsError):
            async with node.open("xb") as f:
                await f.write(payload)
                await node.write_bytes(b"the other writer")
    else:
        f = node.open("xb")
        f.write(payload)
        node.write_bytes(b"the other writer")
        with pytest.raises(StorageExistsError):
            f.close()
    assert await content(node) == b"the other writer"


async def test_exclusive_on_a_base64_mount_and_relative_paths(api: str) -> None:
    """Odd names go through the same rule (no temp file left, nothing published)."""
    opened: list[Any] = []
    storage = manager(api, [{"name": "m", "type": "memory"}], opened)
    for name in ("m:a b/ü ñ.txt", "m:x%20y/*.txt", "m:back\\slash.txt"):
        node = storage.node(name)
        await write(node, "x", "one")
        with pytest.raises(StorageExistsError):
            await write(node, "x", "two")
        assert await content(node) == b"one"
    for made in opened:
        if isinstance(made, AsyncStorageManager):
            await made.close()
        else:
            made.close()


# -- 'a' / 'ab' -------------------------------------------------------------------------


async def test_append_adds_after_the_content(storage: Any) -> None:
    node = storage.node("m:log/app.log")
    await write(node, "ab", b"one\n")  # missing: created
    await write(node, "ab", b"two\n")
    await write(node, "a", "three\n")
    assert await content(node) == b"one\ntwo\nthree\n"
    with pytest.raises(Exception) as info:  # a folder cannot be appended to
        await write(storage.node("m:log"), "ab", b"x")
    assert not isinstance(info.value, AssertionError)
    assert await content(node) == b"one\ntwo\nthree\n"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-8-sig", "utf-16-be"])
async def test_append_text_writes_no_second_bom(storage: Any, encoding: str) -> None:
    """As ``open(..., 'a')`` on disk: the BOM is written once, at the start."""
    node = storage.node("m:bom.txt")
    await write(node, "a", "héllo\n", encoding=encoding)
    await write(node, "a", "wörld\n", encoding=encoding)
    assert await read(node, "r", encoding=encoding) == "héllo\nwörld\n"


async def test_append_of_a_big_file_streams(storage: Any) -> None:
    node = storage.node("m:big.bin")
    await put(node, b"a" * BIG)
    await write(node, "ab", b"tail")
    stored = await content(node)
    assert stored is not None and len(stored) == BIG + 4 and stored.endswith(b"atail")


async def test_a_failed_append_keeps_the_file(storage: Any) -> None:
    node = storage.node("m:keep.txt")
    await put(node, b"old")
    if isinstance(storage, AsyncStorageManager):
        with pytest.raises(RuntimeError):
            async with node.open("ab") as f:
                await f.write(b"new")
                raise RuntimeError("boom")
    else:
        with pytest.raises(RuntimeError), node.open("ab") as f:
            f.write(b"new")
            raise RuntimeError("boom")
    assert await content(node) == b"old"


# -- validation -------------------------------------------------------------------------

BAD_MODES = ["rw", "r+", "w+", "bw", "br", "wt", "rt", "", "B", "xa", 1, None, b"rb", "rb "]


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize("mode", BAD_MODES, ids=repr)
def test_other_modes_are_refused(api: str, mode: Any) -> None:
    cls = StorageManager if api == "sync" else AsyncStorageManager
    node = cls([{"name": "m", "type": "memory"}]).node("m:f.txt")
    with pytest.raises(StorageConfigError) as info:
        node.open(mode)
    message = str(info.value)
    assert all(repr(m) in message for m in MODES), message


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize(
    ("mode", "kw"),
    [
        ("r", {"encoding": "no-such-codec"}),
        ("r", {"encoding": "hex"}),  # bytes to bytes: not a text encoding
        ("w", {"encoding": 8}),
        ("r", {"errors": "no-such-handler"}),
        ("w", {"errors": 1}),
        ("r", {"newline": "\n\n"}),
        ("w", {"newline": "x"}),
        ("w", {"newline": b"\n"}),
        ("rb", {"encoding": "utf-8"}),
        ("wb", {"newline": ""}),
        ("xb", {"errors": "strict"}),
    ],
)
async def test_bad_text_parameters_are_refused(api: str, mode: str, kw: dict[str, Any]) -> None:
    cls = StorageManager if api == "sync" else AsyncStorageManager
    storage = cls([{"name": "m", "type": "memory"}])
    node = storage.node("m:f.txt")
    with pytest.raises(StorageConfigError):
        node.open(mode, **kw)
    assert not (node.exists if api == "sync" else await node.exists())


@pytest.mark.parametrize("api", ["sync", "async"])
@pytest.mark.parametrize("mode", ["w", "wb", "x", "xb", "a", "ab"])
async def test_read_only_mounts_refuse_every_write_mode(api: str, mode: str) -> None:
    configs = [
        {"name": "rw", "type": "memory", "store": f"ro-{api}-{mode}"},
        {"name": "ro", "type": "memory", "store": f"ro-{api}-{mode}", "permissions": "readonly"},
    ]
    cls = StorageManager if api == "sync" else AsyncStorageManager
    storage = cls(configs)
    node = storage.node("ro:f.txt")
    with pytest.raises(StoragePermissionError):
        node.open(mode)
    assert not (node.exists if api == "sync" else await node.exists())


@pytest.mark.parametrize("api", ["sync", "async"])
def test_a_stored_version_is_not_opened_for_writing(api: str) -> None:
    cls = StorageManager if api == "sync" else AsyncStorageManager
    node = cls([{"name": "m", "type": "memory"}]).node("m:f.txt")
    for mode in ("x", "xb", "a", "ab"):
        with pytest.raises(StoragePermissionError, match="read-only"):
            node.open(mode, version="v1")


# -- async text files: cancellation, reads ---------------------------------------------


@pytest.mark.parametrize("kind", WRITABLE)
@pytest.mark.parametrize("mode", ["w", "x", "a"])
async def test_a_cancelled_async_text_write_publishes_nothing(
    make_config: Callable[..., dict], kind: str, mode: str
) -> None:
    storage = AsyncStorageManager([make_config(kind)])
    node = storage.node("m:cancel.txt")
    if mode == "a":
        await node.write_bytes(b"before\n")
    started = asyncio.Event()

    async def writer() -> None:
        async with node.open(mode, encoding="utf-16") as f:
            await f.write("half of it\n")
            started.set()
            await asyncio.sleep(60)
            await f.write("the rest\n")

    task = asyncio.ensure_future(writer())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    if mode == "a":
        assert await node.read_bytes() == b"before\n"
    else:
        assert not await node.exists()
    await storage.close()


async def test_async_text_reads_mix_sizes_and_lines() -> None:
    storage = AsyncStorageManager([{"name": "m", "type": "memory"}])
    node = storage.node("m:mix.txt")
    data = ("ab\r\ncd\ref\n" * 3000).encode("utf-16")
    await node.write_bytes(data)
    expected = io.TextIOWrapper(io.BytesIO(data), encoding="utf-16", newline="")
    async with node.open("r", encoding="utf-16", newline="") as f:
        assert f.readable() and not f.writable()
        for step in range(200):
            if step % 3 == 0:
                assert await f.read(step % 7) == expected.read(step % 7)
            else:
                assert await f.readline(step % 5 - 1) == expected.readline(step % 5 - 1)
        assert await f.read() == expected.read()
        assert await f.read() == ""
        with pytest.raises(ValueError, match="not opened for writing"):
            await f.write("x")
    with pytest.raises(ValueError, match="async with"):
        await f.read()
    with pytest.raises(TypeError):
        async with node.open("w") as w:
            await w.write(b"bytes")  # type: ignore[arg-type]
    assert await node.read_bytes() == data  # the failed text write published nothing
    await storage.close()


# -- the shared decoding logic against io.TextIOWrapper ---------------------------------

ENCODINGS = ["utf-8", "utf-16", "utf-16-le", "utf-32", "utf-8-sig", "latin-1", "cp1252", "gb18030"]
ALPHABET = st.sampled_from(list("ab \n\r\t€é漢𝄞") + ["\r\n"])


def _decoded(data: bytes, encoding: str, errors: str, newline: str | None, ops: list, cuts: list):
    """Run ``ops`` on ``TextDecoding`` fed in chunks cut at ``cuts``."""
    decoding = TextDecoding(encoding, errors, newline)
    chunks = iter([data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)])
    out = []
    for op, arg in ops:
        take = decoding.take if op == "read" else decoding.take_line
        while (got := take(arg)) is None:
            decoding.feed(next(chunks, b""))
        out.append(got)
    return out


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.lists(ALPHABET, max_size=60).map("".join),
    encoding=st.sampled_from(ENCODINGS),
    errors=st.sampled_from(["strict", "replace", "surrogateescape", "ignore"]),
    newline=st.sampled_from(NEWLINES),
    ops=st.lists(st.tuples(st.sampled_from(["read", "readline"]), st.integers(-1, 9)), max_size=25),
    cut_points=st.lists(st.integers(0, 400), max_size=8),
    noise=st.binary(max_size=4),
)
def test_text_decoding_is_textiowrapper(text, encoding, errors, newline, ops, cut_points, noise):
    try:
        data = text.encode(encoding) + noise  # noise: bytes that may not decode
    except UnicodeEncodeError:
        data = text.encode(encoding, "replace") + noise
    cuts = sorted({c for c in cut_points if 0 < c < len(data)})  # b'' only at the end
    ops = [*ops, ("read", -1)]
    wrapper = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, errors=errors, newline=newline)
    expected: list[Any] = []
    try:
        for op, arg in ops:
            expected.append(getattr(wrapper, op)(arg))
    except UnicodeDecodeError:
        with pytest.raises(UnicodeDecodeError):
            _decoded(data, encoding, errors, newline, ops, cuts)
        return
    assert _decoded(data, encoding, errors, newline, ops, cuts) == expected


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.lists(ALPHABET, max_size=12).map("".join), max_size=8),
    encoding=st.sampled_from(ENCODINGS),
    errors=st.sampled_from(["strict", "replace", "xmlcharrefreplace"]),
    newline=st.sampled_from(NEWLINES),
)
def test_text_encoding_is_textiowrapper(pieces, encoding, errors, newline):
    out = io.BytesIO()
    wrapper = io.TextIOWrapper(out, encoding=encoding, errors=errors, newline=newline)
    encoder = TextEncoding(encoding, errors, newline)
    mine = b""
    for piece in pieces:
        try:
            wrapper.write(piece)
        except UnicodeEncodeError:
            with pytest.raises(UnicodeEncodeError):
                encoder.encode(piece)
            continue
        mine += encoder.encode(piece)
    wrapper.flush()
    assert mine + encoder.final() == out.getvalue()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.lists(ALPHABET, max_size=300).map("".join),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"]),
    newline=st.sampled_from(NEWLINES),
    read_newline=st.sampled_from(NEWLINES),
)
def test_async_text_files_are_textiowrapper(text, encoding, newline, read_newline):
    """Through a real async node: write with ``newline``, read back with another."""

    async def run() -> tuple[bytes, list[str]]:
        storage = AsyncStorageManager([{"name": "m", "type": "memory"}])
        node = storage.node("m:p.txt")
        async with node.open("w", encoding=encoding, errors="replace", newline=newline) as f:
            await f.write(text)
        async with node.open("r", encoding=encoding, newline=read_newline) as f:
            got = [line async for line in f]
        stored = await node.read_bytes()
        await storage.close()
        return stored, got

    stored, got = asyncio.run(run())
    assert stored == text_bytes(text, encoding, "replace", newline)
    assert got == text_lines(stored, encoding, "strict", read_newline)
    assert codecs.lookup(encoding)  # the sample named a real codec


@pytest.mark.parametrize("api", ["sync", "async"])
async def test_local_without_hard_links_still_creates_only(
    api: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system that refuses ``os.link`` (EPERM): a check and a rename instead."""
    import errno

    from genro_storage.backends import local

    def no_links(src: str, dst: str) -> None:
        raise OSError(errno.EPERM, "hard links not supported")

    monkeypatch.setattr(local.os, "link", no_links)
    opened: list[Any] = []
    storage = manager(api, [{"name": "m", "type": "local", "path": str(tmp_path)}], opened)
    node = storage.node("m:f.txt")
    await write(node, "x", "one")
    with pytest.raises(StorageExistsError):
        await write(node, "x", "two")
    assert (tmp_path / "f.txt").read_bytes() == b"one"
    if api == "sync":  # the check at the publish: a file made after the open
        f = storage.node("m:g.txt").open("xb")
        f.write(b"mine")
        (tmp_path / "g.txt").write_bytes(b"other")
        with pytest.raises(StorageExistsError):
            f.close()
        assert (tmp_path / "g.txt").read_bytes() == b"other"
        (tmp_path / "g.txt").unlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]  # no temporary left
    for made in opened:
        if isinstance(made, AsyncStorageManager):
            await made.close()
        else:
            made.close()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_sync_text_exclusive_race_publishes_nothing(encoding: str) -> None:
    storage = StorageManager([{"name": "m", "type": "memory"}])
    node = storage.node("m:t.txt")
    f = node.open("x", encoding=encoding)
    f.write("mine\n")
    node.write_bytes(b"theirs")
    with pytest.raises(StorageExistsError):
        f.close()
    assert node.read_bytes() == b"theirs"
