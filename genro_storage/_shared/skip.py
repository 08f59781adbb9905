"""Copy skip strategies as pure decisions over file facts (no I/O here).

The transfer logic (``operations._should_skip``) gathers the facts a strategy needs and
asks ``should_skip``; a callable strategy is called by that logic itself.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from .exceptions import StorageConfigError
from .info import FileInfo, md5_from_etag

STRATEGIES = ("exists", "size", "hash", "unchanged")


class SkipStrategy(str, Enum):
    """The named strategies as an enum, as genro-storage 0.x offered them; ``skip_if``
    takes a member or its string. ``NEVER`` is the same as ``skip_if=None``;
    ``CUSTOM`` has no meaning here: pass the callable itself as ``skip_if``."""

    NEVER = "never"
    EXISTS = "exists"
    SIZE = "size"
    HASH = "hash"
    UNCHANGED = "unchanged"
    CUSTOM = "custom"


#: What ``skip_if`` may be: a named strategy, a callable ``(src, dst) -> bool`` (under the
#: async API also an async one), or ``None``.
SkipIf = str | Callable[..., Any] | None


def check_strategy(skip_if: SkipIf) -> SkipIf:
    """Refuse an unknown strategy before any transfer starts; returns it as a plain
    string (a ``SkipStrategy`` member becomes its value, ``'never'`` becomes ``None``)."""
    if skip_if is None or callable(skip_if):
        return skip_if
    name = skip_if.value if isinstance(skip_if, SkipStrategy) else skip_if
    if name == "never":
        return None
    if name == "custom":
        raise StorageConfigError(
            "skip_if='custom' takes no separate function here: pass the callable "
            "(src, dst) -> bool itself as skip_if"
        )
    if not isinstance(name, str) or name not in STRATEGIES:
        shown = repr(name) if isinstance(name, str) else f"a {type(name).__name__}"
        raise StorageConfigError(
            f"skip_if must be one of {', '.join(STRATEGIES)} or a callable, not {shown}"
        )
    return name


def should_skip(
    strategy: str,
    src: FileInfo | None,
    dst: FileInfo | None,
    src_hash: str | None = None,
    dst_hash: str | None = None,
) -> bool:
    """Decide for a named strategy. ``dst`` is ``None`` when the destination is missing."""
    if dst is None or not dst.isfile:
        return False
    if strategy == "exists":
        return True
    if strategy == "size":
        return src is not None and src.size is not None and src.size == dst.size
    if strategy == "hash":
        return src_hash is not None and src_hash == dst_hash
    if strategy == "unchanged":
        return unchanged(src, dst)
    raise StorageConfigError(f"Unknown skip strategy {strategy!r}")


def unchanged(src: FileInfo | None, dst: FileInfo) -> bool:
    """The ``'unchanged'`` strategy, from the listed facts alone (no download): the same
    size and, where both stores give a content MD5, the same MD5; where they do not, a
    destination at least as recent as the source (a copy is never older than what it
    copied, since copies get a new mtime rather than the source's)."""
    if src is None or src.size is None or src.size != dst.size:
        return False
    src_md5, dst_md5 = comparable_etag(src), comparable_etag(dst)
    if src_md5 and dst_md5:
        return src_md5 == dst_md5
    return src.mtime is not None and dst.mtime is not None and dst.mtime >= src.mtime


def comparable_etag(info: FileInfo | None) -> str | None:
    """An MD5 hex digest usable for comparison, if the store provided one.

    S3 multipart ETags (``"...-N"``) are not MD5s of the content and are ignored.
    """
    if info is None:
        return None
    if info.md5:
        return info.md5.lower()
    return md5_from_etag(info.etag)


def skip_reason(skip_if: SkipIf) -> str:
    """What ``on_skip`` is told when a strategy skipped a file."""
    if callable(skip_if):
        return "skip_if callable returned True"
    return {
        "exists": "destination exists",
        "size": "same size",
        "hash": "same content (MD5)",
        "unchanged": "unchanged (same size, and same MD5 or not newer)",
    }.get(str(skip_if), f"skip_if={skip_if}")
