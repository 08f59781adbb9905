"""Base64 backend: the node's path *is* its content, base64-encoded.

Reading decodes the path; writing does not store anything, it replaces the node's path
with the encoding of the new data (URL-safe alphabet, so the path never holds ``/``).
"""

from __future__ import annotations

import base64
import binascii

from .._shared import capabilities
from .._shared.async_utils import commit_point
from .._shared.exceptions import StorageConfigError, StorageError
from .._shared.identity import Location
from .._shared.info import FileInfo, Page
from .base import StorageBackend


def decode(text: str, where: str) -> bytes:
    """Decode standard or URL-safe base64, padding optional."""
    cleaned = "".join(text.split())
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        if "-" in cleaned or "_" in cleaned:
            return base64.urlsafe_b64decode(cleaned.encode("ascii"))
        return base64.b64decode(cleaned.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise StorageConfigError(f"Invalid base64 data in '{where}': {exc}") from None


def encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


class Base64Backend(StorageBackend):
    """Inline data: nothing is stored, every node carries its bytes in its path."""

    type_name = "base64"
    capabilities = capabilities.BASE64

    def normalize_path(self, *parts: str) -> str:
        # The payload is not a path: slashes and padding must survive untouched.
        return "".join("".join(p.split()) for p in parts)

    def location(self, path: str) -> Location:
        """A payload is its own place: one key, never split on ``/``."""
        return Location(("base64",), (path,))

    def info(self, path: str) -> FileInfo:
        if not path:
            return FileInfo("", "directory")
        return FileInfo(path, "file", len(decode(path, self.where(_short(path)))))

    def exists(self, path: str) -> bool:
        if not path:
            return True
        try:
            decode(path, "")
        except StorageConfigError:
            return False
        return True

    def read_bytes(self, path: str) -> bytes:
        if not path:
            raise StorageError(f"Is a directory, not a file: '{self.mount}:'")
        return decode(path, self.where(_short(path)))

    def write_bytes(self, path: str, data: bytes) -> str:
        """Nothing is stored: returns the path of the node that now holds ``data``."""
        commit_point()
        return encode(bytes(data))

    def list(self, path: str, page_size: int | None = None, cursor: str | None = None) -> Page:
        if path:
            raise StorageError(f"Not a directory: '{self.where(_short(path))}'")
        return Page([])

    def copy(self, src: str, dst: str) -> None:
        raise StorageError(
            f"Mount '{self.mount}' (base64) stores nothing: write to the node instead"
        )

    def move(self, src: str, dst: str) -> None:
        self.copy(src, dst)

    def url(self, path: str, expires_in: int | None = None) -> str:
        """A ``data:`` URL carrying the content."""
        from .._shared.paths import mimetype

        data = self.read_bytes(path)
        return f"data:{mimetype(path)};base64,{base64.b64encode(data).decode('ascii')}"


def _short(path: str, limit: int = 40) -> str:
    """Long payloads are cut in messages."""
    return path if len(path) <= limit else f"{path[:limit]}..."
