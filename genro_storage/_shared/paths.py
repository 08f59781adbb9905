"""``mount:path`` parsing and normalisation; refusal of paths that escape a mount.

Paths inside a mount are relative POSIX strings without leading or trailing slash;
the mount's root is the empty string.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re

from .exceptions import StorageConfigError, StorageError, StoragePermissionError

_MOUNT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def valid_mount_name(name: object) -> bool:
    return isinstance(name, str) and bool(_MOUNT_NAME.match(name))


def split_spec(spec: str) -> tuple[str, str]:
    """Split ``'mount:a/b'`` into ``('mount', 'a/b')``."""
    if not isinstance(spec, str):
        raise StorageConfigError(f"A node path must be a string, not {type(spec).__name__}")
    mount, sep, rest = spec.partition(":")
    if not sep:
        raise StorageConfigError(f"Path '{spec}' has no mount: write it as 'mount:path/to/file'")
    return mount, rest


def normalize(*parts: str) -> str:
    """Join and normalise path parts; refuse ``..`` that climbs above the mount's root.

    Leading slashes are ignored (a path is always relative to its mount), ``.`` and
    empty segments are dropped, and ``a/../b`` becomes ``b``.
    """
    segments: list[str] = []
    for part in parts:
        if not isinstance(part, str):
            raise StorageConfigError(f"Path parts must be strings, not {type(part).__name__}")
        if "\x00" in part:
            raise StorageConfigError(f"Path {part!r} contains a NUL byte")
        for seg in part.replace("\\", "/").split("/"):
            if seg in ("", "."):
                continue
            if seg == "..":
                if not segments:
                    whole = "/".join(parts)
                    raise StoragePermissionError(f"Path '{whole}' escapes its mount")
                segments.pop()
                continue
            segments.append(seg)
    return "/".join(segments)


def literal_child(folder: str, name: str) -> str | None:
    """The path of the entry ``name`` listed in the folder ``folder``, or ``None`` when
    that path would not name exactly this entry strictly below ``folder``: ``name`` is
    empty, ``.``, ``..``, holds a ``/``, or is anything else ``normalize`` would change.
    Such an entry (an object key like ``a//b`` or ``a/../b``) is shown, never addressed.
    """
    if not name or "/" in name:
        return None
    path = f"{folder}/{name}" if folder else name
    try:
        return path if normalize(path) == path else None
    except StorageError:
        return None


def join(base: str, *parts: str) -> str:
    return normalize(base, *parts)


def parent(path: str) -> str:
    return posixpath.dirname(path)


def basename(path: str) -> str:
    return posixpath.basename(path)


def suffix(path: str) -> str:
    name = basename(path)
    dot = name.rfind(".")
    return name[dot:] if dot > 0 else ""


def stem(path: str) -> str:
    name = basename(path)
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def mimetype(path: str) -> str:
    guessed, _ = mimetypes.guess_type(basename(path) or "x", strict=False)
    return guessed or "application/octet-stream"


def fullpath(mount: str, path: str) -> str:
    return f"{mount}:{path}"


def relative_to(path: str, base: str) -> str:
    """``path`` relative to ``base`` (both normalised, ``path`` inside ``base``)."""
    if not base:
        return path
    if path == base:
        return ""
    return path[len(base) + 1 :]


def check_url(url: object) -> str:
    """Refuse anything but an http(s) URL (no file://, no data: smuggling)."""
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        raise StorageConfigError(f"Expected an http:// or https:// URL, not {url!r}")
    return url
