"""Backend-neutral facts about one entry, and one page of a listing."""

from __future__ import annotations

import bisect
import itertools
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from .exceptions import StorageConfigError

_HEX = frozenset("0123456789abcdefABCDEF")


@dataclass(frozen=True)
class FileInfo:
    """What one stat/info call returns. ``path`` is relative to the mount's root."""

    path: str
    type: Literal["file", "directory"]
    size: int | None = None
    mtime: float | None = None
    etag: str | None = None
    md5: str | None = None  # hex digest when the store gives one without a download
    content_type: str | None = None
    version_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    #: ``False`` for an entry whose stored name cannot be a path segment (an object
    #: key with an empty, ``.`` or ``..`` segment): it is listed, never acted on.
    #: ``path`` is then the raw key relative to the mount, for display only.
    addressable: bool = True

    @property
    def name(self) -> str:
        """The last segment of ``path``."""
        return self.path.rsplit("/", 1)[-1]

    @property
    def isfile(self) -> bool:
        """Whether the entry is a file."""
        return self.type == "file"

    @property
    def isdir(self) -> bool:
        """Whether the entry is a directory (or an object store's prefix)."""
        return self.type == "directory"

    @property
    def has_content(self) -> bool:
        """A folder that also holds bytes of its own: on an object store, an object
        ``f/a`` beside keys below ``f/a/`` (its size and facts are the object's)."""
        return self.type == "directory" and self.size is not None


@dataclass(frozen=True)
class Page:
    """One page of a directory listing; ``cursor`` is ``None`` on the last page."""

    entries: list[FileInfo]
    cursor: str | None = None


@dataclass(frozen=True)
class VersionInfo:
    """One stored version of an object (newest first in ``versions()``)."""

    version_id: str
    size: int | None
    mtime: float | None
    is_latest: bool
    etag: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def check_range(start: object, end: object, etag: object = None) -> None:
    """``read_range`` arguments, checked once for both APIs: ``start`` an int >= 0,
    ``end`` an int >= 0 or ``None`` (booleans refused), ``etag`` a non-empty string
    without control characters or ``None``; else ``StorageConfigError``."""
    # an ETag goes into a request header (If-Match): no control character, ever
    if etag is not None and (
        not isinstance(etag, str) or not etag or any(c < " " or c == "\x7f" for c in etag)
    ):
        raise StorageConfigError(
            "read_range(): etag must be a non-empty string without control characters"
            f" (as info().etag gives it) or None, not {etag!r}"
        )
    for name, value, optional in (("start", start, False), ("end", end, True)):
        if optional and value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise StorageConfigError(f"read_range(): {name} must be an integer >= 0, not {value!r}")


def check_page_args(page_size: object, cursor: object) -> None:
    """The one check of ``list(page_size, cursor)`` for both APIs: ``page_size`` is an
    integer >= 1 or ``None`` (not a bool), ``cursor`` a string or ``None``."""
    from .exceptions import StorageConfigError

    if page_size is not None and (
        not isinstance(page_size, int) or isinstance(page_size, bool) or page_size < 1
    ):
        shown = repr(page_size) if isinstance(page_size, int) else type(page_size).__name__
        raise StorageConfigError(f"list() page_size must be an integer >= 1 or None, not {shown}")
    if cursor is not None and not isinstance(cursor, str):
        raise StorageConfigError(
            "list() cursor must be a string (the 'cursor' of the previous page) or None,"
            f" not {type(cursor).__name__}"
        )


def page_after(
    names: list[str], page_size: int | None, cursor: str | None
) -> tuple[list[str], str | None]:
    """Page over sorted ``names`` with the last name returned as the cursor:
    ``(names of this page, cursor of the next page or None)``."""
    start = bisect.bisect_right(names, cursor) if cursor else 0
    stop = len(names) if page_size is None else start + page_size
    chosen = names[start:stop]
    return chosen, (chosen[-1] if chosen and stop < len(names) else None)


def check_cursor(cursor: object) -> str | None:
    """``cursor`` if it can be one (``None`` or a string from an earlier page)."""
    if cursor is not None and not isinstance(cursor, str):
        raise StorageConfigError(
            f"A listing cursor must be a string from a previous page, not {type(cursor).__name__}"
        )
    return cursor


def page_of(names: Iterator[str], page_size: int | None) -> tuple[list[str], str | None]:
    """Take one page from sorted ``names`` (an iterator that starts after the cursor),
    reading at most one name past the page: ``(names of this page, next cursor or None)``.
    """
    if page_size is None:
        return list(names), None
    page_size = min(page_size, sys.maxsize - 1)  # no page holds more (islice's limit)
    chosen = list(itertools.islice(names, max(page_size, 0) + 1))
    if len(chosen) > page_size and page_size > 0:
        chosen.pop()
        return chosen, chosen[-1]
    return chosen[: max(page_size, 0)], None


def unquote_etag(etag: Any) -> str | None:
    """An ETag without quotes and weak-validator prefix."""
    if not etag:
        return None
    return str(etag).strip().removeprefix("W/").strip('"')


def quoted_etag(tag: str | None) -> str | None:
    """``tag`` (as ``unquote_etag`` left it) quoted again for an ``If-Match`` header."""
    return None if tag is None else f'"{tag}"'


def md5_from_etag(etag: Any) -> str | None:
    """The MD5 hex digest an ETag holds, if it is one (not an S3 multipart '...-N')."""
    tag = unquote_etag(etag)
    if tag and len(tag) == 32 and set(tag) <= _HEX:
        return tag.lower()
    return None
