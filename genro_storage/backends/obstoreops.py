"""The obstore engine's calls, each with a sync face and an async face, and the rules
that decide whether obstore may serve a mount and a key.

obstore (Rust ``object_store``) has GIL-free sync functions and native asyncio
coroutines. A logic yields ``self._engine_op(SYNC, ASYNC, store, ...)``: the sync driver
calls ``SYNC``, the async driver awaits ``ASYNC`` (see ``Runtime.engine_op``), so both
APIs run one logic with no event-loop bridge. Every function returns plain Python
values (``bytes``, dicts), never obstore objects.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._shared.config import MountConfig
from .._shared.exceptions import StorageConfigError

if TYPE_CHECKING:
    from obstore import GetOptions

__all__ = ["ENGINES", "FORK_STATE", "chosen_engine", "key_ok"]

#: Whether this process made an obstore store, and whether it is a child forked after
#: that. obstore's runtime (tokio, one per process) does not survive ``fork``: its
#: threads are gone in the child, which shares the parent's epoll instance, so a call
#: there hung forever and could wedge the parent's next calls too. In such a child a
#: mount without an ``engine`` field gets the fsspec engine (``chosen_engine``), and a
#: store made before the fork refuses every call (``ObstoreLogic.store``).
FORK_STATE = {"made": False, "forked": False}


def _after_fork_in_child() -> None:
    if FORK_STATE["made"]:
        FORK_STATE["forked"] = True


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

#: The values of a mount's ``engine`` field.
ENGINES = ("obstore", "fsspec")
#: The mount types that obstore can serve (the others take ``engine: fsspec`` only).
ENGINE_TYPES = ("s3", "azure")


def obstore_installed() -> bool:
    """Whether the obstore package can be imported."""
    return importlib.util.find_spec("obstore") is not None


def chosen_engine(config: MountConfig) -> str:
    """The engine serving ``config``: its ``engine`` field, else obstore where it is
    installed and the mount does not pass fsspec-only ``options`` (which only the
    fsspec engine understands), nor is made in a child forked after obstore was used
    (``FORK_STATE``)."""
    asked = config.options.get("engine")
    if asked == "obstore":
        if not obstore_installed():
            raise StorageConfigError(
                f"Mount '{config.name}': field 'engine' is 'obstore' but the 'obstore'"
                f" package is not installed (pip install 'genro-storage[{config.type}]')"
            )
        return "obstore"
    if asked == "fsspec":
        return "fsspec"
    if config.options.get("options") or not obstore_installed() or FORK_STATE["forked"]:
        return "fsspec"
    return "obstore"


def key_ok(key: str) -> bool:
    """Whether obstore addresses exactly the object ``key``.

    object_store parses keys into paths: it drops a trailing '/' (so a folder marker
    'dir/' would become the object 'dir') and refuses empty, '.' and '..' segments and
    ASCII control characters. Such keys (the library's literal names) stay on the
    fsspec path.
    """
    return _REFUSED.search(key) is None


#: What object_store would refuse or rewrite, in one search: an empty, '.' or '..'
#: segment (which covers an empty key, a leading '/' and a trailing '/'), or an ASCII
#: control character.
_REFUSED = re.compile(r"(?:\A|/)\.{0,2}(?:/|\Z)|[\x00-\x1f\x7f]")

# -- the calls: (sync, async) pairs ---------------------------------------------------


def _head_result(result: Any) -> dict[str, Any]:
    meta = dict(result.meta)
    meta["attributes"] = dict(result.attributes)
    return meta


def head(store: Any, key: str) -> dict[str, Any]:
    """The object's meta (``size``, ``e_tag``...) plus its ``attributes`` (content type,
    user metadata), in one HEAD request."""
    import obstore

    return _head_result(obstore.get(store, key, options={"head": True}))


async def head_async(store: Any, key: str) -> dict[str, Any]:
    import obstore

    return _head_result(await obstore.get_async(store, key, options={"head": True}))


def _options(
    start: int | None, end: int | None, version: str | None, if_match: str | None = None
) -> GetOptions:
    options: GetOptions = {}
    if if_match is not None:  # the store answers 412 (PreconditionError) if it changed
        options["if_match"] = if_match
    if start is not None or end is not None:
        first = start or 0
        options["range"] = (first, end) if end is not None else {"offset": first}
    if version is not None:
        options["version"] = version
    return options


def get(
    store: Any,
    key: str,
    start: int | None = None,
    end: int | None = None,
    version: str | None = None,
    if_match: str | None = None,
) -> bytes:
    """The object's bytes, or bytes ``[start, end)`` (to the end when ``end`` is None)."""
    import obstore

    result = obstore.get(store, key, options=_options(start, end, version, if_match))
    return bytes(result.bytes())


