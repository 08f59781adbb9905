"""``AzureObstoreLogic``: the Azure store with obstore (Rust ``object_store``) as its
engine for the bytes.

It is ``AzureLogic`` with reads, one-request writes and removals served by obstore
(``ObstoreLogic``, shared with S3): the sync API calls obstore's sync functions, the
async API awaits its coroutines, neither builds adlfs nor an event-loop bridge for
them. What obstore cannot do, or does with less than the Azure SDK gives, stays on the
SDK path of ``AzureLogic``, chosen per operation (the table is in ``docs/backends.md``,
"Azure engines"):

===============================  ==========================================================
operation                        engine
===============================  ==========================================================
read (whole, ranged, streamed)   obstore (Get Blob, with a Range; a streamed read is
                                 sized by an obstore HEAD)
small write (one request)        obstore Put Blob (the service computes the content MD5);
                                 mode 'x' with ``If-None-Match: *``; a folder marker
                                 ``'dir/'`` stays on the SDK
delete (batched)                 obstore blob batch with the account key, else one SDK
                                 Delete Blob per key (the existence checks: SDK)
head / info / md5 / metadata     SDK: object_store's HEAD drops the content MD5 (an Azure
                                 ETag is no MD5), so ``md5hash`` would need a download
listing, "is it a folder"        SDK: object_store's listing carries neither content MD5
                                 nor content type, and drops a folder's marker ``'dir/'``
copy / move                      SDK: a Copy Blob may answer "pending"; object_store does
                                 not wait for it, and a move would delete the source of an
                                 unfinished copy
streamed upload (several parts)  SDK staged blocks (``AzureBlockWriter``): uncommitted
                                 blocks are invisible, so an abort leaves nothing
set metadata, ``url()``          SDK (Set Blob Metadata; a SAS signed locally)
literal keys (``a//b``, ``..``,  SDK: object_store refuses or rewrites them
trailing ``/``, control chars)
===============================  ==========================================================
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from .._shared.exceptions import StorageNotFoundError, errors_as_storage
from .._shared.info import unquote_etag
from .._shared.sansio import Logic
from . import obstoreops as ops
from .azure import AzureLogic
from .obstorelogic import ObstoreLogic
from .streams import RangeReader, ReaderLogic

__all__ = ["AzureObstoreLogic"]


def _account_of(endpoint: str) -> str:
    """The account an endpoint names: ``acct`` of ``https://acct.blob.core.windows.net``,
    or the first path segment of an emulator's ``http://host:port/acct``."""
    parts = urllib.parse.urlsplit(endpoint)
    segment = parts.path.strip("/").split("/")[0]
    return segment or (parts.hostname or "").split(".")[0]


class AzureObstoreLogic(ObstoreLogic, AzureLogic):
    """Azure Blob Storage with obstore as the engine for the bytes (see the module's
    table); the rest is ``AzureLogic``'s."""

    def _make_store(self) -> Any:
        """The mount's ``obstore.store.AzureStore``: the endpoint the connection string
        (or ``account_name``/``account_host``) names, and the same credential the SDK
        path uses (account key, else SAS, else unsigned where the SDK is unsigned)."""
        from obstore.store import AzureStore

        config: dict[str, Any] = {
            "account_name": self._account_name or _account_of(self._endpoint),
            "endpoint": self._endpoint,
        }
        if self.unsigned():  # as the SDK half (see AzureLogic.unsigned)
            config["skip_signature"] = True
        elif self._account_key:
            config["account_key"] = self._account_key
        elif self._sas:
            config["sas_key"] = self._sas
        client = {"allow_http": True} if self._endpoint.startswith("http://") else {}
        return AzureStore(
            self.bucket,
            config=config,  # type: ignore[arg-type]
            client_options=client,  # type: ignore[arg-type]
            retry_config=self._retry_config(),  # type: ignore[arg-type]
        )

    def _g_open_read(self, path: str) -> Logic[ReaderLogic]:
        """A reader over obstore's ranged GETs, sized by one obstore HEAD; a folder or a
        missing file goes the SDK's way, which says which it is."""
        key = self.key(path)
        if ops.key_ok(key):
            try:
                with errors_as_storage(self.where(path)):
                    meta = yield self._engine_op(ops.head, ops.head_async, self.store(), key)
            except StorageNotFoundError:
                pass
            else:
                return RangeReader(self, path, meta["size"], unquote_etag(meta.get("e_tag")))
        return (yield from super()._g_open_read(path))

    def _g_remove(self, keys: list[str]) -> Logic[None]:
        """A blob batch through obstore when the mount signs with the account key;
        otherwise one SDK Delete Blob per key (object_store deletes even one key with a
        batch, and Azurite answers a batch signed with a SAS with a 500)."""
        if self._account_key and self.config.options.get("anon") is not True:
            return (yield from super()._g_remove(keys))
        return (yield from super(ObstoreLogic, self)._g_remove(keys))
