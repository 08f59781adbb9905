"""Facts from store answers, parsed without I/O: dates, MD5 digests, entries."""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from .._shared.info import FileInfo

# -- facts from store answers (no I/O) ----------------------------------------------


def timestamp(value: Any) -> float | None:
    """A POSIX timestamp from a datetime, an ISO-8601 or HTTP date string, or a number."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        return moment.timestamp()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        with contextlib.suppress(ValueError):
            return timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
        with contextlib.suppress(TypeError, ValueError):
            return timestamp(parsedate_to_datetime(text))
    return None


def md5_from_base64(value: Any) -> str | None:
    if not value:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw.hex() if len(raw) == 16 else None


def md5_from_bytes(value: Any) -> str | None:
    return bytes(value).hex() if value and len(value) == 16 else None


def sorted_by_name(entries: Iterable[FileInfo]) -> list[FileInfo]:
    return sorted(entries, key=lambda e: e.name)


def as_folder(found: FileInfo) -> FileInfo:
    """An object ``x`` with keys below ``x/``: a folder with content, one entry typed as
    a folder that keeps the object's facts (``FileInfo.has_content``)."""
    return replace(found, type="directory")
