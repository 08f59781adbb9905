"""Copy skip strategies as pure decisions over file facts (no I/O here).

The transfer logic (``operations._should_skip``) gathers the facts a strategy needs and
asks ``should_skip``; a callable strategy is called by that logic itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .exceptions import StorageConfigError
from .info import FileInfo, md5_from_etag

STRATEGIES = ("exists", "size", "hash")

#: What ``skip_if`` may be: a named strategy, a callable ``(src, dst) -> bool`` (under the
#: async API also an async one), or ``None``.
SkipIf = str | Callable[..., Any] | None


def check_strategy(skip_if: SkipIf) -> None:
    """Refuse an unknown strategy before any transfer starts."""
    if skip_if is None or callable(skip_if):
        return
    if skip_if not in STRATEGIES:
        raise StorageConfigError(
            f"skip_if must be one of {', '.join(STRATEGIES)} or a callable, not {skip_if!r}"
        )


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
    raise StorageConfigError(f"Unknown skip strategy {strategy!r}")


def comparable_etag(info: FileInfo | None) -> str | None:
    """An MD5 hex digest usable for comparison, if the store provided one.

    S3 multipart ETags (``"...-N"``) are not MD5s of the content and are ignored.
    """
    if info is None:
        return None
    if info.md5:
        return info.md5.lower()
    return md5_from_etag(info.etag)
