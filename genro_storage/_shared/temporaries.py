"""The library's own temporary files: one naming scheme, recognised in one place.

A local write goes to a temporary file beside its target and is renamed into place on
commit. A process killed before that leaves the temporary behind; its name says whose
it is, so listings hide it and ``mkdir``/mount creation sweep it once it is stale.
"""

from __future__ import annotations

import re
import secrets

#: ``.genro-storage-<16 hex digits>.part``: nothing a user names by chance.
TEMP_PREFIX = ".genro-storage-"
TEMP_SUFFIX = ".part"
_TEMP_NAME = re.compile(rf"{re.escape(TEMP_PREFIX)}[0-9a-f]{{16}}{re.escape(TEMP_SUFFIX)}")

#: A temporary untouched for this long (seconds) belongs to a process that is gone: a
#: live writer updates its file's mtime with every write.
STALE_AFTER = 24 * 3600.0


def temp_name() -> str:
    """A fresh name for a temporary file (the caller creates it exclusively)."""
    return f"{TEMP_PREFIX}{secrets.token_hex(8)}{TEMP_SUFFIX}"


def is_temp_name(name: str) -> bool:
    """Whether ``name`` (one path segment) is one of the library's temporaries."""
    return _TEMP_NAME.fullmatch(name) is not None
