"""HTTP written once for servers that may lie: redirects, status, ranges, bounded reads
and downloads, over an abstract *transport* (no I/O here).

Every HTTP request of the library goes through these generators: the HTTP backend's
reads, listings and writes (both APIs, on the mount's aiohttp session) and
``fill_from_url`` (urllib in the sync API, aiohttp in the async one). A transport makes
ops (see ``sansio``) for three primitives and decides nothing:

* ``send(method, url, headers, body)`` sends one request and gives a :class:`Response`
  once the headers arrived. It never follows a redirect and never decodes a
  ``Content-Encoding``.
* ``read(response, size)`` gives at most ``size`` bytes of the body, ``b''`` at its end.
* ``close(response)`` drops the connection unless the body was read to its end.

The rules that hold whatever the server says:

* **Bytes as sent.** Requests say ``Accept-Encoding: identity`` and nothing is ever
  decoded: a file's content is the bytes on the wire, its size their count
  (``Content-Length``), and a gzip bomb stays as small as it was sent. Both APIs store
  the same bytes.
* **Bounded reads.** A ranged read checks ``206`` and ``Content-Range``; on a ``200`` (a
  server that ignores ``Range``) it skips to the start itself, reads at most the bytes
  asked for and closes the connection. No read holds more than its limit plus one chunk.
* **Complete bodies.** A body shorter than its ``Content-Length`` is an error, never a
  short file.
* **Redirects.** At most :data:`MAX_REDIRECTS`, only to ``http``/``https`` (another scheme
  is refused), and from the first hop to another origin (scheme, host, port) on, only
  the library's own headers are sent: every configured header (``Authorization``,
  ``X-Api-Key``, cookies...) stays with the origin it was configured for. Writes never
  follow redirects.
"""

from __future__ import annotations

import base64
import contextlib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from .config import require
from .exceptions import (
    StorageBackendError,
    StorageConfigError,
    StoragePermissionError,
    changed_while_read,
    errors_as_storage,
    not_found,
)
from .info import unquote_etag
from .paths import check_url
from .redact import url_credentials
from .sansio import Logic, call

__all__ = [
    "CHUNK",
    "DEFAULT_TIMEOUT",
    "MAX_REDIRECTS",
    "Response",
    "StreamReader",
    "Transport",
    "check_status",
    "check_timeout",
    "declared_length",
    "download",
    "open_url",
    "read_all",
    "read_at_most",
    "read_range",
    "release",
    "shown",
]

#: Bytes asked of the transport at once when a body is skipped or streamed.
CHUNK = 1024 * 1024
#: Bytes a download passes to the writer at once.
DOWNLOAD_CHUNK = 4 * 1024 * 1024
MAX_REDIRECTS = 10
REDIRECTS = frozenset((301, 302, 303, 307, 308))
#: Seconds without any byte arriving (or to connect) before a request fails. It is an
#: idle timeout, never a total one: a download runs as long as data flows.
DEFAULT_TIMEOUT = 60.0
#: The headers the library sets itself; every other header is a configured one.
OWN_HEADERS = frozenset(("range", "accept-encoding"))
IDENTITY = "identity"
_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.I)


@dataclass
class Response:
    """One answer: the status, the URL it answers, its headers (names in lower case)
    and the client's own response object (``handle``), which only the transport uses."""

    status: int
    url: str
    headers: Mapping[str, str]
    handle: Any = None
    #: Set once a read found the end of the body.
    finished: bool = False

    def header(self, name: str) -> str | None:
        """The value of header ``name`` (any case), None when absent."""
        return self.headers.get(name.lower())


class Transport(Protocol):
    """Makes the ops of one HTTP client (see the module docstring)."""

    def send(self, method: str, url: str, headers: dict[str, str], body: Any = None) -> Any:
        """The op that sends a request; its result is a :class:`Response`."""
        ...

    def read(self, response: Response, size: int) -> Any:
        """The op that reads up to ``size`` bytes of the body (``b''`` at its end)."""
        ...

    def close(self, response: Response) -> Any:
        """The op that closes the response."""
        ...


