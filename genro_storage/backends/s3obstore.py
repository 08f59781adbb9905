"""``S3ObstoreLogic``: the S3 store with obstore (Rust ``object_store``) as its engine.

It is ``S3Logic`` with its data-plane primitives served by obstore: the sync API calls
obstore's sync functions, the async API awaits its coroutines (``_engine_op``), so
neither needs botocore's ~3 ms of client CPU per request nor an event-loop bridge.
What obstore cannot do stays on the fsspec/botocore path of ``S3Logic``, chosen per
operation (the table is in ``docs/backends.md``, "S3 engines"):

===============================  ==========================================================
operation                        engine
===============================  ==========================================================
read (whole, ranged, streamed),  obstore (GET, GET with Range)
read a version by id
head / info / md5 / metadata     obstore (one HEAD; attributes carry content type and
                                 user metadata)
small write (one PUT), mkdir     obstore PUT; a folder marker ``'dir/'`` stays on botocore
delete (batched)                 obstore ``DeleteObjects`` (a file: HEAD, one-key listing
                                 and DELETE all through obstore)
copy / move in one bucket        obstore ``CopyObject``; across buckets botocore
presigned URL                    obstore ``sign`` with the mount's own key and secret;
                                 otherwise (anonymous, environment credentials) botocore
listing a whole folder           obstore ``list_with_delimiter`` (all pages); botocore at
                                 the bucket's root, and where a key cannot be parsed
listing one page (``page_size``) botocore: object_store has no page token for a
                                 delimited listing
streamed / multipart upload      botocore multipart (``S3PartWriter``): obstore offers no
                                 upload id nor abort from Python, and the library's
                                 no-partial-object rule is built on both
versions listing, set metadata   botocore (``ListObjectVersions``, ``CopyObject`` with
                                 ``MetadataDirective=REPLACE``)
literal keys (``a//b``, ``..``,  botocore: object_store refuses or rewrites them
trailing ``/``)
===============================  ==========================================================
"""

from __future__ import annotations

import datetime
from typing import Any

from .._shared.exceptions import errors_as_storage, not_found
from .._shared.info import FileInfo, md5_from_etag, unquote_etag
from .._shared.sansio import Logic, Parallel
from . import obstoreops as ops
from .facts import timestamp
from .objectstore import ListItems, ObjectStoreLogic
from .obstorelogic import ObstoreLogic
from .s3 import S3Logic

__all__ = ["S3ObstoreLogic"]

#: Attributes object_store reports besides the user's metadata.
STANDARD_ATTRIBUTES = frozenset(
    {"Content-Disposition", "Content-Encoding", "Content-Language", "Content-Type", "Cache-Control"}
)


def _facts(path: str, meta: dict[str, Any]) -> FileInfo:
    attributes: dict[str, str] = meta.get("attributes") or {}
    etag = meta.get("e_tag")
    return FileInfo(
        path,
        "file",
        meta.get("size"),
        timestamp(meta.get("last_modified")),
        unquote_etag(etag),
        md5_from_etag(etag),
        attributes.get("Content-Type"),
        meta.get("version"),
        # sorted: object_store's attributes come from a hash map, in no stable order
        {k: str(attributes[k]) for k in sorted(attributes) if k not in STANDARD_ATTRIBUTES},
    )


