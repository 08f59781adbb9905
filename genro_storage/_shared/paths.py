"""``mount:path`` parsing and normalisation; refusal of paths that escape a mount.

Paths inside a mount are relative POSIX strings without leading or trailing slash;
the mount's root is the empty string. ``/`` is the only separator: ``\\`` is an ordinary
character, as on POSIX.

Two kinds of input, two rules:

* a path the user writes (``storage.node('m:a/../b')``, ``node.child('x/y')``) is
  *normalised*: ``.`` and empty segments dropped, ``..`` resolved, never above the root;
* a name that came from a store (a listing) is *data*: it is joined literally with
  :func:`child_path`, and a name that cannot be one path segment (empty, ``.``, ``..``,
  holding ``/`` or NUL) is refused, never re-read as a path expression.
"""

from __future__ import annotations

import mimetypes
import posixpath
import re

from .exceptions import StorageConfigError, StoragePermissionError

_MOUNT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")


def valid_mount_name(name: object) -> bool:
    """Letters, digits, ``_``, ``-``, ``.``, starting with a letter or ``_``: the whole
    name (a full match: ``'abc\\n'`` is refused, where ``$`` would accept it)."""
    return isinstance(name, str) and _MOUNT_NAME.fullmatch(name) is not None


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
        for seg in part.split("/"):
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
    ``name`` cannot be one segment (see :func:`is_segment`): such an entry (an object key
    like ``a//b`` or ``a/../b``) is shown, never addressed."""
    return (f"{folder}/{name}" if folder else name) if is_segment(name) else None


def join(base: str, *parts: str) -> str:
    return normalize(base, *parts)


def is_segment(name: object) -> bool:
    """Whether ``name`` can be one literal path segment."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\x00" not in name
    )


def child_path(folder: str, name: str) -> str:
    """The path of the entry ``name`` inside ``folder``, taken literally."""
    if not is_segment(name):
        raise StorageConfigError(f"{name!r} is not a file name: it cannot be one path segment")
    return f"{folder}/{name}" if folder else name


def literal_join(folder: str, relative: str) -> str:
    """``relative`` (segments taken from listings) below ``folder``, taken literally."""
    path = folder
    for name in relative.split("/"):
        path = child_path(path, name)
    return path


def is_child_of(folder: str, path: str) -> bool:
    """Whether ``path`` is exactly one valid segment below ``folder``."""
    prefix = f"{folder}/" if folder else ""
    return path.startswith(prefix) and is_segment(path[len(prefix) :])


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
    if base and path != base and not path.startswith(f"{base}/"):
        raise StorageConfigError(f"'{path}' is not inside '{base}'")
    if not base:
        return path
    if path == base:
        return ""
    return path[len(base) + 1 :]


def check_url(url: object) -> str:
    """Refuse anything but an http(s) URL (no file://, no data: smuggling)."""
    if not isinstance(url, str) or not re.match(r"^https?://[^/\s]+", url):
        from .config import redact

        shown = repr(redact(url)) if isinstance(url, str) else type(url).__name__
        raise StorageConfigError(f"Expected an http:// or https:// URL, not {shown}")
    return url
