"""The HTTP decisions of serving, written once as plain functions over request facts.

Nothing here does I/O or knows WSGI from ASGI: the adapters (``wsgi``, ``asgi``) turn a
request into a :class:`Request`, the logic of ``handler`` asks these functions what to
answer, and the adapters send it. Every rule of the wire lives here: validators
(``ETag``, ``Last-Modified``, ``If-None-Match``/``If-Modified-Since``/``If-Range``),
byte ranges, ``Content-Disposition`` (RFC 6266), the checks of a request path (no
traversal in any encoding), the bearer token, listings (JSON and an nginx-style HTML
index) and JSON errors, which never hold a secret, an exception's text or a path of the
server's disk.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import html
import json
import math
import re
import time
import unicodedata
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._shared.exceptions import (
    StorageBackendError,
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageNotFoundError,
    StoragePermissionError,
)
from .._shared.info import FileInfo

#: Bytes read from a store or from an upload at once.
CHUNK = 1024 * 1024
#: Entries of one JSON listing page unless ``page_size`` asks otherwise, and the most
#: one page may ask for.
PAGE_SIZE = 1000
MAX_PAGE_SIZE = 10000
#: Entries asked of the store at once while an HTML index is streamed.
INDEX_PAGE = 1000
#: Media types of a store that say nothing: the name's type is guessed instead.
_GENERIC_TYPES = frozenset(("", "application/octet-stream", "binary/octet-stream"))
#: Percent-decodings a path segment is checked through (see ``check_path``).
_DECODINGS = 4
_RANGE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE | re.ASCII)
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_JSON_TYPES = ("application/json",)
_REASONS = {
    200: "OK",
    201: "Created",
    204: "No Content",
    206: "Partial Content",
    301: "Moved Permanently",
    304: "Not Modified",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    411: "Length Required",
    416: "Range Not Satisfiable",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def reason(status: int) -> str:
    """The reason phrase of ``status`` (for WSGI's status line)."""
    return _REASONS.get(status, "Unknown")


# -- the request ------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What the adapters know of one request, in plain values.

    ``path``: the decoded path below the application's root (``/m/a b.txt``), ``''`` for
    the root itself. ``root``: the decoded path the application is mounted at (WSGI's
    ``SCRIPT_NAME``, ASGI's ``root_path``). ``query``: the raw query string.
    ``headers``: lower-case names; repeated headers joined with ``', '``.
    ``path_ok``: false when the path sent was not UTF-8 (``path`` then shows it with
    replacement characters, and a whole-mounts application refuses it).
    """

    method: str
    path: str
    root: str = ""
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    path_ok: bool = True

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        """The first value of query parameter ``name`` (``''`` when it has none)."""
        values = urllib.parse.parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None


class RequestError(Exception):
    """A request answered with an error: ``status``, a short ``code`` and a message that
    names only what the client sent."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Target:
    """Where a path of a whole-mounts application points: ``mount`` is ``None`` for the
    application's root; ``folder`` when the path ends with ``/``."""

    mount: str | None
    path: str
    folder: bool


def check_path(path: str) -> list[str]:
    """The segments of a decoded request path, or :class:`RequestError` 400.

    Refused, whatever the encoding that carried them: ``.`` and ``..`` segments, empty
    segments (``//``), backslashes, NUL and other control characters, and a segment that
    further percent-decodings would turn into any of these (``%252e%252e``: ``..`` sent
    encoded twice, for a proxy or store that decodes again). A path is never
    normalised: what would change it is refused instead.
    """
    if path in ("", "/"):
        return []
    if not path.startswith("/"):
        raise _bad_path()
    for char in path:
        if char == "\\" or ord(char) < 0x20 or ord(char) == 0x7F:
            raise _bad_path()
    segments = path[1:].split("/")
    if segments[-1] == "":
        segments.pop()  # the trailing slash of a folder
    for segment in segments:
        if not _plain_segment(segment):
            raise _bad_path()
    return segments


def _plain_segment(segment: str) -> bool:
    """Whether ``segment`` is a name under every further percent-decoding (a proxy or
    a store that decodes once more must not find ``..``, a slash or NUL in it)."""
    text = segment
    for _ in range(_DECODINGS):
        if text in ("", ".", "..") or any(c in text for c in "/\\"):
            return False
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
            return False
        decoded = urllib.parse.unquote(text)
        if decoded == text:
            return True
        text = decoded
    return False  # still changing: encoded more times than any name needs


def _bad_path() -> RequestError:
    return RequestError(400, "bad_path", "The path is not allowed")


def parse_target(request: Request) -> Target:
    """The mount, path and kind a whole-mounts request names (see :func:`check_path`)."""
    if not request.path_ok:
        raise _bad_path()
    path = request.path
    segments = check_path(path)
    if not segments:
        return Target(None, "", True)
    return Target(segments[0], "/".join(segments[1:]), path.endswith("/"))


def decode_wsgi_path(value: str) -> tuple[str, bool]:
    """A WSGI path (bytes carried as latin-1, PEP 3333) as text, and whether it was
    UTF-8 (if not, the text has replacement characters)."""
    raw = value.encode("latin-1", "replace")
    try:
        return raw.decode("utf-8"), True
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace"), False


def raw_path_ok(raw: bytes | None) -> bool:
    """Whether a raw request path (ASGI's ``raw_path``) decodes as UTF-8 once its
    percent-escapes are undone."""
    if raw is None:
        return True
    try:
        urllib.parse.unquote_to_bytes(raw.split(b"?", 1)[0]).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def below_root(path: str, root: str) -> str:
    """``path`` without the ``root`` an application is mounted at (as Starlette does)."""
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


# -- uploads ---------------------------------------------------------------------------------


class ClientDisconnectedError(RequestError):
    """The client went away in the middle of its upload."""

    def __init__(self) -> None:
        super().__init__(400, "disconnected", "The client disconnected during the upload")


def upload_mismatch() -> RequestError:
    return RequestError(400, "incomplete_upload", "The body does not have the length announced")


def content_length(request: Request, terminated: bool) -> int | None:
    """The length an upload announces. Without ``Content-Length``, ``None`` when the
    server marks the end of the body itself (ASGI, a WSGI server's
    ``wsgi.input_terminated``), else 411: a WSGI body without it cannot be read safely."""
    value = request.header("content-length")
    if value is None:
        if terminated:
            return None
        raise RequestError(411, "length_required", "An upload needs a Content-Length")
    value = value.strip()
    if not value.isdigit() or not value.isascii():
        raise RequestError(400, "bad_request", "Invalid Content-Length")
    return int(value)


# -- the bearer token ---------------------------------------------------------------------


def check_token(token: object) -> str | None:
    """A valid ``token`` argument: a non-empty string without whitespace, or ``None``."""
    if token is None:
        return None
    if not isinstance(token, str) or not token or any(c.isspace() for c in token):
        raise StorageConfigError("token must be a non-empty string without spaces, or None")
    return token


def token_ok(authorization: str | None, token: str) -> bool:
    """Whether ``Authorization: Bearer <token>`` was sent. The comparison takes the same
    time whatever was sent: both sides are hashed to 32 bytes first, then compared with
    ``hmac.compare_digest`` (so neither the content nor the length of the token leaks)."""
    scheme, _, given = (authorization or "").strip().partition(" ")
    sent = given.strip() if scheme.lower() == "bearer" else ""
    expected = hashlib.sha256(token.encode("utf-8")).digest()
    received = hashlib.sha256(sent.encode("utf-8", "surrogateescape")).digest()
    return hmac.compare_digest(received, expected)


# -- validators and conditional requests --------------------------------------------------


def _etagc(value: str) -> bool:
    """Whether ``value`` can stand between the quotes of an entity tag."""
    return bool(value) and all(c == "!" or "#" <= c <= "~" or ord(c) >= 0x80 for c in value)


def etag_of(info: FileInfo) -> str:
    """The strong ETag of a file: the store's ETag, else its MD5, else size and mtime."""
    for candidate in (info.etag, info.md5):
        if candidate and _etagc(candidate) and candidate.isascii():
            return f'"{candidate}"'
    size = info.size if info.size is not None else 0
    stamp = int(info.mtime * 1_000_000) if info.mtime is not None else 0
    return f'"{size:x}-{stamp:x}"'


def http_date(seconds: float) -> str:
    return email.utils.formatdate(seconds, usegmt=True)


def _parse_date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _opaque(tag: str) -> str:
    return tag.strip().removeprefix("W/")


def _tags(header: str) -> list[str]:
    return [t for t in (part.strip() for part in header.split(",")) if t]


def not_modified(request: Request, etag: str, mtime: float | None) -> bool:
    """Whether a GET/HEAD gets 304: ``If-None-Match`` (weak comparison) decides when
    sent; else ``If-Modified-Since`` against the whole second of the modification time."""
    if request.method not in ("GET", "HEAD"):
        return False
    none_match = request.header("if-none-match")
    if none_match is not None:
        tags = _tags(none_match)
        return "*" in tags or _opaque(etag) in {_opaque(t) for t in tags}
    since = _parse_date(request.header("if-modified-since"))
    return since is not None and mtime is not None and math.floor(mtime) <= since


@dataclass(frozen=True)
class Span:
    """A byte range ``[start, end)`` of a file of ``size`` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def content_range(self) -> str:
        return f"bytes {self.start}-{self.end - 1}/{self.size}"


#: ``byte_range`` result for a range that no byte of the file satisfies (416).
UNSATISFIABLE = Span(0, 0, -1)


def byte_range(request: Request, size: int | None, etag: str, mtime: float | None) -> Span | None:
    """The one range a GET asks for: ``None`` for the whole file (no ``Range``, an
    invalid or multi-range one, a stale ``If-Range``), :data:`UNSATISFIABLE` for 416.
    Forms: ``bytes=a-b``, ``bytes=a-``, ``bytes=-n`` (the last ``n`` bytes)."""
    header = request.header("range")
    if header is None or size is None or not _if_range_holds(request, etag, mtime):
        return None
    match = _RANGE.match(header)
    if match is None:
        return None  # another unit, several ranges or nonsense: the whole file (RFC 9110)
    first, last = match.groups()
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            return UNSATISFIABLE
        return Span(max(0, size - suffix), size, size)
    start = int(first)
    if last != "" and int(last) < start:
        return None  # invalid: ignored
    if start >= size:
        return UNSATISFIABLE
    end = size if last == "" else min(int(last) + 1, size)
    return Span(start, end, size)


def _if_range_holds(request: Request, etag: str, mtime: float | None) -> bool:
    value = request.header("if-range")
    if value is None:
        return True
    value = value.strip()
    if value.startswith(('"', "W/")):
        return not value.startswith("W/") and value == etag  # strong comparison
    date = _parse_date(value)
    return date is not None and mtime is not None and math.floor(mtime) == date


# -- headers of a file ------------------------------------------------------------------


def check_serve_options(download: object, download_name: object, cache_max_age: object) -> None:
    """Refuse serve() options of the wrong kind, naming the one at fault."""
    if not isinstance(download, bool):
        raise StorageConfigError(f"download must be True or False, not {download!r}")
    if download_name is not None and not isinstance(download_name, str):
        raise StorageConfigError(
            f"download_name must be a string or None, not {type(download_name).__name__}"
        )
    if cache_max_age is not None and (
        not isinstance(cache_max_age, int) or isinstance(cache_max_age, bool) or cache_max_age < 0
    ):
        raise StorageConfigError(
            f"cache_max_age must be an integer >= 0 (seconds) or None, not {cache_max_age!r}"
        )


def media_type(info: FileInfo, guessed: str) -> str:
    """The stored media type, unless it says nothing (then the name's type)."""
    stored = (info.content_type or "").strip()
    if stored.partition(";")[0].strip().lower() in _GENERIC_TYPES or not stored.isascii():
        return guessed
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in stored):
        return guessed
    return stored


def content_disposition(name: str, attachment: bool) -> str:
    """``attachment`` (or ``inline``) with the file name twice, as RFC 6266 says: an
    ASCII ``filename=`` for old clients and the exact UTF-8 name in ``filename*=``.
    Control characters are dropped; nothing in the name can end the header."""
    name = "".join(c for c in name if unicodedata.category(c) != "Cc") or "download"
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\%;' else "_"
        for c in unicodedata.normalize("NFKD", name)
        if not unicodedata.combining(c)
    )
    kind = "attachment" if attachment else "inline"
    encoded = urllib.parse.quote(name, safe="")
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def file_headers(
    info: FileInfo,
    etag: str,
    guessed_type: str,
    name: str,
    download: bool,
    download_name: str | None,
    cache_max_age: int | None,
) -> list[tuple[str, str]]:
    """The headers every answer about a file carries (200, 206, 304 and HEAD)."""
    headers = [("ETag", etag), ("Accept-Ranges", "bytes")]
    if info.mtime is not None:
        headers.append(("Last-Modified", http_date(info.mtime)))
    headers.append(("Content-Type", media_type(info, guessed_type)))
    headers.append(("X-Content-Type-Options", "nosniff"))
    if download or download_name is not None:
        headers.append(
            ("Content-Disposition", content_disposition(download_name or name, download))
        )
    if cache_max_age is not None:
        headers.append(("Cache-Control", f"max-age={cache_max_age}"))
    return headers


#: The headers a 304 keeps of the 200 it replaces.
_KEPT_BY_304 = frozenset(("etag", "last-modified", "cache-control", "content-disposition"))


def headers_for_304(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers if k.lower() in _KEPT_BY_304]


# -- answers that carry a small body ---------------------------------------------------------


@dataclass
class Reply:
    """What to answer: ``status``, ``headers``, and ``body``: bytes, or a streamed body
    (an object with ``g_next()``/``g_close()`` logic, see ``handler``)."""

    status: int
    headers: list[tuple[str, str]]
    body: Any = b""


def json_reply(status: int, payload: Any, headers: Iterable[tuple[str, str]] = ()) -> Reply:
    data = json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode("ascii")
    return Reply(
        status,
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(data))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *headers,
        ],
        data,
    )


