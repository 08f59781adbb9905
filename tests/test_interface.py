"""The sync and async APIs are one interface: every public method of a sync class has an
async twin with the same parameters, defaults and annotations (``async`` aside, and the
class names of each API normalised), for the nodes, the managers, the backend contract,
the store drivers, the thread wrapper and the stream faces. What differs on purpose is
listed in ``ALLOWED`` with its reason; anything else that differs fails here, and so
does an allowance that no longer matches a difference.

Also: no public method of a node, manager or backend hides its parameters behind
``(*args, **kwargs)``.
"""

from __future__ import annotations

import importlib
import inspect
import re
from functools import cached_property

import pytest

from genro_storage import StorageManager, StorageNode
from genro_storage.async_ import AsyncFile, AsyncStorageManager, AsyncStorageNode
from genro_storage.async_.backends.base import AsyncStorageBackend, ThreadBackend
from genro_storage.async_.backends.drivers import AsyncDriver
from genro_storage.backends import streams
from genro_storage.backends.base import StorageBackend
from genro_storage.backends.drivers import SyncDriver
from genro_storage.backends.registry import BUILTIN_TYPES

#: (sync class, async class) compared member by member, under a short name.
PAIRS: dict[str, tuple[type, type]] = {
    "node": (StorageNode, AsyncStorageNode),
    "manager": (StorageManager, AsyncStorageManager),
    "backend": (StorageBackend, AsyncStorageBackend),
    "driver": (SyncDriver, AsyncDriver),
    "thread": (StorageBackend, ThreadBackend),
    "reader": (streams.SyncReader, streams.AsyncReader),
    "writer": (streams.SyncWriter, streams.AsyncWriter),
}

#: Class names of one API -> the same role's name, so annotations compare across APIs.
SAME_ROLE = {
    "AsyncStorageNode": "StorageNode",
    "AsyncStorageManager": "StorageManager",
    "AsyncStorageBackend": "StorageBackend",
    "AsyncDriver": "SyncDriver",
    "AsyncGenroFileSystem": "GenroFileSystem",
    "AsyncIterNode": "IterNode",
    "AsyncDiffNode": "DiffNode",
    # readers and writers: the contract's protocols and each driver's faces
    "SyncReader": "Reader",
    "AsyncReader": "Reader",
    "ThreadReader": "Reader",
    "SyncWriter": "Writer",
    "AsyncWriter": "Writer",
    "ThreadWriter": "Writer",
}

#: Facts are properties of ``StorageNode`` and coroutine methods of ``AsyncStorageNode``
#: by design (``node.exists`` / ``await node.exists()``): only their types are compared.
FACTS = {"exists", "isfile", "isdir", "size", "mtime"}

_ASYNC_BACKEND_ONLY = (
    "async only: whether I/O is native (is_native) and how calls run (run_mode, what "
    "describe() reports), the sync backend a thread wrapper "
    "runs (sync_backend), and a release that needs no await (discard), called by the "
    "manager's remove_mount()/configure(), which are not coroutines"
)

