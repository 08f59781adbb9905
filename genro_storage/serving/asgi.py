"""The ASGI adapter: ``serve_asgi`` (one file) and ``asgi_app`` (whole mounts), over the
async API. It turns ``scope`` into a :class:`rules.Request`, drives the logic of
``handler`` with ``drive_async`` and sends what it answers; it decides nothing."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .._shared.sansio import Logic, drive_async
from . import rules
from .handler import FileOptions, MountsApp, guarded, serve_file
from .rules import Reply, Request

__all__ = ["ASGIApp", "asgi_app", "serve_asgi"]

log = logging.getLogger("genro_storage.serving")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def asgi_request(scope: Scope) -> Request:
    """The facts of an ASGI HTTP request. The path is the one below ``root_path`` (as
    Starlette's ``Mount`` gives it to a mounted application)."""
    root = str(scope.get("root_path") or "")
    path = rules.below_root(str(scope.get("path") or ""), root)
    headers: dict[str, str] = {}
    for name, value in scope.get("headers") or ():
        key = bytes(name).decode("latin-1").lower()
        text = bytes(value).decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    query = scope.get("query_string") or b""
    return Request(
        method=str(scope.get("method") or "GET").upper(),
        path=path,
        root=root,
        query=bytes(query).decode("latin-1"),
        headers=headers,
        path_ok=rules.raw_path_ok(scope.get("raw_path")),
    )


class ASGISource:
    """The body of a PUT from ``receive()``, gathered into chunks of up to ``size``
    bytes; a disconnect is an error, so nothing is published."""

    def __init__(self, receive: Receive, request: Request) -> None:
        self._receive = receive
        self._request = request
        self._buffer = bytearray()
        self._more = True

    def length(self) -> int | None:
        return rules.content_length(self._request, terminated=True)

    async def read(self, size: int) -> bytes:
        while self._more and len(self._buffer) < size:
            message = await self._receive()
            if message.get("type") == "http.disconnect":
                raise rules.ClientDisconnectedError()
            self._buffer += message.get("body") or b""
            self._more = bool(message.get("more_body"))
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


async def _run(logic: Logic[Reply]) -> Reply:
    """Drive ``logic``; an unexpected error is logged and answered 500 (no detail)."""
    try:
        return await drive_async(logic)
    except Exception:
        log.exception("serving failed")
        return rules.error_reply(500, "internal_error", "Internal error")


async def _respond(reply: Reply, request: Request, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": reply.status,
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in reply.headers
            ],
        }
    )
    body = reply.body
    if request.method == "HEAD" or reply.status in (204, 304) or isinstance(body, bytes):
        data = b"" if request.method == "HEAD" or reply.status in (204, 304) else body
        await send({"type": "http.response.body", "body": data, "more_body": False})
        return
    try:
        while chunk := await drive_async(body.g_next()):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        await drive_async(body.g_close())


def _check_node(node: Any) -> None:
    from ..async_.node import AsyncStorageNode

    if not isinstance(node, AsyncStorageNode):
        raise TypeError(
            f"serve() over ASGI needs an AsyncStorageNode (async API), not {type(node).__name__}"
        )


async def serve_asgi(
    node: Any,
    scope: Scope,
    receive: Receive,
    send: Send,
    download: bool = False,
    download_name: str | None = None,
    cache_max_age: int | None = None,
) -> None:
    """Answer an ASGI HTTP request with the file ``node``, as
    :func:`genro_storage.serving.serve_wsgi` does over WSGI (streamed; ETag and 304;
    Range, 206 and 416; ``Content-Disposition``; ``Cache-Control``; JSON 404)."""
    _check_node(node)
    options = FileOptions(download, download_name, cache_max_age)
    if scope.get("type") != "http":
        raise ValueError(f"serve() answers HTTP requests, not {scope.get('type')!r}")
    request = asgi_request(scope)
    reply = await _run(guarded(serve_file(node, request, options), request))
    await _respond(reply, request, send)


class ASGIApp:
    """An ASGI application serving the mounts of an ``AsyncStorageManager`` (see
    :func:`asgi_app`). Its repr never shows the token."""

    def __init__(
        self, storage: Any, mounts: Any = None, writable: bool = False, token: str | None = None
    ) -> None:
        from ..async_.manager import AsyncStorageManager

        if not isinstance(storage, AsyncStorageManager):
            raise TypeError(
                "asgi_app() needs an AsyncStorageManager (async API), not"
                f" {type(storage).__name__}; use wsgi_app() for a StorageManager"
            )
        self.app = MountsApp(storage, mounts, writable, token)

    def __repr__(self) -> str:
        return repr(self.app).replace("MountsApp", "ASGIApp")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope.get("type")
        if kind == "lifespan":  # nothing to start or stop: the manager is the caller's
            while True:
                message = await receive()
                if message.get("type") == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message.get("type") == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if kind != "http":
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1003})
            return
        request = asgi_request(scope)
        source = ASGISource(receive, request)
        reply = await _run(guarded(self.app.handle(request, source), request))
        await _respond(reply, request, send)


def asgi_app(
    storage: Any, mounts: Any = None, writable: bool = False, token: str | None = None
) -> ASGIApp:
    """An ASGI application serving ``storage``'s mounts; the same requests and answers
    as :func:`genro_storage.serving.wsgi_app`. Mount it in FastAPI or Starlette with
    ``app.mount("/files", asgi_app(storage))``."""
    return ASGIApp(storage, mounts, writable, token)