def error_reply(status: int, code: str, message: str, **extra_headers: str) -> Reply:
    """A JSON error: ``{"status": 404, "error": "not_found", "message": "..."}``."""
    headers = [(name.replace("_", "-"), value) for name, value in extra_headers.items()]
    return json_reply(status, {"status": status, "error": code, "message": message}, headers)


def request_error_reply(problem: RequestError) -> Reply:
    return error_reply(problem.status, problem.code, problem.message)


def unauthorized() -> Reply:
    return error_reply(
        401,
        "unauthorized",
        "A bearer token is required",
        WWW_Authenticate='Bearer realm="genro-storage"',
    )


def method_not_allowed(allowed: str) -> Reply:
    return error_reply(405, "method_not_allowed", f"Allowed methods: {allowed}", Allow=allowed)


def shown_path(request: Request) -> str:
    """The request's path as an error message may show it: what the client sent."""
    return urllib.parse.quote(request.root + request.path, safe="/")


def error_for(exc: BaseException, request: Request) -> Reply:
    """The answer for a library error. The message is built from the request path alone:
    an exception's text may name a disk path or the store's endpoint, so it never goes
    out."""
    where = shown_path(request)
    if isinstance(exc, StorageNotFoundError):
        return error_reply(404, "not_found", f"Not found: {where}")
    if isinstance(exc, StoragePermissionError):
        return error_reply(403, "forbidden", f"Not allowed: {where}")
    if isinstance(exc, StorageConfigError):
        return error_reply(400, "bad_request", f"Invalid request for {where}")
    if isinstance(exc, StorageExistsError):
        return error_reply(409, "conflict", f"Already exists: {where}")
    if isinstance(exc, StorageBackendError):
        return error_reply(502, "store_error", f"The store failed on {where}")
    if isinstance(exc, StorageError):
        return error_reply(409, "conflict", f"Cannot do that on {where}")
    return error_reply(500, "internal_error", "Internal error")