#: (pair, member, aspect) -> why the two APIs differ there. ``aspect`` is ``"only sync"``,
#: ``"only async"``, ``"return"`` or ``"param:<name>"``.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("node", "children", "return"): (
        "sync returns the whole list; async is an async generator yielding entries page "
        "by page (`async for child in node.children()`)"
    ),
    **{
        ("node", name, "return"): (
            "pathlib's tree iterators: a plain iterator of nodes (sync) vs an async "
            "iterator (`async for node in folder.glob('*.csv')`), as for children"
        )
        for name in ("glob", "rglob", "walk", "iterdir")
    },
    ("node", "copy", "param:skip_if"): (
        "async also takes an async callable, awaited with the async nodes (a plain "
        "callable runs in a thread with the sync nodes, as in the sync API)"
    ),
    ("node", "move", "param:skip_if"): "as for copy",
    ("node", "copy", "param:concurrency"): (
        "async copies the files of a tree concurrently; the sync driver copies them one "
        "after the other, so the sync API has no such knob"
    ),
    ("node", "move", "param:concurrency"): "as for copy",
    ("node", "fill_from_url", "param:session"): (
        "async can reuse the caller's aiohttp session; the sync API downloads with urllib"
    ),
    ("node", "open", "order"): (
        "both take encoding/errors/newline; each keeps its own second positional "
        "parameter of before (sync: encoding, as io's open(); async: chunk_size), so "
        "encoding comes later in the async signature"
    ),
    ("node", "open", "param:chunk_size"): (
        "the chunk size of `async for chunk in f.chunks()`; sync files are io objects, buffered"
    ),
    ("node", "open", "return"): "io file objects (sync) vs AsyncFile/AsyncTextFile (async)",
    ("node", "open_version", "return"): (
        "a read-only file over the version, streamed: an io file object (sync), an "
        "AsyncFile for `async with` (async), as open() gives"
    ),
    ("node", "local_path", "only sync"): (
        "a context manager handing a local path to blocking tools, a sync-API notion; "
        "from async code, use node.as_sync().local_path() in a thread"
    ),
    ("manager", "as_sync", "only async"): (
        "the sync twin of an async manager (for plain callbacks); a sync manager is its own"
    ),
    ("manager", "describe", "only async"): "which mounts are native and which thread-wrapped",
    ("manager", "wsgi_app", "only sync"): (
        "serving a mount: WSGI is the sync protocol, ASGI (asgi_app) the async one"
    ),
    ("manager", "asgi_app", "only async"): "as for wsgi_app",
    **{
        ("node", "serve", aspect): (
            "serving one file: the WSGI call (environ, start_response) returning the body "
            "iterable, vs the ASGI call (scope, receive, send); both from one handler"
        )
        for aspect in (
            "return",
            "param:environ",
            "param:start_response",
            "param:scope",
            "param:receive",
            "param:send",
        )
    },
    ("manager", "is_native", "only async"): "as for describe",
    # genro-storage 0.x names (docs/migration.md)
    ("node", "copy_to", "param:skip_fn"): "as skip_if for copy: copy_to(skip_fn=) is skip_if",
    **{
        ("node", name, "kind"): (
            "0.x had it as a property, and a sync property it stays; async I/O is awaited, "
            "so a coroutine method there, as for the facts"
        )
        for name in ("version_count", "ext_attributes", "resolved_path")
    },
}
for _pair in ("backend", "driver", "thread"):
    for _name in ("discard", "is_native", "run_mode", "sync_backend"):
        ALLOWED[(_pair, _name, "only async")] = _ASYNC_BACKEND_ONLY


def normalised(annotation: object) -> str | None:
    if annotation is inspect.Parameter.empty:
        return None
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    for name, role in SAME_ROLE.items():
        text = re.sub(rf"\b{name}\b", role, text)
    return re.sub(r"\s+", " ", text).strip()


def public(cls: type) -> set[str]:
    return {name for name in dir(cls) if not name.startswith("_")}


def raw_member(cls: type, name: str) -> object:
    raw = inspect.getattr_static(cls, name)
    return raw.__func__ if isinstance(raw, staticmethod | classmethod) else raw


def returned(raw: object) -> str | None:
    """The return annotation of a method, property or cached property."""
    if isinstance(raw, property):
        raw = raw.fget
    elif isinstance(raw, cached_property):
        raw = raw.func
    return normalised(inspect.signature(raw).return_annotation)


def is_attribute(raw: object) -> bool:
    return isinstance(raw, property | cached_property)


def differences(pair: str, name: str, sync: object, asyn: object) -> list[tuple[str, str]]:
    """``[(aspect, what differs)]`` between the sync and the async member ``name``."""
    found = []
    if returned(sync) != returned(asyn):
        found.append(("return", f"returns {returned(sync)} vs {returned(asyn)}"))
    if pair == "node" and name in FACTS:
        return found  # a property against a coroutine method: the types are the contract
    if is_attribute(sync) or is_attribute(asyn):
        if is_attribute(sync) != is_attribute(asyn):
            found.append(("kind", "a property on one side, a method on the other"))
        return found
    sync_params = list(inspect.signature(sync).parameters.values())
    async_params = list(inspect.signature(asyn).parameters.values())
    async_by_name = {p.name: p for p in async_params}
    sync_names = [p.name for p in sync_params]
    for param in sync_params:
        twin = async_by_name.get(param.name)
        if twin is None:
            found.append((f"param:{param.name}", "only in the sync API"))
            continue
        if _facts(param) != _facts(twin):
            found.append((f"param:{param.name}", f"{_facts(param)} vs {_facts(twin)}"))
    for param in async_params:
        if param.name in sync_names:
            continue
        found.append((f"param:{param.name}", "only in the async API"))
    common = [n for n in sync_names if n in async_by_name]
    if common != [p.name for p in async_params if p.name in sync_names]:
        found.append(("order", f"parameters in another order: {common}"))
    return found


