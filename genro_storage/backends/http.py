"""HTTP(S) files over aiohttp (the session of fsspec's HTTPFileSystem): ``HTTPLogic``,
its index-page parser, and the sync ``HTTPBackend``. Every request follows the rules
of ``_shared.httpwire``; ``httpclients`` holds the transport.

The logic serves both APIs: ``genro_storage.async_.backends.http`` drives the same
class asynchronously.
"""

from __future__ import annotations

import bisect
import codecs
import html
import itertools
import re
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from html.parser import HTMLParser
from typing import Any

from .._shared import capabilities as caps
from .._shared import httpwire as wire
from .._shared.exceptions import (
    StorageBackendError,
    StorageError,
    StoragePermissionError,
    is_a_directory,
    not_a_directory,
    not_found,
    read_only,
)
from .._shared.identity import Location, endpoint_place, segments
from .._shared.info import FileInfo, Page, md5_from_etag, page_after, unquote_etag
from .._shared.paths import join
from .._shared.sansio import Logic
from .drivers import SyncDriver
from .facts import md5_from_base64, timestamp
from .httpclients import AiohttpTransport, LocalFile
from .store import StoreLogic
from .streams import ReaderLogic

__all__ = ["HTTPBackend", "HTTPLogic"]

_HTML = ("text/html", "application/xhtml+xml")
_INDEX_TITLE = re.compile(r"^\s*(?:index of|directory listing for)\s+(\S.*?)\s*$", re.I | re.S)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title", re.I | re.S)
#: The text after a link in an nginx-style autoindex line: date, time, exact size.
_AUTOINDEX_TAIL = re.compile(
    r"^[ \t]+\d{1,2}-[A-Za-z]{3}-\d{4}[ \t]+\d{1,2}:\d{2}(?::\d{2})?[ \t]+(\d+|-)[ \t]*(?:\r?\n|$)"
)
#: Bytes of an HTML file read to tell a folder's index page from a page (its title).
TITLE_BYTES = 64 * 1024
#: Largest index page read; a larger (or endless) one is refused.
INDEX_BYTES = 32 * 1024 * 1024
#: Listings paged by ``list(page_size=...)`` keep their parsed index this many at a time.
SNAPSHOTS = 4


@dataclass(frozen=True)
class _Entry:
    name: str
    is_dir: bool
    size: int | None


