"""Answers with a small body (JSON errors, redirects) and folder listings."""

from __future__ import annotations

import html
import json
import time
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..._shared.exceptions import (
    StorageBackendError,
    StorageConfigError,
    StorageError,
    StorageExistsError,
    StorageNotFoundError,
    StoragePermissionError,
)
from ..._shared.info import FileInfo
from .request import _HTML_TYPES, _JSON_TYPES, MAX_PAGE_SIZE, PAGE_SIZE, Request, RequestError

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
