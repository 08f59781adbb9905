"""``ObstoreLogic``: what the obstore engines of the object stores share.

A store served by obstore (``S3ObstoreLogic``, ``AzureObstoreLogic``) is its fsspec
logic with some store primitives answered by obstore instead; this class holds those
that are the same on every store: the mount's obstore store (made once, shared by both
APIs and every loop), reads, one-request writes (with the conditional create) and
batched removals. Each op is yielded with both faces (``_engine_op``), so the sync API
calls obstore's sync functions and the async API awaits its coroutines.

Keys obstore cannot address (``obstoreops.key_ok``) fall back, per key, to the fsspec
logic the concrete class also inherits from: list ``ObstoreLogic`` first among the
bases, so that ``super()`` here reaches that logic.
"""

from __future__ import annotations

import datetime
import threading
from typing import Any, ClassVar

from .._shared.exceptions import StorageBackendError
from .._shared.info import quoted_etag
from .._shared.sansio import Call, Logic
from . import obstoreops as ops
from .objectstore import ObjectStoreLogic

__all__ = ["RETRIES", "RETRY_TIMEOUT", "ObstoreLogic"]

#: object_store retries 10 times over up to 3 minutes by default; the fsspec paths here
#: give up after a few attempts, and so do the obstore engines.
RETRIES = 3
RETRY_TIMEOUT = datetime.timedelta(seconds=30)


class ObstoreLogic(ObjectStoreLogic):
    """The primitives every obstore engine serves the same way (see the module)."""

    engine: ClassVar[str] = "obstore"

    def _setup(self) -> None:
        super()._setup()
        self._ob_store: Any = None
        self._ob_lock = threading.Lock()

    def store(self) -> Any:
        """The mount's obstore store, made on first use (no I/O). It belongs to no
        event loop, so both APIs and every loop share it."""
        if ops.FORK_STATE["forked"]:
            raise StorageBackendError(
                "the obstore engine cannot be used in a process forked after this program "
                "used it (its runtime does not survive fork): start processes with "
                "'spawn' or 'forkserver', or mount with engine: fsspec"
            )
        store = self._ob_store  # once made it never changes: no lock on the common path
        if store is not None:
            return store
        with self._ob_lock:
            if self._ob_store is None:
                self._ob_store = self._make_store()
                ops.FORK_STATE["made"] = True
            return self._ob_store

    def _make_store(self) -> Any:
        """A new obstore store for this mount's bucket or container (no I/O)."""
        raise NotImplementedError

    @staticmethod
    def _retry_config() -> dict[str, Any]:
        return {"max_retries": RETRIES, "retry_timeout": RETRY_TIMEOUT}

    # -- reads --------------------------------------------------------------------------
    def _read_op(self, path: str, **kwargs: Any) -> Call:
        key = self.key(path)
        if not ops.key_ok(key):
            return super()._read_op(path, **kwargs)
        start, end, tag = kwargs.get("start"), kwargs.get("end"), kwargs.get("if_match")
        return self._engine_op(
            ops.get, ops.get_async, self.store(), key, start, end, None, quoted_etag(tag)
        )

    # -- writes and removals ------------------------------------------------------------
    def _g_put_small(
        self, key: str, data: bytes, content_type: str, only_new: bool = False
    ) -> Logic[None]:
        if not ops.key_ok(key):  # a folder marker 'dir/', a literal name
            return (yield from super()._g_put_small(key, data, content_type, only_new))
        attributes = {"Content-Type": content_type}
        # only_new: obstore's conditional create (If-None-Match: *), refused if the key exists
        yield self._engine_op(ops.put, ops.put_async, self.store(), key, data, attributes, only_new)

    def _g_remove(self, keys: list[str]) -> Logic[None]:
        plain = [k for k in keys if ops.key_ok(k)]
        literal = [k for k in keys if not ops.key_ok(k)]
        if plain:
            yield self._engine_op(ops.delete, ops.delete_async, self.store(), plain)
        if literal:
            yield from super()._g_remove(literal)