# -- facts from URLs and headers (no I/O) ----------------------------------------------


def shown(url: str) -> str:
    """``url`` as it may appear in a message: no user info, query or fragment."""
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    return urllib.parse.urlunsplit((parts.scheme, host + port, parts.path, "", ""))


def origin(url: str) -> tuple[str, str, int | None]:
    """``(scheme, host, port)``: two URLs of the same origin share all three."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # an invalid port is an origin of its own
    return scheme, (parts.hostname or "").lower(), port or {"http": 80, "https": 443}.get(scheme)


def requote(url: str) -> str:
    """``url`` with what may not appear raw in a request line percent-encoded (escapes
    already there are kept)."""
    parts = urllib.parse.urlsplit(url)
    safe = "/:@!$&'()*+,;=-._~%"
    return urllib.parse.urlunsplit(
        (
            parts.scheme,
            parts.netloc,
            urllib.parse.quote(parts.path, safe=safe),
            urllib.parse.quote(parts.query, safe=safe + "?"),
            "",
        )
    )


def redirect_target(url: str, location: str, where: str) -> str:
    """Where a redirect from ``url`` leads; refuses every scheme but http(s)."""
    target = urllib.parse.urljoin(url, location.strip())
    scheme = urllib.parse.urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise StoragePermissionError(
            f"Refusing to follow a redirect of '{where}' to a {scheme or 'relative'}: URL"
            " (only http and https are followed)"
        )
    return requote(target)


def check_status(response: Response, where: str) -> None:
    """Raise the library's error for an error status (the same shapes as every store)."""
    status = response.status
    if 200 <= status < 300:
        return
    if status in (404, 410):
        raise not_found(where)
    if status in (401, 403):
        raise StoragePermissionError(f"Permission denied by the store: '{where}'")
    raise StorageBackendError(f"Backend error on '{where}': HTTP {status}")


def declared_length(response: Response, where: str) -> int | None:
    """The body length the server announced, ``None`` when it did not (chunked)."""
    if response.header("transfer-encoding"):
        return None
    value = response.header("content-length")
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit():
        raise StorageBackendError(f"Backend error on '{where}': invalid Content-Length")
    return int(value)


def content_type(response: Response) -> str:
    """The media type of the body (``text/html``...), lower case, without parameters."""
    return (response.header("content-type") or "").partition(";")[0].strip().lower()


def _range_bounds(response: Response, where: str) -> tuple[int, int]:
    """``(first, last)`` byte of a partial answer, from its ``Content-Range``."""
    match = _CONTENT_RANGE.match(response.header("content-range") or "")
    if match is None or int(match.group(2)) < int(match.group(1)):
        raise StorageBackendError(
            f"Backend error on '{where}': a partial answer (206) without a valid Content-Range"
        )
    return int(match.group(1)), int(match.group(2))


def check_timeout(timeout: Any) -> float | None:
    """A valid idle timeout: seconds > 0, or ``None`` for none."""
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise StorageConfigError(f"timeout must be seconds > 0 or None, not {timeout!r}")
    return float(timeout)


# -- requests -----------------------------------------------------------------------


def open_url(
    transport: Transport,
    method: str,
    url: str,
    headers: Mapping[str, str],
    where: str,
    follow: bool = True,
    body: Any = None,
) -> Logic[Response]:
    """Send a request and follow its redirects by the rules above; the answer's status
    is not checked here. The caller closes the response (:func:`release`). A request
    with a ``body`` is a write: pass ``follow=False``."""
    sent = {**headers, "Accept-Encoding": IDENTITY}
    start = None  # the first request's origin, worked out at the first redirect
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        with errors_as_storage(where):
            response: Response = yield transport.send(method, current, sent, body)
        if not follow or response.status not in REDIRECTS:
            return response
        location = response.header("location")
        yield from release(transport, response)
        if not location:
            raise StorageBackendError(
                f"Backend error on '{where}': HTTP {response.status} without a Location"
            )
        if start is None:
            start = origin(url)
        current = redirect_target(current, location, where)
        if origin(current) != start:
            sent = {k: v for k, v in sent.items() if k.lower() in OWN_HEADERS}
    raise StorageBackendError(f"Backend error on '{where}': more than {MAX_REDIRECTS} redirects")