def _facts(param: inspect.Parameter) -> str:
    default = "none" if param.default is param.empty else repr(param.default)
    return f"{param.kind.name}, default {default}, {normalised(param.annotation)}"


def unexplained(pair: str) -> list[str]:
    """Every difference of ``pair`` that ``ALLOWED`` does not explain."""
    sync_cls, async_cls = PAIRS[pair]
    problems = []
    for name in sorted(public(sync_cls) - public(async_cls)):
        if (pair, name, "only sync") not in ALLOWED:
            problems.append(f"{name}: only in {sync_cls.__name__}")
    for name in sorted(public(async_cls) - public(sync_cls)):
        if (pair, name, "only async") not in ALLOWED:
            problems.append(f"{name}: only in {async_cls.__name__}")
    for name in sorted(public(sync_cls) & public(async_cls)):
        sync, asyn = raw_member(sync_cls, name), raw_member(async_cls, name)
        if not (callable(sync) or is_attribute(sync)):
            continue  # a class-level value (type_name, node_class...): present on both
        for aspect, what in differences(pair, name, sync, asyn):
            if (pair, name, aspect) not in ALLOWED:
                problems.append(f"{name} [{aspect}]: {what}")
    return problems


@pytest.mark.parametrize("pair", list(PAIRS))
def test_sync_and_async_signatures_are_the_same(pair):
    problems = unexplained(pair)
    sync_cls, async_cls = PAIRS[pair]
    assert problems == [], (
        f"{sync_cls.__name__} vs {async_cls.__name__} differ beyond async:\n  "
        + "\n  ".join(problems)
    )


def test_every_allowance_matches_a_real_difference():
    stale = []
    for pair, name, aspect in ALLOWED:
        sync_cls, async_cls = PAIRS[pair]
        if aspect == "only sync":
            real = name in public(sync_cls) - public(async_cls)
        elif aspect == "only async":
            real = name in public(async_cls) - public(sync_cls)
        else:
            sync, asyn = raw_member(sync_cls, name), raw_member(async_cls, name)
            real = aspect in {a for a, _ in differences(pair, name, sync, asyn)}
        if not real:
            stale.append((pair, name, aspect))
    assert stale == [], f"allowances that explain nothing any more: {stale}"


def test_the_comparison_sees_a_drift():
    class Sync:
        def read(self, path: str, size: int = -1) -> bytes: ...

    class Async:
        async def read(self, path: str, size: int = 0) -> bytes: ...

    class AsyncRenamed:
        async def read(self, path: str, length: int = -1) -> bytes: ...

    PAIRS["probe"] = (Sync, Async)
    PAIRS["renamed"] = (Sync, AsyncRenamed)
    try:
        (problem,) = unexplained("probe")
        assert problem.startswith("read [param:size]: ") and "-1" in problem
        assert [p.split(":")[0] for p in unexplained("renamed")] == [
            "read [param",
            "read [param",
        ]
    finally:
        del PAIRS["probe"], PAIRS["renamed"]


def _backend_classes() -> list[type]:
    classes = []
    for sync_path, async_path in BUILTIN_TYPES.values():
        for path in (sync_path, async_path):
            module, _, name = path.partition(":")
            classes.append(getattr(importlib.import_module(f"genro_storage.{module}"), name))
    return classes


SURFACE = [
    StorageNode,
    AsyncStorageNode,
    AsyncFile,
    StorageManager,
    AsyncStorageManager,
    StorageBackend,
    AsyncStorageBackend,
    ThreadBackend,
    SyncDriver,
    AsyncDriver,
    streams.SyncReader,
    streams.AsyncReader,
    streams.SyncWriter,
    streams.AsyncWriter,
    *_backend_classes(),
]


@pytest.mark.parametrize("cls", SURFACE, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_no_public_method_hides_its_parameters(cls):
    hidden = []
    for name in sorted(public(cls)):
        raw = raw_member(cls, name)
        if not inspect.isfunction(raw):
            continue
        kinds = [p.kind for p in inspect.signature(raw).parameters.values()]
        if not isinstance(inspect.getattr_static(cls, name), staticmethod):
            kinds = kinds[1:]  # self or cls
        if kinds == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]:
            hidden.append(name)
    assert hidden == [], f"{cls.__name__}: (*args, **kwargs) instead of parameters: {hidden}"
