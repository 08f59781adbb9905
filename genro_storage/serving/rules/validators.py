"""Validators and conditional requests, byte ranges, and a file's headers."""

from __future__ import annotations

import email.utils
import math
import unicodedata
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from ..._shared.exceptions import (
    StorageConfigError,
)
from ..._shared.info import FileInfo
from .request import _GENERIC_TYPES, _RANGE, Request

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
