"""HTTP(S) files through fsspec's HTTPFileSystem: ``HTTPLogic``, its request and
index-page helpers, and the sync ``HTTPBackend``.

The logic serves both APIs: ``genro_storage.async_.backends.http`` drives the same
class asynchronously.
"""

from __future__ import annotations

import html
import io
import re
import urllib.parse
from dataclasses import replace
from typing import Any

from .._shared import capabilities as caps
from .._shared.exceptions import (
    StorageBackendError,
    StorageError,
    StoragePermissionError,
    errors_as_storage,
    not_a_directory,
    not_found,
    read_only,
)
from .._shared.identity import Location, segments
from .._shared.info import FileInfo, Page, md5_from_etag, page_after, unquote_etag
from .._shared.paths import join
from .._shared.sansio import Logic, Parallel, build_methods
from .fsspec import (
    LOGIC_METHODS,
    StoreLogic,
    SyncDriver,
    _md5_from_base64,
    _timestamp,
)

__all__ = ["HTTPBackend", "HTTPLogic"]

_HREF = re.compile(r"""href\s*=\s*["']([^"'#]+)["']""", re.I)
_LISTING_TITLE = re.compile(r"<title>\s*(index of|directory listing)", re.I)


async def _http_request(fs: Any, method: str, url: str, data: bytes | None = None) -> tuple:
    """One request with the filesystem's session: ``(status, final_url, content_type,
    body)``."""
    session = await fs.set_session()
    body = None if data is None else io.BytesIO(data)
    async with session.request(method, fs.encode_url(url), data=body, **fs.kwargs) as r:
        body = await r.read()
        kind = r.headers.get("Content-Type", "").partition(";")[0].strip().lower()
        return r.status, str(r.url), kind, body


