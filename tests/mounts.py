"""Mount fixtures: a fresh, isolated mount of any backend, through either API.

``kind`` names a backend; cloud kinds use the session's real servers with a unique
prefix per test, so tests never see each other's files. ``api`` is 'sync' or 'async';
a sync node is wrapped in ``SyncAsAsync`` so that one test body drives both APIs.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from adapters import SyncAsAsync

from genro_storage import StorageManager
from genro_storage.async_ import AsyncStorageManager


class Kind(str):
    """A backend kind run on a given engine: equal to its type name (``'s3'``), so every
    ``kind == 's3'`` check of the tests holds, and ``make_config`` adds ``engine``."""

    engine: str | None

    def __new__(cls, name: str, engine: str | None = None) -> Kind:
        made = super().__new__(cls, name)
        made.engine = engine
        return made

    def __repr__(self) -> str:
        return f"{str(self)}-{self.engine}" if self.engine else str(self)


#: S3 and Azure on the fsspec engine (s3fs/botocore, adlfs and the Azure SDK); plain
#: ``'s3'`` and ``'azure'`` run the default engine, obstore where it is installed. Test
#: ids say ``s3-fsspec`` and ``azure-fsspec``.
S3_FSSPEC = Kind("s3", "fsspec")
AZURE_FSSPEC = Kind("azure", "fsspec")
#: Backends that take writes; HTTP runs the read-only part of the suite.
WRITABLE = ["local", "memory", "s3", S3_FSSPEC, "azure", AZURE_FSSPEC, "gcs"]
CLOUD = ["s3", S3_FSSPEC, "azure", AZURE_FSSPEC, "gcs"]


@pytest.fixture
def make_config(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Callable[..., dict]:
    """``make_config(kind, name='m', **extra)``: the config dict of a fresh mount."""

    def make(kind: str, name: str = "m", **extra: Any) -> dict[str, Any]:
        prefix = f"t-{uuid.uuid4().hex[:12]}"
        if getattr(kind, "engine", None):
            extra = {"engine": kind.engine, **extra}
        if kind == "local":
            folder = tmp_path_factory.mktemp(name)
            return {"name": name, "type": "local", "path": str(folder), **extra}
        if kind == "memory":  # a named store, so that two managers share the files
            return {"name": name, "type": kind, "store": prefix, **extra}
        if kind == "base64":
            return {"name": name, "type": kind, **extra}
        import cloud_mounts

        server = request.getfixturevalue(f"{kind}_server")
        factory = getattr(cloud_mounts, f"{kind}_mount")
        return {**factory(server, name, prefix), **extra}

    return make


@pytest.fixture(params=["sync", "async"])
def api(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
async def open_storage(api: str) -> AsyncIterator[Callable[..., Any]]:
    """``open_storage(configs)``: a manager of the test's API, closed after the test."""
    managers: list[Any] = []

    def make(configs: Any) -> Any:
        manager = StorageManager(configs) if api == "sync" else AsyncStorageManager(configs)
        managers.append(manager)
        return manager

    yield make
    for manager in managers:
        if isinstance(manager, AsyncStorageManager):
            await manager.close()
        else:
            manager.close()


def test_node(manager: Any, spec: str) -> Any:
    """A node with the async vocabulary, whatever the manager's API."""
    node = manager.node(spec)
    return SyncAsAsync(node) if isinstance(manager, StorageManager) else node


test_node.__test__ = False  # type: ignore[attr-defined] - a helper, not a test


@pytest.fixture(params=WRITABLE)
def kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def root(kind: str, make_config: Callable[..., dict], open_storage: Callable[..., Any]) -> Any:
    """The root node of a fresh writable mount named 'm'."""
    manager = open_storage([make_config(kind)])
    return test_node(manager, "m:")