async def get_async(
    store: Any,
    key: str,
    start: int | None = None,
    end: int | None = None,
    version: str | None = None,
    if_match: str | None = None,
) -> bytes:
    import obstore

    result = await obstore.get_async(store, key, options=_options(start, end, version, if_match))
    return bytes(await result.bytes_async())


def put(store: Any, key: str, data: bytes, attributes: dict[str, str], create: bool) -> None:
    """One PUT (no multipart); with ``create`` the store refuses an existing key."""
    import obstore

    obstore.put(
        store,
        key,
        data,
        attributes=attributes,
        mode="create" if create else "overwrite",
        use_multipart=False,
    )


async def put_async(
    store: Any, key: str, data: bytes, attributes: dict[str, str], create: bool
) -> None:
    import obstore

    await obstore.put_async(
        store,
        key,
        data,
        attributes=attributes,
        mode="create" if create else "overwrite",
        use_multipart=False,
    )


def delete(store: Any, keys: Sequence[str]) -> None:
    """Delete keys (batched by the store: S3 ``DeleteObjects``, an Azure blob batch); a
    missing key is fine. Azure's batch reports a missing key as ``FileNotFoundError``,
    which may stop the batches after it: the keys are then deleted one by one."""
    import obstore

    try:
        obstore.delete(store, list(keys))
    except FileNotFoundError:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                obstore.delete(store, key)


async def delete_async(store: Any, keys: Sequence[str]) -> None:
    import obstore

    try:
        await obstore.delete_async(store, list(keys))
    except FileNotFoundError:
        for key in keys:
            with contextlib.suppress(FileNotFoundError):
                await obstore.delete_async(store, key)


def copy(store: Any, src: str, dst: str) -> None:
    """A server-side copy inside the store's bucket."""
    import obstore

    obstore.copy(store, src, dst)


async def copy_async(store: Any, src: str, dst: str) -> None:
    import obstore

    await obstore.copy_async(store, src, dst)


def any_below(store: Any, prefix: str) -> bool:
    """Whether any key lies below the folder ``prefix`` (no trailing '/'). Only a yes or
    no: object_store lists a marker 'dir/' as 'dir', so its keys are never used."""
    import obstore

    return bool(next(iter(obstore.list(store, prefix, chunk_size=1)), None))


async def any_below_async(store: Any, prefix: str) -> bool:
    import obstore

    async for chunk in obstore.list(store, prefix, chunk_size=1):
        return bool(chunk)
    return False


def _listing(result: Any) -> tuple[list[dict[str, Any]], list[str]]:
    return [dict(o) for o in result["objects"]], list(result["common_prefixes"])


def list_folder(store: Any, prefix: str) -> tuple[list[dict[str, Any]], list[str]]:
    """Every object and sub-prefix (without its '/') directly below ``prefix`` (no
    trailing '/'), all pages; raises obstore's ``InvalidPathError`` on a key it cannot
    parse."""
    import obstore

    return _listing(obstore.list_with_delimiter(store, prefix))


async def list_folder_async(store: Any, prefix: str) -> tuple[list[dict[str, Any]], list[str]]:
    import obstore

    return _listing(await obstore.list_with_delimiter_async(store, prefix))