class HTTPLogic(StoreLogic):
    """Files under ``base_url`` through fsspec's HTTPFileSystem (aiohttp).

    Read-only unless ``writable: true`` (then PUT and DELETE, ``mkdir`` = ``PUT dir/``).
    Folders are the server's HTML index pages; a listing is read whole and paged here
    (cursor = the last name). The MD5 comes from a quoted-MD5 ``ETag``.
    """

    type_name = "http"
    capabilities = caps.HTTP

    def _setup(self) -> None:
        opts = self.config.options
        self._base = str(opts["base_url"]).rstrip("/")
        # Field types ('writable' a bool, 'timeout' seconds > 0) are checked by config.
        self._writable = opts.get("writable") is True
        if self._writable:
            self.capabilities = replace(  # type: ignore[misc]
                caps.HTTP, write=True, delete=True, mkdir=True
            )
        super()._setup()

    def _fs_class(self) -> type:
        from fsspec.implementations.http import HTTPFileSystem

        return HTTPFileSystem

    def _fs_is_async(self) -> bool:
        return True

    def _fs_kwargs(self) -> dict[str, Any]:
        opts = self.config.options
        extra, client_kwargs = self._user_options()
        if opts.get("timeout") is not None:
            import aiohttp

            client_kwargs["timeout"] = aiohttp.ClientTimeout(total=float(opts["timeout"]))
        kwargs: dict[str, Any] = {"encoded": True, "client_kwargs": client_kwargs}
        if opts.get("headers"):
            kwargs["headers"] = dict(opts["headers"])
        return {**kwargs, **extra}

    def full(self, path: str) -> str:
        return f"{self._base}/{urllib.parse.quote(path)}" if path else f"{self._base}/"

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        return self.full(path)

    def location(self, path: str) -> Location:
        parts = urllib.parse.urlsplit(self._base)
        base = urllib.parse.unquote(parts.path)
        return Location(("http", parts.scheme, parts.hostname, parts.port), segments(base, path))

    def _require_writable(self, action: str, path: str) -> None:
        if not self._writable:
            raise read_only(self.mount, f"{action} '{self.where(path)}'")

    def _check(self, status: int, path: str) -> None:
        where = self.where(path)
        if status < 300:
            return
        if status == 404:
            raise not_found(where)
        if status in (401, 403, 405):
            raise StoragePermissionError(f"The server refused to change '{where}' (HTTP {status})")
        if status == 409:
            raise StorageError(f"The server refused to change '{where}': conflict (HTTP 409)")
        raise StorageBackendError(f"Backend error on '{where}': HTTP {status}")

    def _g_index(self, path: str) -> Logic[list[tuple[str, bool]] | None]:
        """The folder's ``[(name, is_dir)]`` from its index page, or ``None`` when the
        address is a file (no index page)."""
        folder = self.full(path).rstrip("/") + "/"
        with errors_as_storage(self.where(path)):
            status, final, kind, body = yield self._fs_coro(_http_request, "GET", folder)
        self._check(status, path)
        if kind not in ("text/html", "application/xhtml+xml"):
            return None
        text = body.decode("utf-8", "replace")
        base = urllib.parse.unquote(folder)
        names: dict[str, bool] = {}
        for href in _HREF.findall(text):
            target = urllib.parse.urljoin(final, html.unescape(href)).split("?", 1)[0]
            target = urllib.parse.unquote(target)
            if not target.startswith(base):
                continue
            rest = target[len(base) :]
            name = rest.rstrip("/")
            if name and "/" not in name and name not in (".", ".."):
                names[name] = rest.endswith("/")
        if not names and not _LISTING_TITLE.search(text):
            return None
        return sorted(names.items())

    def _g_info(self, path: str) -> Logic[FileInfo]:
        """Facts from a HEAD request; an HTML answer that is an index page is a folder."""
        if not path:
            return FileInfo("", "directory")
        with errors_as_storage(self.where(path)):
            raw = yield self._fs_op("info", self.full(path))
        kind = (raw.get("mimetype") or "").lower()
        if str(raw.get("url", "")).endswith("/") or (
            kind == "text/html" and (yield from self._g_index(path)) is not None
        ):
            return FileInfo(path, "directory")
        etag = raw.get("ETag")
        return FileInfo(
            path,
            "file",
            raw.get("size"),
            _timestamp(raw.get("Last-Modified")),
            unquote_etag(etag),
            md5_from_etag(etag) or _md5_from_base64(raw.get("Content-MD5")),
            kind or None,
        )

    def _g_read_bytes(self, path: str) -> Logic[bytes]:
        with errors_as_storage(self.where(path)):
            return (yield self._fs_op("cat_file", self.full(path)))

    def _g_list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Logic[Page]:
        names = yield from self._g_index(path)
        if names is None:
            raise not_a_directory(self.where(path))
        kinds = dict(names)
        chosen, next_cursor = page_after([n for n, _ in names], page_size, cursor)
        files = [n for n in chosen if not kinds[n]]
        facts = yield Parallel(
            tuple(self._g_info(join(path, n)) for n in files), 8, collect_errors=True
        )
        known = {n: f for n, f in zip(files, facts, strict=True) if isinstance(f, FileInfo)}
        entries = [
            known.get(n) or FileInfo(join(path, n), "directory" if kinds[n] else "file")
            for n in chosen
        ]
        return Page(entries, next_cursor)

    def _g_write_bytes(self, path: str, data: bytes) -> Logic[None]:
        self._require_writable("write", path)
        with errors_as_storage(self.where(path)):
            status, *_ = yield self._fs_coro(_http_request, "PUT", self.full(path), bytes(data))
        self._check(status, path)

    def _g_upload_file(self, path: str, local: str, md5: bytes) -> Logic[None]:
        with errors_as_storage(self.where(path)):
            yield self._fs_op("put_file", local, self.full(path), method="put")

    def _g_mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> Logic[None]:
        self._require_writable("create directory", path)
        if not (yield from self._g_mkdir_needed(path, parents, exist_ok)):
            return
        with errors_as_storage(self.where(path)):
            status, *_ = yield self._fs_coro(_http_request, "PUT", self.full(path) + "/", b"")
        self._check(status, path)

    def _g_delete(self, path: str, recursive: bool = False) -> Logic[None]:
        self._require_writable("delete", path)
        where = self.where(path)
        self._refuse_root(path)
        found = yield from self._g_info(path)
        if found.isdir:
            page = yield from self._g_list(path)
            if page.entries and not recursive:
                raise StorageError(f"Directory not empty: '{where}'")
            for entry in page.entries:
                yield from self._g_delete(entry.path, True)
        with errors_as_storage(where):
            status, *_ = yield self._fs_coro(_http_request, "DELETE", self.full(path))
        self._check(status, path)


class HTTPBackend(HTTPLogic, SyncDriver):
    """HTTP(S) files through fsspec's HTTPFileSystem, sync API."""


build_methods(HTTPBackend, LOGIC_METHODS, asynchronous=False)
