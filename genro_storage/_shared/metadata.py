"""What a metadata dict may hold: one rule for every store, and the stricter rules of
stores that carry metadata in HTTP headers (S3, Azure).

Checked before anything is sent, so that a store never drops a key silently (an empty
key), rewrites a value (header whitespace trimmed) or fails with an unrelated error (a
non-ASCII value makes an Azure signature mismatch look like a permission error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .exceptions import StorageConfigError

__all__ = ["AZURE", "HTTP_HEADERS", "MetadataRule", "check_metadata"]

# Any control character (C0, DEL, C1): header injection on some stores, lost on others.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class MetadataRule:
    """A store's rule: patterns a key and a value must match in full, and the text that
    states each rule in error messages."""

    store: str
    key: re.Pattern[str]
    key_rule: str
    value: re.Pattern[str]
    value_rule: str


# Printable ASCII without leading or trailing space (header values are trimmed).
_HEADER_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?")

#: S3 ``x-amz-meta-<key>`` headers (S3 returns keys in lower case).
HTTP_HEADERS = MetadataRule(
    "S3",
    re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+"),
    "keys must be HTTP header tokens (ASCII letters, digits and !#$%&'*+-.^_`|~)",
    _HEADER_VALUE,
    "values must be printable ASCII without leading or trailing spaces",
)

#: Azure ``x-ms-meta-<key>`` headers: keys are C# identifiers.
AZURE = MetadataRule(
    "Azure",
    re.compile(r"[A-Za-z_][A-Za-z0-9_]*"),
    "keys must be ASCII C# identifiers (a letter or '_', then letters, digits or '_')",
    _HEADER_VALUE,
    "values must be printable ASCII without leading or trailing spaces",
)


def check_metadata(
    metadata: object, where: str, rule: MetadataRule | None = None
) -> dict[str, str]:
    """``metadata`` as a new dict, or ``StorageConfigError`` naming the first key that
    breaks the common rule (non-empty string keys, string values, no control
    characters) or the store's ``rule``. Values are never echoed in messages."""
    if not isinstance(metadata, dict):
        raise StorageConfigError(
            f"metadata for {where!r} must be a dict, not {type(metadata).__name__}"
        )
    for key, value in metadata.items():
        if not isinstance(key, str) or not key:
            raise StorageConfigError(
                f"Metadata key {key!r} refused on '{where}': keys must be non-empty strings"
            )
        if not isinstance(value, str):
            raise StorageConfigError(
                f"Metadata value of {key!r} refused on '{where}': values must be strings,"
                f" not {type(value).__name__}"
            )
        if _CONTROL.search(key):
            raise StorageConfigError(
                f"Metadata key {key!r} refused on '{where}': keys may not hold control characters"
            )
        if _CONTROL.search(value):
            raise StorageConfigError(
                f"Metadata value of {key!r} refused on '{where}': values may not hold"
                " control characters"
            )
        if rule is not None and not rule.key.fullmatch(key):
            raise StorageConfigError(
                f"Metadata key {key!r} refused on '{where}': {rule.store} {rule.key_rule}"
            )
        if rule is not None and not rule.value.fullmatch(value):
            raise StorageConfigError(
                f"Metadata value of {key!r} refused on '{where}': {rule.store} {rule.value_rule}"
            )
    return dict(metadata)
