"""Real HTTP servers for the serving tests: uvicorn (ASGI) and wsgiref (WSGI), each in a
thread of this process on a free port of 127.0.0.1.

Each runs one application slot, ``server.app``, that a test fills (so that one server
per session serves every test), and counts the requests it has finished
(``server.finished``): a test that cuts a request short waits for the count before it
looks at the store. ``stop()`` leaves no thread, socket or event loop behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer

HOST = "127.0.0.1"


def _bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))
    return sock


class _Counted:
    """``started``/``finished``: requests begun and completed so far."""

    def __init__(self) -> None:
        self.started = 0
        self.finished = 0
        self._cond = threading.Condition()

    def _begun(self) -> None:
        with self._cond:
            self.started += 1

    def _done(self) -> None:
        with self._cond:
            self.finished += 1
            self._cond.notify_all()

    def wait_idle(self, started: int, timeout: float = 30) -> None:
        """Block until at least ``started`` requests have begun and all have finished."""
        with self._cond:
            if not self._cond.wait_for(
                lambda: self.started >= started and self.finished == self.started, timeout
            ):
                raise TimeoutError(
                    f"{self.started} requests begun, {self.finished} finished"
                    f" (waited for {started})"
                )


class UvicornServer(_Counted):
    """uvicorn serving ``self.app`` from its own event loop in a thread. Async managers
    used by the app live on that loop: ``run(coro)`` runs a coroutine there."""

    def __init__(self) -> None:
        super().__init__()
        self.app: Any = None
        self.port = 0
        self.url = ""
        self.loop: asyncio.AbstractEventLoop | None = None
        self.thread: threading.Thread | None = None
        self._server: Any = None
        self._sock: socket.socket | None = None

    async def _dispatch(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self._begun()
        try:
            await self.app(scope, receive, send)
        finally:
            if scope["type"] == "http":
                self._done()

    def start(self) -> UvicornServer:
        import uvicorn

        self._sock = _bound_socket()
        self.port = self._sock.getsockname()[1]
        self.url = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(
            self._dispatch,
            interface="asgi3",
            lifespan="off",
            log_level="warning",
            access_log=False,
            http="h11",
            ws="none",
            timeout_graceful_shutdown=5,
        )
        self._server = uvicorn.Server(config)
        loop = self.loop = asyncio.new_event_loop()
        serve = self._server.serve(sockets=[self._sock])
        self.thread = threading.Thread(
            target=loop.run_until_complete, args=(serve,), name="uvicorn", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)
        return self

    def run(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        """Run ``coro`` on the server's loop; its result."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self.thread is not None:
            self.thread.join(timeout=30)
            assert not self.thread.is_alive(), "uvicorn did not stop"
        if self.loop is not None:
            with contextlib.suppress(Exception):
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()
        if self._sock is not None:
            self._sock.close()
        self.thread = self.loop = self._server = self._sock = None

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the request threads


class WSGIRefServer(_Counted):
    """``wsgiref`` serving ``self.app``, one thread per request."""

    def __init__(self) -> None:
        super().__init__()
        self.app: Any = None
        self.port = 0
        self.url = ""
        self.thread: threading.Thread | None = None
        self._server: _ThreadingWSGIServer | None = None

    def _dispatch(self, environ: Any, start_response: Callable[..., Any]) -> Iterator[bytes]:
        result: Iterable[bytes] = ()
        self._begun()
        try:
            result = self.app(environ, start_response)
            yield from result
        finally:
            close = getattr(result, "close", None)
            try:
                if close is not None:
                    close()
            finally:
                self._done()

    def start(self) -> WSGIRefServer:
        server = _ThreadingWSGIServer((HOST, 0), _QuietHandler)
        server.set_app(self._dispatch)
        self._server = server
        self.port = server.server_address[1]
        self.url = f"http://{HOST}:{self.port}"
        self.thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="wsgiref"
        )
        self.thread.daemon = True
        self.thread.start()
        return self

    def run(self, coro: Any, timeout: float = 60) -> Any:
        raise TypeError("a WSGI server runs no coroutines")

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self.thread is not None:
            self.thread.join(timeout=30)
            assert not self.thread.is_alive(), "wsgiref did not stop"
        self.thread = self._server = None

    def alive(self) -> bool:
        return self.thread is not None and self.thread.is_alive()
