"""Physical identity of a location, so that transfers compare *places*, not mount names.

Two mounts over one folder, two memory mounts naming one store, two S3 mounts over one
bucket with different prefixes: each backend maps a path to a :class:`Location` (which
store, which key inside it), and a copy or move onto its own location or into its own tree
is refused before anything is written. Locations are compared, never shown: they may
hold an endpoint, never a credential.
"""

from __future__ import annotations

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