class S3ObstoreLogic(ObstoreLogic, S3Logic):
    """S3 with obstore as the data-plane engine (see the module's table); reads,
    one-request writes and batched removals are ``ObstoreLogic``'s."""

    def _make_store(self) -> Any:
        """The mount's ``obstore.store.S3Store``."""
        from obstore.store import S3Store

        opts = self.config.options
        config: dict[str, Any] = {"region": opts.get("region") or "us-east-1"}
        client: dict[str, Any] = {}
        endpoint = opts.get("endpoint_url")
        if endpoint:
            config["endpoint"] = str(endpoint)
            config["virtual_hosted_style_request"] = False
            if str(endpoint).startswith("http://"):
                client["allow_http"] = True
        if opts.get("anon") is True:
            config["skip_signature"] = True
        elif opts.get("key") and opts.get("secret"):
            config["access_key_id"] = opts["key"]
            config["secret_access_key"] = opts["secret"]
            if opts.get("token"):
                config["session_token"] = opts["token"]
        return S3Store(
            self.bucket,
            config=config,  # type: ignore[arg-type]
            client_options=client,  # type: ignore[arg-type]
            retry_config=self._retry_config(),  # type: ignore[arg-type]
        )

    # -- reads --------------------------------------------------------------------------
    def _g_read_version(self, path: str, version_id: str) -> Logic[bytes]:
        key = self.key(path)
        if not ops.key_ok(key):
            return (yield from super()._g_read_version(path, version_id))
        with errors_as_storage(f"{self.where(path)}@{version_id}"):
            op = self._engine_op(ops.get, ops.get_async, self.store(), key, None, None, version_id)
            data: bytes = yield op
            return data

    # -- store primitives ----------------------------------------------------------------
    def _g_head(self, key: str) -> Logic[FileInfo | None]:
        if not ops.key_ok(key):
            return (yield from super()._g_head(key))
        try:
            meta = yield self._engine_op(ops.head, ops.head_async, self.store(), key)
        except FileNotFoundError:
            return None
        return _facts(self.rel(key), meta)

    def _g_list_items(
        self, prefix: str, page_size: int | None, cursor: str | None
    ) -> Logic[tuple[ListItems, str | None]]:
        """A whole folder (``page_size`` None) in obstore listing requests; a page, the
        bucket's root, or a folder holding a key obstore cannot parse through botocore.

        object_store strips a trailing '/' from a key: below a non-empty prefix only the
        folder's own key 'dir/' ends with '/' (any deeper key is a sub-prefix), and it
        comes back as 'dir', which no other key listed here can be: it is put back.
        """
        folder = prefix.removesuffix("/")
        if page_size is None and cursor is None and ops.key_ok(folder):
            try:
                objects, prefixes = yield self._engine_op(
                    ops.list_folder, ops.list_folder_async, self.store(), folder
                )
            except Exception as exc:
                if type(exc).__name__ != "InvalidPathError":  # a key it cannot parse
                    raise
            else:
                # The only object named like the folder is its own key 'dir/' (stripped).
                keys = [prefix if o["path"] == folder else o["path"] for o in objects]
                items: ListItems = [
                    (k, _facts(self.rel(k), o)) for k, o in zip(keys, objects, strict=True)
                ]
                items += [(f"{p}/", None) for p in prefixes]
                return items, None
        return (yield from super()._g_list_items(prefix, page_size, cursor))

    def _g_below(self, path: str) -> Logic[bool]:
        """One obstore listing request; botocore where obstore cannot parse a key."""
        prefix = self.folder(path).removesuffix("/")
        if ops.key_ok(prefix):
            try:
                below: bool = yield self._engine_op(
                    ops.any_below, ops.any_below_async, self.store(), prefix
                )
                return below
            except Exception as exc:
                if type(exc).__name__ != "InvalidPathError":  # a key it cannot parse
                    raise
        return (yield from super()._g_below(path))

    def _g_delete(self, path: str, recursive: bool = False) -> Logic[None]:
        """A file with nothing below it: one obstore HEAD, listing and DELETE; a folder
        (keys below) through ``ObjectStoreLogic``'s listing of the real keys."""
        where = self.where(path)
        self._refuse_root(path)
        key = self.key(path)
        if ops.key_ok(key):
            with errors_as_storage(where):
                found, below = yield Parallel((self._g_head(key), self._g_below(path)), 2)
            if not below:
                if found is None:
                    raise not_found(where)
                with errors_as_storage(where):
                    yield from self._g_remove([key])
                return
        yield from super()._g_delete(path, recursive)

    def _g_copy_key(self, key: str, other: ObjectStoreLogic, other_key: str) -> Logic[None]:
        if other.bucket != self.bucket or not (ops.key_ok(key) and ops.key_ok(other_key)):
            return (yield from super()._g_copy_key(key, other, other_key))
        yield self._engine_op(ops.copy, ops.copy_async, self.store(), key, other_key)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """A presigned GET URL: obstore signs with the mount's own key and secret (pure
        computation); other credentials go through botocore's presigner, which never
        asks the network for them."""
        opts = self.config.options
        key = self.key(path)
        if opts.get("anon") is True or not (opts.get("key") and opts.get("secret")):
            return super().url(path, expires_in)
        if not ops.key_ok(key):
            return super().url(path, expires_in)
        import obstore

        seconds = int(expires_in if expires_in is not None else 3600)
        return str(obstore.sign(self.store(), "GET", key, datetime.timedelta(seconds=seconds)))
