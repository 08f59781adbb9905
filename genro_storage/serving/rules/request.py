"""The request: its facts, the checks of its path, uploads and the bearer token."""

from __future__ import annotations

import hashlib
import hmac
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..._shared.exceptions import (
    StorageConfigError,
)

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