def not_found(request: Request) -> Reply:
    return error_reply(404, "not_found", f"Not found: {shown_path(request)}")


def forbidden(request: Request, why: str) -> Reply:
    return error_reply(403, "forbidden", f"{why}: {shown_path(request)}")


def redirect_to_folder(request: Request) -> Reply:
    """301 to the same path with a slash: how a folder is told from a file (the ``http``
    backend of this library, browsers and ``python -m http.server`` all follow it). The
    ``Location`` is relative (the last segment), so it holds whatever the path above."""
    last = request.path.rstrip("/").rsplit("/", 1)[-1]
    location = urllib.parse.quote(last, safe="") + "/"
    if request.query:
        location += "?" + request.query
    return Reply(301, [("Location", location), ("Content-Length", "0")], b"")


# -- listings -------------------------------------------------------------------------------


def wants_html(request: Request) -> bool:
    """Whether a folder is answered with an HTML index rather than JSON.

    ``?format=html``/``?format=json`` decide when given. Otherwise ``Accept`` does, by
    its quality values: HTML only when the client prefers ``text/html`` to
    ``application/json`` (browsers do); a bare ``*/*`` or no ``Accept`` gets JSON.
    """
    chosen = (request.param("format") or "").lower()
    if chosen in ("html", "json"):
        return chosen == "html"
    ranges: list[tuple[str, float]] = []
    for part in (request.header("accept") or "").split(","):
        media, *params = part.split(";")
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        ranges.append((media.strip().lower(), q))
    html_q, html_rank = _quality(ranges, _HTML_TYPES)
    json_q, json_rank = _quality(ranges, _JSON_TYPES)
    return html_q > 0 and (html_q, html_rank) > (json_q, json_rank)


