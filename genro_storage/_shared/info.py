"""Backend-neutral facts about one entry, and one page of a listing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal


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

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def isfile(self) -> bool:
        return self.type == "file"

    @property
    def isdir(self) -> bool:
        return self.type == "directory"


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
