"""What a request does, written once as logic generators (see ``_shared.sansio``) over
the public node API: ``node.info()``, ``node.list()``, ``node.read_range()``,
``node.open()``, ``node.mkdir()``, ``node.delete()``. The WSGI adapter drives them with
``drive_sync`` and sync nodes, the ASGI adapter with ``drive_async`` and async nodes; the
decisions they apply are the functions of ``rules``.

A logic returns a :class:`rules.Reply`. A body too large to hold (a file, an HTML
index) is an object with two logics, ``g_next()`` (the next chunk, ``b''`` at the end)
and ``g_close()``, which the adapter drives while it sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .._shared.exceptions import (
    StorageBackendError,
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
)
from .._shared.info import FileInfo
from .._shared.paths import valid_mount_name
from .._shared.sansio import Logic, call
from . import rules
from .rules import Reply, Request, RequestError

__all__ = ["FileOptions", "MountsApp", "guarded", "serve_file"]


def _enter(handle: Any) -> Callable[[], Any]:
    """The ``with``/``async with`` entry of a file of either API."""
    enter = getattr(handle, "__aenter__", None)
    return enter if enter is not None else handle.__enter__  # type: ignore[no-any-return]


def _exit(handle: Any) -> Callable[..., Any]:
    leave = getattr(handle, "__aexit__", None)
    return leave if leave is not None else handle.__exit__  # type: ignore[no-any-return]


def guarded(logic: Logic[Reply], request: Request) -> Logic[Reply]:
    """``logic``, with a refused request (:class:`rules.RequestError`) or a library error
    turned into its JSON answer. Anything else propagates: the adapter answers 500."""
    try:
        return (yield from logic)
    except RequestError as problem:
        return rules.request_error_reply(problem)
    except StorageError as exc:
        return rules.error_for(exc, request)


# -- files ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FileOptions:
    """The options of ``serve()``; checked once by :func:`rules.check_serve_options`."""

    download: bool = False
    download_name: str | None = None
    cache_max_age: int | None = None

    def __post_init__(self) -> None:
        rules.check_serve_options(self.download, self.download_name, self.cache_max_age)


def serve_file(node: Any, request: Request, options: FileOptions) -> Logic[Reply]:
    """GET or HEAD of the file ``node``: 200, 206, 304, 404 or 416 (see ``rules``)."""
    if request.method not in ("GET", "HEAD"):
        return rules.method_not_allowed("GET, HEAD")
    info: FileInfo = yield call(node.info)
    if not info.isfile:
        return rules.not_found(request)
    return _file_reply(node, request, info, options)


def _file_reply(node: Any, request: Request, info: FileInfo, options: FileOptions) -> Reply:
    etag = rules.etag_of(info)
    headers = rules.file_headers(
        info,
        etag,
        node.mimetype,
        node.basename,
        options.download,
        options.download_name,
        options.cache_max_age,
    )
    if rules.not_modified(request, etag, info.mtime):
        return Reply(304, rules.headers_for_304(headers))
    span = rules.byte_range(request, info.size, etag, info.mtime)
    if span is rules.UNSATISFIABLE:
        reply = rules.error_reply(416, "range_not_satisfiable", "The range is outside the file")
        reply.headers.append(("Content-Range", f"bytes */{info.size}"))
        return reply
    if span is None:
        if info.size is not None:
            headers.append(("Content-Length", str(info.size)))
        return Reply(200, headers, FileBody(node, 0, info.size, ranged=False))
    headers.append(("Content-Range", span.content_range()))
    headers.append(("Content-Length", str(span.length)))
    return Reply(206, headers, FileBody(node, span.start, span.end, ranged=True, etag=info.etag))


class FileBody:
    """Bytes ``[start, end)`` of a file, a chunk at a time: a range through
    ``node.read_range()``, a whole file through one ``node.open('rb')`` stream. Never
    more than the length announced; a file that ends sooner fails the response (the
    server then drops the connection: the client sees a short body, never a wrong one).
    A range read in several calls is pinned to ``etag`` (the ETag of the ``info()`` the
    headers came from): a file replaced meanwhile fails the response the same way,
    never sends bytes of two versions.
    """

    def __init__(
        self, node: Any, start: int, end: int | None, ranged: bool, etag: str | None = None
    ) -> None:
        self._node = node
        self._etag = etag
        self._pos = start
        self._end = end
        self._ranged = ranged
        self._handle: Any = None
        self._file: Any = None

    def g_next(self) -> Logic[bytes]:
        end = self._end
        if end is not None and self._pos >= end:
            return b""
        want = rules.CHUNK if end is None else min(rules.CHUNK, end - self._pos)
        if self._ranged:
            data: bytes = yield call(
                self._node.read_range, self._pos, self._pos + want, etag=self._etag
            )
        else:
            if self._handle is None:
                self._handle = yield call(self._node.open, "rb")
                self._file = yield call(_enter(self._handle))
            data = yield call(self._file.read, want)
        if not data:
            if end is not None:
                raise StorageBackendError("the file ended before the length announced")
            return b""
        data = data[:want]
        self._pos += len(data)
        return data

    def g_close(self) -> Logic[None]:
        handle, self._handle = self._handle, None
        if handle is not None:
            yield call(_exit(handle), None, None, None)


# -- folders ------------------------------------------------------------------------------


class IndexBody:
    """An HTML index, streamed: the head, the entries page by page (the first page is
    read before the answer starts, so that a missing folder is a 404), the tail."""

    def __init__(
        self, request: Request, node: Any, first: list[FileInfo], cursor: str | None
    ) -> None:
        self._request = request
        self._node = node
        self._entries: list[FileInfo] | None = first
        self._cursor = cursor
        self._state = "head"

    def g_next(self) -> Logic[bytes]:
        if self._state == "head":
            self._state = "entries"
            return rules.index_head(self._request)
        while self._state == "entries":
            entries, self._entries = self._entries, None
            if entries is None:
                if self._cursor is None:
                    self._state = "tail"
                    break
                page = yield call(self._node.list, rules.INDEX_PAGE, self._cursor)
                entries, self._cursor = page.entries, page.cursor
            lines = rules.index_lines(entries)
            if lines:
                return lines
        if self._state == "tail":
            self._state = "done"
            return rules.INDEX_TAIL
        return b""

    def g_close(self) -> Logic[None]:
        return
        yield  # a logic: nothing to release


def _listing(request: Request, node: Any, mount: str) -> Logic[Reply]:
    """A folder as JSON (one page, ``cursor``/``page_size`` parameters) or as an HTML
    index of the whole folder (see ``rules.wants_html``)."""
    info: FileInfo = yield call(node.info)
    if not info.isdir:
        return rules.not_found(request)
    if rules.wants_html(request):
        page = yield call(node.list, rules.INDEX_PAGE, request.param("cursor") or None)
        return Reply(
            200, list(rules.INDEX_HEADERS), IndexBody(request, node, page.entries, page.cursor)
        )
    size, cursor = rules.page_args(request)
    page = yield call(node.list, size, cursor)
    entries = [e for e in page.entries if e.addressable]
    return rules.json_reply(200, rules.listing_json(mount, node.path, entries, page.cursor, size))


def _root_listing(request: Request, mounts: list[str]) -> Reply:
    entries = [rules.mount_entry(name) for name in mounts]
    if rules.wants_html(request):
        body = rules.index_head(request) + rules.index_lines(entries) + rules.INDEX_TAIL
        headers = [*rules.INDEX_HEADERS, ("Content-Length", str(len(body)))]
        return Reply(200, headers, body)
    return rules.json_reply(200, rules.listing_json(None, "", entries, None, len(entries)))


# -- uploads -------------------------------------------------------------------------------


def upload(node: Any, request: Request, source: Any, length: int | None) -> Logic[Reply]:
    """PUT: stream ``source`` (``read(n)``, sync or awaitable, ``b''`` at the end) into
    ``node.open('wb')``, which publishes only on a clean close: an upload that fails,
    ends early or is cut off publishes nothing and leaves the old content."""
    existing = yield from _info_or_none(node)
    if existing is not None and existing.isdir:
        return rules.error_reply(409, "conflict", f"A folder is there: {rules.shown_path(request)}")
    handle = yield call(node.open, "wb")
    file = yield call(_enter(handle))
    received = 0
    try:
        while chunk := (yield call(source.read, rules.CHUNK)):
            received += len(chunk)
            if length is not None and received > length:
                raise rules.upload_mismatch()
            yield call(file.write, chunk)
        if length is not None and received != length:
            raise rules.upload_mismatch()
    except BaseException as exc:
        yield call(_exit(handle), type(exc), exc, exc.__traceback__)  # aborts: nothing lands
        raise
    yield call(_exit(handle), None, None, None)
    written = file.node
    payload = {"mount": written.mount, "path": written.path, "size": received}
    return rules.json_reply(200 if existing is not None else 201, payload)


def _info_or_none(node: Any) -> Logic[FileInfo | None]:
    try:
        info: FileInfo = yield call(node.info)
    except StorageNotFoundError:
        return None
    return info


# -- whole mounts ----------------------------------------------------------------------------


class MountsApp:
    """The decisions of ``wsgi_app``/``asgi_app``, shared by both: which requests are
    allowed and what each does. ``storage`` is a manager of the adapter's API."""

    METHODS = "GET, HEAD, PUT, DELETE"

    def __init__(
        self, storage: Any, mounts: Any = None, writable: bool = False, token: Any = None
    ) -> None:
        if not isinstance(writable, bool):
            raise StorageConfigError(f"writable must be True or False, not {writable!r}")
        self.storage = storage
        self.mounts = self._check_mounts(storage, mounts)
        self.writable = writable
        self._token = rules.check_token(token)

    @staticmethod
    def _check_mounts(storage: Any, mounts: Any) -> tuple[str, ...] | None:
        if mounts is None:
            return None
        if isinstance(mounts, str):
            mounts = [mounts]
        try:
            names = tuple(mounts)
        except TypeError:
            raise StorageConfigError(
                f"mounts must be a list of mount names or None, not {type(mounts).__name__}"
            ) from None
        for name in names:
            if not valid_mount_name(name) or not storage.has_mount(name):
                shown = repr(name) if isinstance(name, str) else type(name).__name__
                raise StorageConfigError(f"mounts: {shown} is not a configured mount")
        return names

    def __repr__(self) -> str:
        shown = "all" if self.mounts is None else list(self.mounts)
        token = "yes" if self._token else "no"
        return f"<MountsApp mounts={shown} writable={self.writable} token={token}>"

    def exposed(self) -> list[str]:
        """The mounts served now (all of the manager's when ``mounts`` was ``None``)."""
        current = self.storage.mounts
        if self.mounts is None:
            return list(current)
        return [name for name in self.mounts if name in current]

    def admit(self, request: Request) -> Reply | None:
        """The answer that ends a request before any I/O (401, 405), else ``None``."""
        if self._token is not None and not rules.token_ok(
            request.header("authorization"), self._token
        ):
            return rules.unauthorized()
        if request.method not in ("GET", "HEAD", "PUT", "DELETE"):
            return rules.method_not_allowed(self.METHODS)
        return None

    def handle(self, request: Request, source: Any) -> Logic[Reply]:
        """The whole request. ``source``: the body of a PUT, with ``length()`` (the length
        announced, or ``None``; a :class:`rules.RequestError` when it cannot be read) and
        ``read(n)`` (see :func:`upload`)."""
        early = self.admit(request)
        if early is not None:
            return early
        target = rules.parse_target(request)
        method = request.method
        if target.mount is None:
            if method not in ("GET", "HEAD"):
                return rules.method_not_allowed("GET, HEAD")
            return _root_listing(request, self.exposed())
        if target.mount not in self.exposed():
            return rules.not_found(request)
        node = self.storage.node(target.mount, target.path)
        if node.path != target.path:  # the store would name another entry: never serve it
            return rules.not_found(request)
        if method in ("GET", "HEAD"):
            if target.folder:
                return (yield from _listing(request, node, target.mount))
            info: FileInfo = yield call(node.info)
            if info.isdir:
                return rules.redirect_to_folder(request)
            return _file_reply(node, request, info, _APP_FILE_OPTIONS[_download(request)])
        caps = node.capabilities
        if method == "PUT":
            allowed = caps.mkdir if target.folder else caps.write
            if not (self.writable and allowed):
                return rules.forbidden(request, "Writing is not allowed")
            declared = source.length()
            if target.folder:
                if declared:
                    raise RequestError(400, "bad_request", "A folder is created with an empty body")
                yield call(node.mkdir, parents=True, exist_ok=True)
                return rules.json_reply(201, {"mount": node.mount, "path": node.path})
            return (yield from upload(node, request, source, declared))
        if not (self.writable and caps.delete):
            return rules.forbidden(request, "Deleting is not allowed")
        if not node.path:
            return rules.forbidden(request, "A mount's root cannot be deleted")
        found = yield from _info_or_none(node)
        if found is None:
            # Nothing there: the state asked for holds (as S3 answers). An object store's
            # folder also vanishes with its last entry, so a client that deletes a tree
            # entry by entry, then the folder (the http backend does), succeeds.
            return Reply(204, [])
        if target.folder and not found.isdir:
            return rules.not_found(request)
        recursive = (request.param("recursive") or "").lower() in ("1", "true", "yes")
        yield call(node.delete, recursive=recursive)
        return Reply(204, [])


_APP_FILE_OPTIONS = {False: FileOptions(), True: FileOptions(download=True)}


def _download(request: Request) -> bool:
    """``?download`` (or ``?download=1``) asks for ``Content-Disposition: attachment``."""
    value = request.param("download")
    return value is not None and value.lower() not in ("0", "false", "no")
