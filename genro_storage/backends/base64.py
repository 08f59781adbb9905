"""Base64 backend: the node's path *is* its content, base64-encoded.

Reading decodes the path, in the standard or the URL-safe alphabet, strictly: anything
that is not exactly one of them is not a node here (``exists`` is false, reads raise).
Writing does not store anything: it returns the node whose path is the encoding of the
new data, in the standard alphabet as genro-storage 0.x wrote it (``AAEC/w==``); the
path is never split on ``/``.
"""

from __future__ import annotations

import base64
import binascii

from .._shared import capabilities
from .._shared.async_utils import commit_point
from .._shared.exceptions import (
    StorageConfigError,
    StorageError,
    StorageNotFoundError,
    is_a_directory,
)
from .._shared.identity import Location
from .._shared.info import FileInfo, Page
from .base import StorageBackend


def decode(text: str, where: str) -> bytes:
    """Decode standard or URL-safe base64, padding optional, whitespace ignored.

    Strict in both alphabets: a character of neither, a mix of the two (``+`` with
    ``-``), padding in the middle or too much of it is refused. ``b64decode`` validates
    only the standard alphabet, so a URL-safe payload is mapped onto it first and then
    validated the same way (``urlsafe_b64decode`` alone silently drops stray bytes).
    """
    cleaned = "".join(text.split())
    if ("-" in cleaned or "_" in cleaned) and ("+" in cleaned or "/" in cleaned):
        raise StorageConfigError(
            f"Invalid base64 data in '{where}': mixes the standard (+/) and URL-safe (-_) alphabets"
        )
    if len(cleaned) % 4 == 1 or len(cleaned.rstrip("=")) + 2 < len(cleaned):
        raise StorageConfigError(f"Invalid base64 data in '{where}': wrong length or padding")
    cleaned = cleaned.replace("-", "+").replace("_", "/")
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return base64.b64decode(cleaned.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise StorageConfigError(f"Invalid base64 data in '{where}': {exc}") from None


def encode(data: bytes) -> str:
    """The standard alphabet with padding, as genro-storage 0.x wrote it."""
    return base64.b64encode(data).decode("ascii")


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
        try:
            data = decode(path, self.where(_short(path)))
        except StorageConfigError as exc:  # no such node: isfile/isdir are False
            raise StorageNotFoundError(f"No such file or directory: {exc}") from None
        return FileInfo(path, "file", len(data))

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
            raise is_a_directory(f"{self.mount}:")
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