class _IndexParser(HTMLParser):
    """Reads an index page piece by piece: its title, and each link to an entry directly
    below ``base`` (a folder URL, ending in ``/``) with the size an autoindex line gives."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        parts = urllib.parse.urlsplit(base)
        self._scheme_host = (parts.scheme.lower(), parts.netloc.lower())
        self._base = base
        self._base_path = urllib.parse.unquote(parts.path)
        self.entries: dict[str, _Entry] = {}
        self.title: list[str] = []
        self._in_title = False
        self._pending: _Entry | None = None  # the link being read
        self._after: _Entry | None = None  # the link whose trailing text is being read
        self._tail = ""

    def _target(self, href: str) -> tuple[str, bool] | None:
        target = urllib.parse.urlsplit(urllib.parse.urljoin(self._base, href.strip()))
        if (target.scheme.lower(), target.netloc.lower()) != self._scheme_host:
            return None
        try:
            path = urllib.parse.unquote(target.path, errors="strict")
        except UnicodeDecodeError:
            return None
        if not path.startswith(self._base_path):
            return None
        rest = path[len(self._base_path) :]
        name = rest[:-1] if rest.endswith("/") else rest
        if not name or "/" in name:
            return None
        return name, rest.endswith("/")

    def _end_tail(self) -> None:
        entry, self._after = self._after, None
        if entry is None:
            return
        match = _AUTOINDEX_TAIL.match(self._tail)
        self._tail = ""
        if match and match.group(1) != "-" and not entry.is_dir:
            self.entries[entry.name] = replace(entry, size=int(match.group(1)))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._end_tail()
        if tag == "title":
            self._in_title = True
        elif tag == "a":
            href = dict(attrs).get("href")
            found = self._target(href) if href else None
            self._pending = None
            if found is not None:
                name, is_dir = found
                self._pending = self.entries.setdefault(name, _Entry(name, is_dir, None))

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag == "a":
            self._after, self._pending = self._pending, None
            self._tail = ""
            return
        self._end_tail()

    def handle_data(self, data: str) -> None:
        if self._in_title and sum(map(len, self.title)) < 4096:
            self.title.append(data)
        if self._after is not None and len(self._tail) < 256:
            self._tail += data

    def close(self) -> None:
        super().close()
        self._end_tail()


def _names_folder(title: str, url: str) -> bool:
    """Whether a page title ("Index of /a/b/", "Directory listing for /a/b/") names the
    folder at ``url``."""
    match = _INDEX_TITLE.match(title)
    if match is None:
        return False
    named = urllib.parse.unquote(match.group(1)).rstrip("/")
    return named == urllib.parse.unquote(urllib.parse.urlsplit(url).path).rstrip("/")


class _Snapshots:
    """The parsed index of the last few paged listings, so that the next page resumes
    without downloading the index again (cursor ``'<id>/<last name>'``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[str, tuple[str, list[_Entry], list[str]]] = OrderedDict()
        self._ids = itertools.count(1)

    def get(self, key: str, path: str) -> tuple[list[_Entry], list[str]] | None:
        with self._lock:
            item = self._items.get(key)
            if item is None or item[0] != path:
                return None
            self._items.move_to_end(key)
            return item[1], item[2]

    def put(self, path: str, entries: list[_Entry], names: list[str]) -> str:
        with self._lock:
            key = f"s{next(self._ids)}"
            self._items[key] = (path, entries, names)
            while len(self._items) > SNAPSHOTS:
                self._items.popitem(last=False)
            return key

    def drop(self, key: str | None) -> None:
        with self._lock:
            if key is not None:
                self._items.pop(key, None)


_TOTAL = re.compile(r"^\s*bytes\s+0-0/(\d+)\s*$", re.I)


def _total_size(transport: Any, url: str, hd: Mapping[str, str], where: str) -> Logic[int | None]:
    """A chunked file's size: the total of a one-byte ranged answer (else ``None``)."""
    response = yield from wire.open_url(transport, "GET", url, {**hd, "Range": "bytes=0-0"}, where)
    try:  # no body is read
        match = _TOTAL.match(response.header("content-range") or "")
        return int(match.group(1)) if response.status == 206 and match else None
    finally:
        yield from wire.release(transport, response)


class HTTPLogic(StoreLogic):
    """Files under ``base_url`` over aiohttp (the session of fsspec's HTTPFileSystem).

    Read-only unless ``writable: true`` (then PUT and DELETE, ``mkdir`` = ``PUT dir/``).
    Every request follows the rules of ``_shared.httpwire`` (bytes as sent, bounded
    reads, checked redirects, configured headers kept to their origin). A folder is a
    URL the server redirects to ``<url>/``, or an HTML page titled as the index of its
    own path; a listing parses the folder's index page once (names, kinds, and sizes
    where the page gives them, as nginx's autoindex does) and never asks per entry.
    The MD5 comes from a quoted-MD5 ``ETag``.
    """

    type_name = "http"
    capabilities = caps.HTTP

    def _setup(self) -> None:
        opts = self.config.options
        self._base = str(opts["base_url"]).rstrip("/")
        # Field types ('writable' a bool, 'timeout' seconds > 0) are checked by config.
        self._writable = opts.get("writable") is True
        timeout = opts.get("timeout")
        self._timeout = wire.DEFAULT_TIMEOUT if timeout is None else float(timeout)
        extra, client_kwargs = self._user_options()
        headers: dict[str, str] = {}
        for source in (client_kwargs, extra, opts):
            headers.update({str(k): str(v) for k, v in dict(source.get("headers") or {}).items()})
        auth = extra.get("auth") or client_kwargs.get("auth")
        if auth is not None and hasattr(auth, "encode"):
            headers.setdefault("Authorization", auth.encode())
        self._headers = headers
        self._snapshots = _Snapshots()
        if self._writable:
            self.capabilities = replace(caps.HTTP, write=True, delete=True, mkdir=True)
        super()._setup()

    def _fs_class(self) -> type[Any]:
        from fsspec.implementations.http import HTTPFileSystem

        fs_class: type[Any] = HTTPFileSystem  # fsspec ships no types
        return fs_class

    def _fs_is_async(self) -> bool:
        return True

    def _fs_kwargs(self) -> dict[str, Any]:
        # Headers and auth go with each request (``self._headers``), never as session
        # defaults: they must not follow a redirect to another origin.
        extra, client_kwargs = self._user_options()
        for options in (extra, client_kwargs):
            options.pop("headers", None)
            options.pop("auth", None)
        return {"encoded": True, "client_kwargs": client_kwargs, **extra}

    def _transport(self) -> AiohttpTransport:
        return AiohttpTransport(self._fs_coro, self._timeout)

    def full(self, path: str) -> str:
        return f"{self._base}/{urllib.parse.quote(path)}" if path else f"{self._base}/"

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        return self.full(path)

    def location(self, path: str) -> Location:
        # the base URL as a server resolves it; the path below it is literal
        return Location(("http",), (*endpoint_place(self._base), *segments(path)))

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

    # -- requests ------------------------------------------------------------------------
    def _g_send(self, method: str, url: str, where: str, body: Any = None) -> Logic[int]:
        """A write request (never redirected); its status."""
        transport = self._transport()
        response = yield from wire.open_url(
            transport, method, url, self._headers, where, follow=False, body=body
        )
        yield from wire.release(transport, response)
        return response.status

    def _g_title_names_folder(self, url: str, where: str) -> Logic[bool]:
        """Read the start of the HTML page at ``url``: is it the index of its own path?"""
        transport = self._transport()
        response = yield from wire.open_url(transport, "GET", url, self._headers, where)
        try:
            wire.check_status(response, where)
            if response.url == url + "/":
                return True
            head = yield from wire.read_at_most(transport, response, TITLE_BYTES, where)
        finally:
            yield from wire.release(transport, response)
        match = _TITLE.search(head)
        if match is None:
            return False
        title = html.unescape(match.group(1).decode("utf-8", "replace"))
        return _names_folder(title, response.url)

    def _g_index(self, path: str) -> Logic[list[_Entry] | None]:
        """The folder's entries (sorted by name) from its index page, or ``None`` when
        the address is no folder. Links that cannot be an entry's path are skipped."""
        where = self.where(path)
        folder = self.full(path).rstrip("/") + "/"
        transport = self._transport()
        # An index page is HTML: servers that also speak JSON (genro-storage's own
        # serve apps) answer a folder with the page a listing can read.
        headers = {"Accept": "text/html, */*;q=0.1", **self._headers}
        response = yield from wire.open_url(transport, "GET", folder, headers, where)
        try:
            if response.status in (404, 410) and path:
                found = yield from self._g_info_or_none(path)
                if found is not None and found.isfile:
                    return None  # a file: "not a directory" rather than "not found"
            wire.check_status(response, where)
            if wire.content_type(response) not in _HTML:
                return None
            parser = _IndexParser(response.url)
            charset = _charset(response.header("content-type"))
            decoder = codecs.getincrementaldecoder(charset)("replace")
            total = 0
            while chunk := (yield from wire.read_some(transport, response, wire.CHUNK, where)):
                total += len(chunk)
                if total > INDEX_BYTES:
                    raise StorageBackendError(
                        f"Backend error on '{where}': the index page is larger than"
                        f" {INDEX_BYTES // (1024 * 1024)} MiB"
                    )
                parser.feed(decoder.decode(chunk))
            parser.feed(decoder.decode(b"", final=True))
            parser.close()
        finally:
            yield from wire.release(transport, response)
        entries = [e for e in parser.entries.values() if _addressable(path, e.name)]
        if not _names_folder("".join(parser.title), response.url):
            if not entries:
                return None
            # A page with links, not titled as this folder's index: a folder only if
            # the address itself says so (an HTML file's relative links are not entries).
            if path and not (yield from self._g_info(path)).isdir:
                return None
        entries.sort(key=lambda e: e.name)
        return entries

    # -- the contract --------------------------------------------------------------------
    def _g_info(self, path: str) -> Logic[FileInfo]:
        """Facts from a HEAD of the address itself: a folder when the server redirects it
        to ``<address>/``, or when an HTML answer is titled as the index of its path."""
        if not path:
            return FileInfo("", "directory")
        where = self.where(path)
        url = self.full(path)
        transport = self._transport()
        response = yield from wire.open_url(transport, "HEAD", url, self._headers, where)
        yield from wire.release(transport, response)
        if response.status in (403, 405, 501):  # no HEAD here: the headers of a GET
            response = yield from wire.open_url(transport, "GET", url, self._headers, where)
            yield from wire.release(transport, response)
        wire.check_status(response, where)
        kind = wire.content_type(response)
        if response.url == url + "/" or (
            kind in _HTML and (yield from self._g_title_names_folder(url, where))
        ):
            return FileInfo(path, "directory")
        etag = response.header("etag")
        size = wire.declared_length(response, where)
        if size is None and response.status == 200:  # chunked: a Range answer may say
            size = yield from _total_size(transport, url, self._headers, where)
        return FileInfo(
            path,
            "file",
            size,
            timestamp(response.header("last-modified")),
            unquote_etag(etag),
            md5_from_etag(etag) or md5_from_base64(response.header("content-md5")),
            kind or None,
        )

    def _g_read_bytes(self, path: str) -> Logic[bytes]:
        where = self.where(path)
        transport = self._transport()
        url = self.full(path)
        response = yield from wire.open_url(transport, "GET", url, self._headers, where)
        try:
            wire.check_status(response, where)
            return (yield from wire.read_all(transport, response, where))
        finally:
            yield from wire.release(transport, response)

    def _g_read_range(
        self, path: str, start: int, end: int | None, etag: str | None = None
    ) -> Logic[bytes]:
        where = self.where(path)
        transport, url = self._transport(), self.full(path)
        return (yield from wire.read_range(transport, url, start, end, self._headers, where, etag))

    def _g_open_read(self, path: str) -> Logic[ReaderLogic]:
        """One streamed GET: ``read(n)`` holds ``n`` bytes whatever the size."""
        found = yield from self._g_info(path)
        if found.isdir:
            raise is_a_directory(self.where(path))
        reader = wire.StreamReader(
            self._transport(), self.full(path), self._headers, self.where(path)
        )
        return reader

    def _g_list(
        self, path: str, page_size: int | None = None, cursor: str | None = None
    ) -> Logic[Page]:
        """One page of the folder; the index is downloaded once per listing: the cursor
        (``'<snapshot>/<last name>'``) finds it again while it is kept."""
        key, _, after = cursor.partition("/") if cursor and "/" in cursor else ("", "", cursor)
        kept = self._snapshots.get(key, path) if key else None
        if kept is None:
            found = yield from self._g_index(path)
            if found is None:
                raise not_a_directory(self.where(path))
            entries, names, key = found, [e.name for e in found], ""
        else:
            entries, names = kept
        start = bisect.bisect_right(names, after) if after else 0
        chosen, last = page_after(names, page_size, after or None)
        if last is None:
            self._snapshots.drop(key or None)
            next_cursor = None
        else:
            next_cursor = f"{key or self._snapshots.put(path, entries, names)}/{last}"
        return Page(
            [
                FileInfo(join(path, e.name), "directory" if e.is_dir else "file", e.size)
                for e in entries[start : start + len(chosen)]
            ],
            next_cursor,
        )

    def _g_write_bytes(self, path: str, data: bytes) -> Logic[None]:
        self._require_writable("write", path)
        status = yield from self._g_send("PUT", self.full(path), self.where(path), bytes(data))
        self._check(status, path)

    def _g_upload_file(self, path: str, local: str, md5: bytes) -> Logic[None]:
        status = yield from self._g_send("PUT", self.full(path), self.where(path), LocalFile(local))
        self._check(status, path)

    def _g_mkdir(self, path: str, parents: bool = False, exist_ok: bool = False) -> Logic[None]:
        self._require_writable("create directory", path)
        if not (yield from self._g_mkdir_needed(path, parents, exist_ok)):
            return
        status = yield from self._g_send("PUT", self.full(path) + "/", self.where(path), b"")
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
        status = yield from self._g_send("DELETE", self.full(path), where)
        self._check(status, path)


def _charset(content_type: str | None) -> str:
    """The charset a Content-Type names, if Python knows it; else UTF-8."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            try:
                return codecs.lookup(value.strip().strip('"')).name
            except LookupError:
                break
    return "utf-8"


def _addressable(folder: str, name: str) -> bool:
    """Whether ``name`` is a path segment as it is (no NUL, ``\\``, ``.`` or ``..``)."""
    try:
        return join(folder, name) == (f"{folder}/{name}" if folder else name)
    except StorageError:
        return False


class HTTPBackend(SyncDriver):
    """HTTP(S) files through fsspec's HTTPFileSystem, sync API."""

    logic_class = HTTPLogic
