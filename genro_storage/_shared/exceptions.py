"""One exception hierarchy for both APIs and every backend.

Each class also derives from the matching builtin so that ``except FileNotFoundError``
and friends keep working in code written for plain files.
"""

from __future__ import annotations

import re
from types import TracebackType
from typing import Literal

__all__ = [
    "StorageError",
    "StorageNotFoundError",
    "StorageExistsError",
    "StoragePermissionError",
    "StorageConfigError",
    "StorageBackendError",
    "StorageIsADirectoryError",
    "StorageUnsupportedError",
    "StorageMountNotFoundError",
]


class StorageError(Exception):
    """Base class of every error raised by genro-storage."""


class StorageNotFoundError(StorageError, FileNotFoundError):
    """The file or directory does not exist."""


class StorageExistsError(StorageError, FileExistsError):
    """The destination already exists and the operation refuses to replace it."""


class StoragePermissionError(StorageError, PermissionError):
    """The mount's permissions, the store or the path rules refuse the operation."""


class StorageConfigError(StorageError, ValueError):
    """A mount configuration or a path given by the caller is invalid."""


class StorageBackendError(StorageError):
    """A backend failed in a way that has no more precise class; see ``__cause__``."""


class StorageIsADirectoryError(StorageError, IsADirectoryError, ValueError):
    """A file operation aimed at a directory. Also a ``ValueError``: genro-storage 0.x
    raised ``ValueError`` there (``md5hash``, ``to_base64``...), and 0.x code catches it."""


class StorageUnsupportedError(StoragePermissionError):
    """The store cannot do this at all (see its ``capabilities``): mkdir or delete on a
    base64 mount, versions on a store that keeps none. A ``PermissionError`` as in
    genro-storage 0.x, whose code catches it under that name."""


class StorageMountNotFoundError(StorageConfigError, StorageNotFoundError, KeyError):
    """No mount has this name. A configuration error here (a ``ValueError``); in
    genro-storage 0.x a ``StorageNotFoundError`` (so ``FileNotFoundError``) from
    ``node()`` and a ``KeyError`` from ``delete_mount()``: all of them hold, so 0.x
    ``except`` clauses keep working. The message reads as written (``OSError``'s
    ``str``, not ``KeyError``'s quoted one)."""

    def __str__(self) -> str:
        return Exception.__str__(self)


def not_found(where: str) -> StorageNotFoundError:
    """The one message shape for a missing file on every backend."""
    return StorageNotFoundError(f"No such file or directory: '{where}'")


def already_exists(where: str) -> StorageExistsError:
    """The one message shape for a destination that exists already."""
    return StorageExistsError(f"Already exists: '{where}'")


def is_a_directory(where: str) -> StorageIsADirectoryError:
    """A file operation aimed at a directory."""
    return StorageIsADirectoryError(f"Is a directory, not a file: '{where}'")


def not_a_directory(where: str) -> StorageError:
    """A directory operation aimed at a file."""
    return StorageError(f"Not a directory: '{where}'")


def read_only(mount: str, action: str) -> StoragePermissionError:
    """A write refused by a read-only mount."""
    return StoragePermissionError(f"Mount '{mount}' is read-only: cannot {action}")


def changed_while_read(where: str) -> StorageBackendError:
    """A file replaced between two requests of one reader (its version token, the ETag
    taken when it was opened, no longer matches): the reader stops rather than return
    the start of one version and the rest of another."""
    return StorageBackendError(
        f"Backend error on '{where}': the file changed while it was read (it no longer"
        " has the ETag it had when it was opened)"
    )


def unsupported(backend: str, feature: str) -> StorageUnsupportedError:
    """A feature the backend does not have (see its ``capabilities``)."""
    return StorageUnsupportedError(f"The '{backend}' backend does not support {feature}")


def translate_error(exc: BaseException, where: str) -> BaseException:
    """Map a backend library's exception onto this hierarchy.

    ``where`` is the user-facing ``mount:path``; it goes into the message instead of the
    backend's own wording so that every backend says the same thing.
    """
    if isinstance(exc, StorageError):
        return exc
    from .config import redact  # config imports this module

    where = redact(where)  # a URL given to fill_from_url() may carry credentials
    obstore_kind = _OBSTORE_KINDS.get(type(exc).__name__, "")
    if not type(exc).__module__.startswith("obstore"):
        obstore_kind = ""
    if isinstance(exc, FileNotFoundError | KeyError) or obstore_kind == "missing":
        return not_found(where)
    if obstore_kind == "exists":
        return already_exists(where)
    if obstore_kind == "denied":
        return StoragePermissionError(f"Permission denied by the store: '{where}'")
    if isinstance(exc, FileExistsError):
        return already_exists(where)
    if isinstance(exc, IsADirectoryError):
        return is_a_directory(where)
    if isinstance(exc, NotADirectoryError):
        return not_a_directory(where)
    if isinstance(exc, PermissionError):
        return StoragePermissionError(f"Permission denied by the store: '{where}'")
    status = _http_status(exc)
    if status == 404:
        return not_found(where)
    if status in (401, 403):
        return StoragePermissionError(f"Permission denied by the store: '{where}'")
    if status in (409, 412):
        return already_exists(where)
    name = type(exc).__name__
    # A backend's own message may quote a URL with its credentials or a signed query.
    return StorageBackendError(f"Backend error on '{where}': {name}: {redact(_short(exc))}")


#: obstore's exception classes (``obstore.exceptions``, not builtins' subclasses) and
#: what they mean here.
_OBSTORE_KINDS = {
    "NotFoundError": "missing",
    "AlreadyExistsError": "exists",
    "PreconditionError": "exists",
    "PermissionDeniedError": "denied",
    "UnauthenticatedError": "denied",
}

_OBSTORE_STATUS = re.compile(r"returned non-2xx status code: (\d{3})")


def _http_status(exc: BaseException) -> int | None:
    """Best-effort HTTP status of an exception from botocore, azure, aiohttp or gcsfs."""
    if type(exc).__module__.startswith("obstore"):  # only its message says the status
        found = _OBSTORE_STATUS.search(str(exc))
        return int(found.group(1)) if found else None
    for attr in ("status", "status_code", "code"):
        value = getattr(exc, attr, None)
        if isinstance(value, int):
            return value
    response = getattr(exc, "response", None)
    if isinstance(response, dict):  # botocore ClientError
        meta = response.get("ResponseMetadata", {})
        code = response.get("Error", {}).get("Code")
        if code in ("NoSuchKey", "NoSuchBucket", "404", "NoSuchVersion"):
            return 404
        status = meta.get("HTTPStatusCode")
        return status if isinstance(status, int) else None
    return None


def _short(exc: BaseException, limit: int = 300) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return first[:limit]


class errors_as_storage:  # noqa: N801 - used like a function: ``with errors_as_storage(w):``
    """Context manager translating backend exceptions raised inside it (sync or async code)."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc is None or not isinstance(exc, Exception) or isinstance(exc, StorageError):
            return False
        raise translate_error(exc, self.where) from exc