def release(transport: Transport, response: Response) -> Logic[None]:
    """Close a response; a failure to close never hides the error being reported."""
    with contextlib.suppress(Exception):
        yield transport.close(response)


def read_some(transport: Transport, response: Response, size: int, where: str) -> Logic[bytes]:
    """At most ``size`` bytes of the body (``b''`` at its end)."""
    with errors_as_storage(where):
        data: bytes = yield transport.read(response, size)
    if not data:
        response.finished = True
    return data


def read_at_most(transport: Transport, response: Response, limit: int, where: str) -> Logic[bytes]:
    """Up to ``limit`` bytes: fewer only at the end of the body."""
    parts: list[bytes] = []
    have = 0
    while have < limit:
        chunk = yield from read_some(transport, response, limit - have, where)
        if not chunk:
            break
        parts.append(chunk)
        have += len(chunk)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def skip(transport: Transport, response: Response, count: int, where: str) -> Logic[int]:
    """Read and drop ``count`` bytes (fewer at the end of the body); the number dropped."""
    dropped = 0
    while dropped < count:
        chunk = yield from read_some(transport, response, min(CHUNK, count - dropped), where)
        if not chunk:
            break
        dropped += len(chunk)
    return dropped


def check_complete(received: int, expected: int | None, where: str) -> None:
    """Refuse a body that ended before the length the server announced."""
    if expected is not None and received != expected:
        raise StorageBackendError(
            f"Backend error on '{where}': the body ended after {received} of the"
            f" {expected} bytes announced"
        )


def read_all(transport: Transport, response: Response, where: str) -> Logic[bytes]:
    """The whole body, checked against its ``Content-Length``."""
    expected = declared_length(response, where)
    parts: list[bytes] = []
    received = 0
    # Once the announced length has arrived the body is over: no read to find its end
    # (one op fewer per small GET; the transport releases a fully read body's connection).
    while expected is None or received < expected:
        chunk = yield from read_some(transport, response, CHUNK, where)
        if not chunk:
            break
        parts.append(chunk)
        received += len(chunk)
    check_complete(received, expected, where)
    return b"".join(parts)


def read_range(
    transport: Transport,
    url: str,
    start: int,
    end: int | None,
    headers: Mapping[str, str],
    where: str,
    etag: str | None = None,
) -> Logic[bytes]:
    """Bytes ``[start, end)`` of ``url`` (to the end when ``end`` is ``None``).

    A ``206`` must start where asked (``Content-Range``); a ``200`` is sliced here. At
    most ``end - start`` bytes are read, then the connection is closed; a range that
    starts past the end is empty (``416``). ``etag``: the reader's ETag; an answer
    with another ETag, or none, is refused. Its own ETag is the check, not ``If-Match``
    (ignored by some servers, always refused on a weak ETag).
    """
    if start < 0 or (end is not None and end <= start):
        return b""
    sent = dict(headers)
    if start or end is not None:
        sent["Range"] = f"bytes={start}-{'' if end is None else end - 1}"
    response = yield from open_url(transport, "GET", url, sent, where)
    try:
        tag = unquote_etag(response.header("etag"))
        if etag is not None and response.status in (200, 206) and tag != etag:
            raise changed_while_read(where)  # not the bytes of the version read so far
        if response.status == 416:
            return b""
        check_status(response, where)
        announced: int | None = None  # bytes a partial answer says it carries
        if response.status == 206:
            first, last = _range_bounds(response, where)
            announced = last - first + 1
            if first != start:
                raise StorageBackendError(
                    f"Backend error on '{where}': asked for bytes from {start}, the server"
                    f" answered bytes from {first}"
                )
        elif start and (yield from skip(transport, response, start, where)) < start:
            return b""  # the file ends before ``start``
        if end is None:
            if response.status == 200 and start:  # sliced here: the rest, unchecked
                parts = []
                while chunk := (yield from read_some(transport, response, CHUNK, where)):
                    parts.append(chunk)
                return b"".join(parts)
            data = yield from read_all(transport, response, where)
        else:
            data = yield from read_at_most(transport, response, end - start, where)
        wanted = announced if end is None or announced is None else min(announced, end - start)
        if wanted is not None and len(data) < wanted:  # the body ended early: no short read
            raise StorageBackendError(
                f"Backend error on '{where}': the server announced {wanted} bytes from"
                f" {start} and sent {len(data)}"
            )
        return data
    finally:
        yield from release(transport, response)


