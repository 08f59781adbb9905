"""The WSGI adapter: ``serve_wsgi`` (one file) and ``wsgi_app`` (whole mounts), over the
sync API. It turns ``environ`` into a :class:`rules.Request`, drives the logic of
``handler`` with ``drive_sync`` and streams what it answers; it decides nothing."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .._shared.sansio import Logic, drive_sync
from . import rules
from .handler import FileOptions, MountsApp, guarded, serve_file
from .rules import Reply, Request

__all__ = ["WSGIApp", "serve_wsgi", "wsgi_app"]

log = logging.getLogger("genro_storage.serving")

StartResponse = Callable[..., Any]


def wsgi_request(environ: dict[str, Any]) -> Request:
    """The facts of a WSGI request (PEP 3333: paths are bytes carried as latin-1)."""
    path, ok = rules.decode_wsgi_path(environ.get("PATH_INFO") or "")
    root, _ = rules.decode_wsgi_path(environ.get("SCRIPT_NAME") or "")
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_LENGTH", "CONTENT_TYPE"):
            name = key.replace("_", "-").lower()
        else:
            continue
        if value != "":
            headers[name] = str(value)
    return Request(
        method=str(environ.get("REQUEST_METHOD") or "GET").upper(),
        path=path,
        root=root,
        query=str(environ.get("QUERY_STRING") or ""),
        headers=headers,
        path_ok=ok,
    )


class WSGISource:
    """The body of a PUT from ``wsgi.input``: at most the ``Content-Length`` announced;
    a body that ends sooner (the client went away) is an error, so nothing is published."""

    def __init__(self, environ: dict[str, Any], request: Request) -> None:
        self._input = environ.get("wsgi.input")
        self._request = request
        self._terminated = bool(environ.get("wsgi.input_terminated"))
        self._left: int | None = None

    def length(self) -> int | None:
        self._left = rules.content_length(self._request, self._terminated)
        return self._left

    def read(self, size: int) -> bytes:
        if self._input is None or self._left == 0:
            return b""
        want = size if self._left is None else min(size, self._left)
        data: bytes = self._input.read(want)
        if self._left is not None:
            if not data:
                raise rules.ClientDisconnectedError()
            self._left -= len(data)
        return data


def _run(logic: Logic[Reply]) -> Reply:
    """Drive ``logic``; an unexpected error is logged and answered 500 (no detail)."""
    try:
        return drive_sync(logic)
    except Exception:
        log.exception("serving failed")
        return rules.error_reply(500, "internal_error", "Internal error")


def _respond(reply: Reply, request: Request, start_response: StartResponse) -> Iterable[bytes]:
    start_response(f"{reply.status} {rules.reason(reply.status)}", reply.headers)
    body = reply.body
    if request.method == "HEAD" or reply.status in (204, 304):
        return []
    if isinstance(body, bytes):
        return [body]
    return _stream(body)


def _stream(body: Any) -> Iterator[bytes]:
    """The chunks of a streamed body; the server's ``close()`` (or the end) releases it."""
    try:
        while chunk := drive_sync(body.g_next()):
            yield chunk
    finally:
        drive_sync(body.g_close())


def _check_node(node: Any) -> None:
    from ..node import StorageNode

    if not isinstance(node, StorageNode):
        raise TypeError(
            f"serve() over WSGI needs a StorageNode (sync API), not {type(node).__name__}"
        )


def serve_wsgi(
    node: Any,
    environ: dict[str, Any],
    start_response: StartResponse,
    download: bool = False,
    download_name: str | None = None,
    cache_max_age: int | None = None,
) -> Iterable[bytes]:
    """Answer a WSGI request with the file ``node`` (GET or HEAD; others get 405).

    Streams the file; sets ``ETag`` (the store's ETag or MD5, else size and mtime),
    ``Last-Modified``, ``Content-Type`` and ``Content-Length``; answers
    ``If-None-Match``/``If-Modified-Since`` with 304 and ``Range`` with 206 (416 when
    outside the file). ``download``: ``Content-Disposition: attachment`` with
    ``download_name`` (default: the node's name), encoded as RFC 6266 says (a
    ``download_name`` alone gives ``inline`` with that name). ``cache_max_age``: seconds
    for ``Cache-Control: max-age``. A missing file, or a folder, is a JSON 404.
    """
    _check_node(node)
    options = FileOptions(download, download_name, cache_max_age)
    request = wsgi_request(environ)
    reply = _run(guarded(serve_file(node, request, options), request))
    return _respond(reply, request, start_response)


class WSGIApp:
    """A WSGI application serving the mounts of a ``StorageManager`` (see
    :func:`wsgi_app`). Its repr never shows the token."""

    def __init__(
        self, storage: Any, mounts: Any = None, writable: bool = False, token: str | None = None
    ) -> None:
        from ..manager import StorageManager

        if not isinstance(storage, StorageManager):
            raise TypeError(
                f"wsgi_app() needs a StorageManager (sync API), not {type(storage).__name__};"
                " use asgi_app() for an AsyncStorageManager"
            )
        self.app = MountsApp(storage, mounts, writable, token)

    def __repr__(self) -> str:
        return repr(self.app).replace("MountsApp", "WSGIApp")

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        request = wsgi_request(environ)
        source = WSGISource(environ, request)
        reply = _run(guarded(self.app.handle(request, source), request))
        return _respond(reply, request, start_response)


def wsgi_app(
    storage: Any, mounts: Any = None, writable: bool = False, token: str | None = None
) -> WSGIApp:
    """A WSGI application serving ``storage``'s mounts (``mounts``: the names to serve;
    ``None`` for all).

    ``GET``/``HEAD /{mount}/{path}`` serve a file as :func:`serve_wsgi` does (``?download``
    adds ``Content-Disposition: attachment``); a folder without its slash is redirected
    (301) to ``/{mount}/{path}/``, which lists it: JSON, one page (``page_size``,
    ``cursor``), or an HTML index of the whole folder when the client prefers
    ``text/html`` (browsers, or ``?format=html``). ``PUT`` streams an upload and
    publishes it atomically (``PUT /{mount}/{path}/`` creates a folder); ``DELETE``
    removes (``?recursive=1`` for a non-empty folder). Both only with ``writable=True``
    and a mount whose permissions allow it, else 403. With ``token`` every request needs
    ``Authorization: Bearer <token>``, else 401. Paths that climb or hide (``..``,
    ``%2e%2e``, backslashes, NUL) get 400; unknown mounts 404. Errors are JSON.
    """
    return WSGIApp(storage, mounts, writable, token)