def _quality(ranges: list[tuple[str, float]], types: tuple[str, ...]) -> tuple[float, int]:
    """``(quality, specificity)`` of the best of ``types``: for each type, the most
    specific range that matches it decides its quality (RFC 9110, 12.5.1)."""
    best = (0.0, -1)
    for wanted in types:
        family = wanted.split("/")[0] + "/*"
        rank, quality = -1, 0.0
        for media, q in ranges:
            specificity = (
                2 if media == wanted else 1 if media == family else 0 if media == "*/*" else -1
            )
            if specificity > rank or (specificity == rank and q > quality):
                rank, quality = specificity, q
        if rank >= 0:
            best = max(best, (quality, rank))
    return best


def page_args(request: Request) -> tuple[int, str | None]:
    """``(page_size, cursor)`` of a JSON listing request (400 when invalid)."""
    raw = request.param("page_size")
    if raw is None or raw == "":
        size = PAGE_SIZE
    elif raw.isdigit() and 1 <= int(raw) <= MAX_PAGE_SIZE:
        size = int(raw)
    else:
        raise RequestError(
            400, "bad_request", f"page_size must be an integer from 1 to {MAX_PAGE_SIZE}"
        )
    cursor = request.param("cursor")
    return size, (cursor or None)


def entry_json(entry: FileInfo) -> dict[str, Any]:
    name = entry.name
    out: dict[str, Any] = {
        "name": name,
        "path": entry.path,
        "type": entry.type,
        "size": entry.size,
        "mtime": entry.mtime,
        "href": urllib.parse.quote(name, safe="") + ("/" if entry.isdir else ""),
    }
    return out