class StreamReader:
    """A file read front to back with one GET: ``read(n)`` holds at most ``n`` bytes,
    whatever the size (known or not); the body is checked against its
    ``Content-Length`` at its end. Driven sync or async through the faces of
    ``backends.streams`` (``SyncReader``/``AsyncReader``).
    """

    methods: ClassVar[tuple[str, ...]] = ("read", "close")

    def __init__(
        self, transport: Transport, url: str, headers: Mapping[str, str], where: str
    ) -> None:
        self._transport = transport
        self._url = url
        self._headers = dict(headers)
        self._name = where
        self._response: Response | None = None
        self._expected: int | None = None
        self._received = 0
        self._ended = False
        self._closed = False

    def _where(self) -> str:
        """The file's name in messages."""
        return self._name

    def _g_read(self, size: int = -1) -> Logic[bytes]:
        """Up to ``size`` bytes (all the rest when negative); ``b''`` at the end."""
        if self._closed:
            raise ValueError("read from a closed file")
        if self._ended or size == 0:
            return b""
        transport, where = self._transport, self._name
        if self._response is None:
            response = yield from open_url(transport, "GET", self._url, self._headers, where)
            try:
                check_status(response, where)
                self._expected = declared_length(response, where)
            except BaseException:
                yield from release(transport, response)
                raise
            self._response = response
        response = self._response
        limit = None if size is None or size < 0 else size
        try:
            parts: list[bytes] = []
            have = 0
            while limit is None or have < limit:
                want = CHUNK if limit is None else limit - have
                chunk = yield from read_some(transport, response, want, where)
                if not chunk:
                    break
                parts.append(chunk)
                have += len(chunk)
            self._received += have
            if response.finished:
                check_complete(self._received, self._expected, where)
                self._ended = True
                yield from self._g_drop()
        except BaseException:
            yield from self._g_drop()
            raise
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _g_drop(self) -> Logic[None]:
        response, self._response = self._response, None
        if response is not None:
            yield from release(self._transport, response)

    def _g_close(self) -> Logic[None]:
        self._closed = True
        yield from self._g_drop()


# -- downloads ------------------------------------------------------------------------


def download(
    node: Any, url: str, transport: Transport, chunk_size: int = DOWNLOAD_CHUNK
) -> Logic[Any]:
    """``fill_from_url``: stream ``url`` into ``node``, published only when the whole
    announced body arrived (else the writer is aborted and nothing is written)."""
    require(node.config, "write", f"write '{node.fullpath}'")
    check_url(url)
    target, credentials = url_credentials(url)  # a malformed URL is a config error
    headers: dict[str, str] = {}
    if credentials is not None:  # sent as a header: no message or redirect quotes them
        token = base64.b64encode(":".join(credentials).encode()).decode("ascii")
        headers["Authorization"] = f"Basic {token}"
    where = shown(target)
    response = yield from open_url(transport, "GET", requote(target), headers, where)
    new_path = None
    try:
        check_status(response, where)
        expected = declared_length(response, where)
        writer = yield call(node._backend.open_write, node.path)
        try:
            received = 0
            while chunk := (yield from read_at_most(transport, response, chunk_size, where)):
                yield call(writer.write, chunk)
                received += len(chunk)
            check_complete(received, expected, where)
            new_path = yield call(writer.commit)
        except BaseException:
            with contextlib.suppress(Exception):
                yield call(writer.abort)
            raise
    finally:
        yield from release(transport, response)
    # base64: the data is the path, so the data lives in another node
    return node._at(new_path) if isinstance(new_path, str) else node
