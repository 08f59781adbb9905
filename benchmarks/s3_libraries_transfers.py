"""The large-object case of ``s3_libraries.py``: 64 MiB up and down with each library's
calls (in memory and through a local file), counting aiohttp's large-body warnings."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import warnings
from pathlib import Path

from harness import MIB, AsyncOp, CpuClock
from s3_clients import Target, aioboto3_client, s3fs_fs
from s3_libraries_common import BUCKET, LARGE_SIZE, Row, compare_ops


class LargeBodyWarnings:
    """Counts aiohttp's "large body with raw bytes" ResourceWarning per call.

    aiohttp warns (as a ResourceWarning) for every request body of raw bytes over
    1 MiB; the test suite turns ResourceWarnings into errors, so which calls send raw
    bytes matters. Ops run one at a time here, so ``catch_warnings`` is safe.
    """

    def __init__(self) -> None:
        self.per_call: dict[str, int] = {}

    def count(self, name: str, op: AsyncOp) -> AsyncOp:
        async def wrapped(i: int) -> object:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = await op(i)
            hits = 0
            for w in caught:
                if "large body" in str(w.message):
                    hits += 1
                else:
                    warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
            self.per_call[name] = hits
            return result

        return wrapped


async def large(t: Target, rounds: int, warned: LargeBodyWarnings) -> list[Row]:
    """64 MiB up and down, in memory and through a local file."""
    clock = CpuClock(t.pid)
    data = os.urandom(LARGE_SIZE)
    key = "large/blob"
    path = f"{BUCKET}/{key}"
    part = 8 * MIB
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="genro-s3bench-") as tmp:
        src = Path(tmp) / "src.bin"
        src.write_bytes(data)
        dst = str(Path(tmp) / "dst.bin")
        async with contextlib.AsyncExitStack() as stack:
            client = await aioboto3_client(stack, t, None)
            fs = await s3fs_fs(stack, t, None)

            async def a_put(_: int) -> None:
                await client.put_object(Bucket=BUCKET, Key=key, Body=data)

            async def a_upload_fileobj(_: int) -> None:
                await client.upload_fileobj(io.BytesIO(data), BUCKET, key)

            async def a_upload_file(_: int) -> None:
                await client.upload_file(str(src), BUCKET, key)

            async def b_pipe(_: int) -> None:
                await fs._pipe_file(path, data)

            async def b_pipe_parts(_: int) -> None:
                await fs._pipe_file(path, data, chunksize=part)

            async def b_put_file(_: int) -> None:
                await fs._put_file(str(src), path)

            async def a_get(_: int) -> None:
                resp = await client.get_object(Bucket=BUCKET, Key=key)
                async with resp["Body"] as body:
                    got = await body.read()
                assert len(got) == LARGE_SIZE

            async def a_download_fileobj(_: int) -> None:
                buf = io.BytesIO()
                await client.download_fileobj(BUCKET, key, buf)
                assert len(buf.getbuffer()) == LARGE_SIZE

            async def a_download_file(_: int) -> None:
                await client.download_file(BUCKET, key, dst)

            async def b_cat(_: int) -> None:
                got = await fs._cat_file(path)
                assert len(got) == LARGE_SIZE

            async def b_cat_single(_: int) -> None:
                got = await fs._cat_file(path, max_concurrency=1)
                assert len(got) == LARGE_SIZE

            async def b_get_file(_: int) -> None:
                await fs._get_file(path, dst)

            up = await compare_ops(
                {
                    "a_put": warned.count("`put_object`", a_put),
                    "a_fileobj": warned.count("`upload_fileobj`", a_upload_fileobj),
                    "a_file": warned.count("`upload_file`", a_upload_file),
                    "b_pipe": warned.count("`_pipe_file`", b_pipe),
                    "b_parts": warned.count("`_pipe_file(chunksize=8 MiB)`", b_pipe_parts),
                    "b_file": warned.count("`_put_file`", b_put_file),
                },
                rounds,
                1,
                rounds,
                clock,
                per_op_bytes=LARGE_SIZE,
            )
            await a_put(0)
            down = await compare_ops(
                {
                    "a_get": a_get,
                    "a_fileobj": a_download_fileobj,
                    "a_file": a_download_file,
                    "b_cat": b_cat,
                    "b_single": b_cat_single,
                    "b_file": b_get_file,
                },
                rounds,
                1,
                rounds,
                clock,
                per_op_bytes=LARGE_SIZE,
            )
    u = "MiB/s"
    rows += [
        Row(
            "upload, one PUT, from memory",
            "`put_object`",
            up["a_put"],
            "`_pipe_file`",
            up["b_pipe"],
            u,
        ),
        Row(
            "upload, multipart 8 MiB parts, from memory",
            "`upload_fileobj`",
            up["a_fileobj"],
            "`_pipe_file(chunksize=8 MiB)`",
            up["b_parts"],
            u,
        ),
        Row(
            "upload from a local file (defaults)",
            "`upload_file` (8 MiB parts)",
            up["a_file"],
            "`_put_file` (one PUT < 100 MiB)",
            up["b_file"],
            u,
        ),
        Row(
            "download into memory, one GET",
            "`get_object` + `read`",
            down["a_get"],
            "`_cat_file(max_concurrency=1)`",
            down["b_single"],
            u,
        ),
        Row(
            "download into memory, library default",
            "`download_fileobj` (HEAD + 8 MiB ranges)",
            down["a_fileobj"],
            "`_cat_file` (HEAD + 50 MiB ranges)",
            down["b_cat"],
            u,
        ),
        Row(
            "download to a local file (defaults)",
            "`download_file`",
            down["a_file"],
            "`_get_file`",
            down["b_file"],
            u,
        ),
    ]
    return rows