def listing_json(
    mount: str | None, path: str, entries: Iterable[FileInfo], cursor: str | None, page_size: int
) -> dict[str, Any]:
    """One JSON listing page. ``cursor`` is the next page's (``None`` on the last);
    ``next`` is its relative URL."""
    payload: dict[str, Any] = {
        "mount": mount,
        "path": path,
        "entries": [entry_json(e) for e in entries],
        "cursor": cursor,
        "next": None,
    }
    if cursor is not None:
        query = urllib.parse.urlencode({"cursor": cursor, "page_size": page_size})
        payload["next"] = f"?{query}"
    return payload


def mount_entry(name: str) -> FileInfo:
    return FileInfo(name, "directory")


def index_head(request: Request) -> bytes:
    """The start of an HTML index page, titled as nginx's autoindex is ("Index of
    /path/"), which is how the ``http`` backend knows a folder's page. The title holds
    the path percent-encoded, as in the request line, so that it names the folder
    exactly whatever its characters."""
    full = request.root + request.path
    if not full.endswith("/"):
        full += "/"
    title = html.escape(urllib.parse.quote(full, safe="/"))
    heading = html.escape(full)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>Index of {title}</title></head>\n"
        f"<body><h1>Index of {heading}</h1><hr><pre>\n"
        '<a href="../">../</a>\n'
    ).encode()


def index_lines(entries: Iterable[FileInfo]) -> bytes:
    """One line per entry, as nginx's autoindex writes it: the link, then the date and
    the exact size in bytes (``-`` for a folder), which the ``http`` backend reads."""
    lines = []
    for entry in entries:
        if not entry.addressable:
            continue
        slash = "/" if entry.isdir else ""
        href = html.escape(urllib.parse.quote(entry.name, safe="") + slash)
        label = html.escape(entry.name + slash)
        stamp = _autoindex_time(entry.mtime or 0)
        size = "-" if entry.isdir or entry.size is None else str(entry.size)
        pad = " " * max(1, 51 - len(entry.name + slash))
        lines.append(f'<a href="{href}">{label}</a>{pad}{stamp} {size:>19}\n')
    return "".join(lines).encode()


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _autoindex_time(seconds: float) -> str:
    """``02-Jan-2006 15:04`` in UTC, month names in English whatever the locale."""
    t = time.gmtime(seconds)
    return f"{t.tm_mday:02d}-{_MONTHS[t.tm_mon - 1]}-{t.tm_year} {t.tm_hour:02d}:{t.tm_min:02d}"


INDEX_TAIL = b"</pre><hr></body></html>\n"

#: Headers of an HTML index: a page made here, never run as a script or framed.
INDEX_HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"),
]
