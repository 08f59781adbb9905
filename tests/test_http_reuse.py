"""Small HTTP GETs read the announced length and stop (no extra read to find the end of
the body), and their connection still goes back to the pool: many reads, one
connection. Both APIs, against a real aiohttp server on loopback that records the
client's address of every request."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from mounts import test_node

BODIES = {f"f{i}.bin": os.urandom(size) for i, size in enumerate((0, 1, 4096, 70_000))}


class CountingServer:
    """Serves ``BODIES`` (with Content-Length) in its own thread and loop; ``peers``
    holds the client address (host, port) of every request."""

    def __init__(self) -> None:
        self.peers: list[Any] = []
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    async def _handle(self, request: web.Request) -> web.Response:
        self.peers.append(
            request.transport.get_extra_info("peername") if request.transport else None
        )
        body = BODIES.get(request.match_info["name"])
        if body is None:
            raise web.HTTPNotFound()
        return web.Response(body=body, content_type="application/octet-stream")

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_get("/{name}", self._handle)
        runner = self._runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def __enter__(self) -> CountingServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def counting() -> Iterator[CountingServer]:
    with CountingServer() as server:
        yield server


async def test_many_small_gets_share_one_connection(counting: CountingServer, open_storage):
    manager = open_storage([{"name": "w", "type": "http", "base_url": counting.url}])
    for _ in range(5):
        for name, body in BODIES.items():
            assert await test_node(manager, f"w:{name}").read_bytes() == body
    assert len(counting.peers) == 5 * len(BODIES)
    assert len(set(counting.peers)) == 1  # every read left its connection reusable


async def test_reads_at_once_each_get_the_whole_body(counting: CountingServer, open_storage):
    manager = open_storage([{"name": "w", "type": "http", "base_url": counting.url}])
    names = list(BODIES) * 10
    got = await asyncio.gather(*(test_node(manager, f"w:{n}").read_bytes() for n in names))
    assert got == [BODIES[n] for n in names]
