"""Physical identity of a location, so that transfers compare *places*, not mount names.

Two mounts over one folder, two memory mounts naming one store, two S3 mounts over one
bucket with different prefixes: each backend maps a path to a :class:`Location` (which
store, which key inside it), and a copy or move onto its own location or into its own tree
is refused before anything is written. Locations are compared, never shown: they may
hold an endpoint, never a credential.
"""

from __future__ import annotations

import posixpath
import urllib.parse
from typing import Any, NamedTuple


class Location(NamedTuple):
    """``store`` names the physical store (filesystem, memory store, endpoint+bucket...);
    ``key`` is the segments of the location inside it."""

    store: tuple[Any, ...]
    key: tuple[str, ...]

    def contains(self, other: Location) -> bool:
        """Whether ``other`` is this location or lies below it."""
        return self.store == other.store and other.key[: len(self.key)] == self.key

    def overlaps(self, other: Location) -> bool:
        """Whether one of the two locations lies inside (or is) the other."""
        return self.contains(other) or other.contains(self)


def segments(*parts: str) -> tuple[str, ...]:
    """The non-empty ``/``-separated segments of ``parts`` (no normalisation)."""
    return tuple(seg for part in parts for seg in part.split("/") if seg)


def normal_segments(path: str) -> tuple[str, ...]:
    """The segments of ``path`` the way a server or a filesystem resolves them: empty
    and ``.`` segments dropped, ``..`` taking the previous one away."""
    out: list[str] = []
    for seg in path.split("/"):
        if seg in ("", "."):
            continue
        if seg == "..":
            if out:
                out.pop()
            continue
        out.append(seg)
    return tuple(out)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint_place(url: str) -> tuple[Any, ...]:
    """One spelling for an endpoint URL: scheme and host lower-cased, the default port
    made explicit, the path's segments resolved (``HTTP://Host:80/a/./b/`` and
    ``http://host/a/b`` are one place). Never holds the URL's credentials."""
    parts = urllib.parse.urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    port = port or _DEFAULT_PORTS.get(scheme)
    path = urllib.parse.unquote(parts.path)
    return (scheme, (parts.hostname or "").lower(), port, *normal_segments(path))


def path_place(path: str) -> tuple[str, ...]:
    """The segments of a filesystem path, ``.`` and ``..`` resolved."""
    return normal_segments(posixpath.normpath(path) if path else path)
