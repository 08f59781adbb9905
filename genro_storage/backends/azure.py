"""Azure Blob Storage through adlfs and the Azure SDK: ``AzureLogic``, its staged-block
writer (``AzureBlockWriter``), the SDK helpers and the sync ``AzureBackend``.

The logic serves both APIs: ``genro_storage.async_.backends.azure`` drives the same
class asynchronously.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from .._shared import capabilities as caps
from .._shared.config import MountConfig
from .._shared.exceptions import StorageBackendError, StorageConfigError
from .._shared.identity import endpoint_place
from .._shared.info import FileInfo, quoted_etag, unquote_etag
from .._shared.metadata import AZURE as AZURE_METADATA
from .._shared.sansio import Call, Logic, blocking
from .clients import detach_finalizers
from .drivers import SyncDriver
from .facts import md5_from_bytes, timestamp
from .objectstore import ObjectStoreLogic
from .store import StoreLogic
from .streams import SMALL_BODY, PartWriter, joined, md5_digest

if TYPE_CHECKING:
    import asyncio

    from azure.storage.blob import ContentSettings

__all__ = ["AzureBackend", "AzureLogic"]


def _blob(fs: Any, container: str, key: str) -> Any:
    return fs.service_client.get_blob_client(container, key)


async def _az_head(fs: Any, container: str, key: str) -> Any:
    from azure.core.exceptions import ResourceNotFoundError

    try:
        return await _blob(fs, container, key).get_blob_properties()
    except ResourceNotFoundError:
        return None


async def _az_list(
    fs: Any, container: str, prefix: str, limit: int, token: str | None, recursive: bool
) -> tuple[list[Any], str | None]:
    client = fs.service_client.get_container_client(container)
    if recursive:
        pager = client.list_blobs(name_starts_with=prefix or None, results_per_page=limit)
    else:
        pager = client.walk_blobs(
            name_starts_with=prefix or None, delimiter="/", results_per_page=limit
        )
    pages = pager.by_page(continuation_token=token)
    try:
        page = await pages.__anext__()
    except StopAsyncIteration:
        return [], None
    return [item async for item in page], pages.continuation_token or None


async def _az_get(
    fs: Any,
    container: str,
    key: str,
    start: int | None = None,
    end: int | None = None,
    if_match: str | None = None,
) -> bytes:
    """The blob's bytes, or bytes ``[start, end)``, by Get Blob on exactly ``key``.
    Not adlfs's ``cat_file``: its path parsing (``urlsplit``) drops tabs and line
    breaks, so the key ``'a\\tb'`` would read the blob ``'ab'``."""
    offset = start or 0
    length = None if end is None else end - offset
    if length is not None and length <= 0:
        return b""
    kwargs: dict[str, Any] = {} if not offset and length is None else {"offset": offset}
    if length is not None:
        kwargs["length"] = length
    if if_match is not None:  # a changed blob: 412 (ResourceModifiedError), no bytes
        from azure.core import MatchConditions

        kwargs.update(etag=if_match, match_condition=MatchConditions.IfNotModified)
    downloader = await _blob(fs, container, key).download_blob(**kwargs)
    data: bytes = await downloader.readall()
    return data


def _az_settings(content_type: str, md5: bytes | None) -> ContentSettings:
    from azure.storage.blob import ContentSettings

    # The SDK declares ``bytearray``; it base64-encodes any bytes-like value the same.
    return ContentSettings(
        content_type=content_type, content_md5=None if md5 is None else bytearray(md5)
    )


async def _az_put(
    fs: Any,
    container: str,
    key: str,
    data: bytes,
    content_type: str,
    md5: bytes,
    only_new: bool = False,
) -> None:
    """Put Blob for a small body; a larger one goes as one staged block (a stream).
    ``only_new``: refused (409/412) where a blob is at ``key``."""
    if len(data) <= SMALL_BODY:
        client = _blob(fs, container, key)
        await client.upload_blob(
            data, overwrite=not only_new, content_settings=_az_settings(content_type, md5)
        )
        return
    block = uuid.uuid4().hex
    await _az_stage(fs, container, key, block, data)
    await _az_commit(fs, container, key, [block], content_type, md5, only_new)


async def _az_stage(fs: Any, container: str, key: str, block_id: str, data: bytes) -> None:
    await _blob(fs, container, key).stage_block(block_id, io.BytesIO(data), length=len(data))


async def _az_commit(
    fs: Any,
    container: str,
    key: str,
    blocks: list[str],
    content_type: str,
    md5: bytes,
    only_new: bool = False,
) -> None:
    settings = _az_settings(content_type, md5)
    condition: dict[str, Any] = {}
    if only_new:  # If-None-Match: * (the commit fails where a blob exists)
        from azure.core import MatchConditions

        # IfMissing alone: the SDK pops 'etag' only for the other conditions, so an
        # etag given here would reach the HTTP transport (a TypeError, nothing sent)
        condition = {"match_condition": MatchConditions.IfMissing}
    await _blob(fs, container, key).commit_block_list(
        blocks, content_settings=settings, **condition
    )


async def _az_delete(fs: Any, container: str, key: str) -> None:
    from azure.core.exceptions import ResourceNotFoundError

    with contextlib.suppress(ResourceNotFoundError):
        await _blob(fs, container, key).delete_blob()


async def _az_copy(fs: Any, container: str, key: str, other: str, other_key: str) -> None:
    """Copy Blob from a URL of the same account, waiting while the copy is pending."""
    import asyncio

    source = _blob(fs, container, key)
    target = _blob(fs, other, other_key)
    await source.get_blob_properties()  # a missing source: not found, named as such
    answer = await target.start_copy_from_url(source.url)
    status = answer.get("copy_status")
    while status == "pending":
        await asyncio.sleep(0.2)
        status = (await target.get_blob_properties()).copy.status
    if status != "success":
        raise StorageBackendError(f"Azure copy of '{key}' ended with status {status!r}")


async def _az_set_metadata(fs: Any, container: str, key: str, metadata: dict[str, str]) -> None:
    await _blob(fs, container, key).set_blob_metadata(metadata)


def _parse_connection_string(text: str) -> dict[str, str]:
    parts = (p.partition("=") for p in text.split(";") if p.strip())
    return {k.strip().lower(): v.strip() for k, _, v in parts}


class AzureBlockWriter(PartWriter):
    """Azure block blob: ``stage_block`` per part, ``commit_block_list`` (with the
    content MD5) on commit. Uncommitted blocks are invisible and expire on their own."""

    conditional_create = True  # If-None-Match: * on Put Blob and Put Block List
    __slots__ = ("_tag", "_blocks", "_md5")

    def __init__(self, backend: ObjectStoreLogic, key: str, content_type: str) -> None:
        super().__init__(backend, key, content_type)
        self._tag = uuid.uuid4().hex  # block ids of one blob must share one length
        self._blocks: list[str] = []
        self._md5 = hashlib.md5(usedforsecurity=False)

    def _g_send(self, chunks: list[bytes], last: bool) -> Logic[None]:
        part = joined(chunks)
        if not part:
            return
        yield blocking(self._md5.update, part)
        block_id = f"{self._tag}-{len(self._blocks):06d}"
        yield self._backend._fs_coro(_az_stage, self._backend.bucket, self._key, block_id, part)
        self._blocks.append(block_id)

    def _g_finish(self) -> Logic[None]:
        try:
            yield self._backend._fs_coro(
                _az_commit,
                self._backend.bucket,
                self._key,
                self._blocks,
                self._content_type,
                self._md5.digest(),
                self._only_new,
            )
        except Exception as exc:
            if getattr(exc, "error_code", None) != "InvalidBlockList":
                raise
            # Azure drops every uncommitted block of a blob when a block list is
            # committed: another writer of the same blob finished first.
            raise StorageBackendError(
                f"Write of '{self._where()}' discarded: another writer committed the blob"
                " first, and Azure dropped the blocks staged by this one"
            ) from exc

    def _g_cancel(self) -> Logic[None]:
        yield from ()
        self._blocks = []


class AzureLogic(ObjectStoreLogic):
    """Azure Blob Storage through adlfs and the Azure SDK it holds.

    Listing pages are ``list blobs`` pages (cursor = the continuation marker). Uploads
    store the content MD5, so ``md5hash`` needs no download; ``url()`` signs a read SAS
    locally when the account key is known.
    """

    type_name = "azure"
    capabilities = caps.AZURE
    container_field = "container"
    library = ("adlfs", "azure")
    writer = AzureBlockWriter
    metadata_rule = AZURE_METADATA
    native_if_match = True  # Get Blob with If-Match (``_az_get``)

    @classmethod
    def for_config(cls, config: MountConfig) -> type[StoreLogic]:
        """``AzureObstoreLogic`` when the mount's engine is obstore, else this class
        (``engine: fsspec``)."""
        from .obstoreops import chosen_engine

        if cls is AzureLogic and chosen_engine(config) == "obstore":
            from .azureobstore import AzureObstoreLogic

            return AzureObstoreLogic
        return cls

    def _setup(self) -> None:
        super()._setup()
        opts = self.config.options
        extra = opts.get("options") or {}
        conn = opts.get("connection_string")
        if conn:
            fields = _parse_connection_string(str(conn))
            name = fields.get("accountname")
            self._account_key = fields.get("accountkey")
            self._sas = fields.get("sharedaccesssignature")
            endpoint = fields.get("blobendpoint")
            if not endpoint and name:
                scheme = fields.get("defaultendpointsprotocol", "https")
                suffix = fields.get("endpointsuffix", "core.windows.net")
                endpoint = f"{scheme}://{name}.blob.{suffix}"
            if not endpoint:
                raise StorageConfigError(
                    f"Mount '{self.mount}': field 'connection_string' has no BlobEndpoint"
                    " and no AccountName"
                )
        elif opts.get("account_name"):
            name = str(opts["account_name"])
            self._account_key = opts.get("account_key")
            self._sas = opts.get("sas_token")
            host = extra.get("account_host") or f"{name}.blob.core.windows.net"
            endpoint = host if "://" in host else f"https://{host}"
        else:
            raise StorageConfigError(
                f"Mount '{self.mount}': type 'azure' needs field 'connection_string'"
                " or field 'account_name'"
            )
        self._account_name = name
        self._endpoint = endpoint.rstrip("/")
        if self._sas:
            self._sas = str(self._sas).lstrip("?")
        if opts.get("anon") is True:  # unsigned on every path: obstore, the SDK, url()
            self._account_key = self._sas = None

    def _fs_class(self) -> type[Any]:
        from adlfs import AzureBlobFileSystem

        fs_class: type[Any] = AzureBlobFileSystem  # adlfs ships no types
        return fs_class

    def _new_fs(self, asynchronous: bool, loop: asyncio.AbstractEventLoop | None = None) -> Any:
        fs = super()._new_fs(asynchronous, loop)
        if asynchronous:
            # adlfs closes its client at exit on the loop it was made for, which by then
            # is closed (a traceback at exit): this backend's close() does it instead.
            detach_finalizers(fs)
        return fs

    def _fs_kwargs(self) -> dict[str, Any]:
        opts = self.config.options
        kwargs = {
            k: opts[k]
            for k in ("connection_string", "account_name", "account_key", "sas_token", "anon")
            if opts.get(k) is not None
        }
        extra = dict(opts.get("options") or {})
        url_host = self._url_host()
        anon = opts.get("anon") is True
        # adlfs calls https://{account_host}: a URL there ('http://host:port/acct') would
        # be another endpoint than the one url(), the physical identity and the obstore
        # engine use. An https URL loses its scheme (adlfs keeps its credential rules,
        # DefaultAzureCredential without key or SAS); any other goes, with this mount's
        # credential, as a connection string. So does anon (adlfs signs with a
        # connection string's key even with anon): unsigned, no credential.
        if url_host and not anon and self._endpoint.lower().startswith("https://"):
            extra["account_host"] = self._endpoint.split("://", 1)[1]
        elif url_host or anon:
            extra.pop("account_host", None)
            fields = [f"BlobEndpoint={self._endpoint}"]
            if self._account_name:
                fields.append(f"AccountName={self._account_name}")
            if self._account_key:
                fields.append(f"AccountKey={self._account_key}")
            elif self._sas:
                fields.append(f"SharedAccessSignature={self._sas}")
            kwargs = {"connection_string": ";".join(fields) + ";"}
        return {**kwargs, "use_listings_cache": False, **extra}

    def _url_host(self) -> bool:
        """Whether ``options.account_host`` gives the endpoint as a URL (not a host)."""
        host = (self.config.options.get("options") or {}).get("account_host")
        return (
            isinstance(host, str)
            and "://" in host
            and not self.config.options.get("connection_string")
        )

    def unsigned(self) -> bool:
        """Whether the SDK half sends unsigned requests, so that obstore's half does too:
        ``anon``, or neither key nor SAS where the SDK is given a connection string (the
        mount's own, or the one an http ``account_host`` URL becomes), which it then
        uses without a credential. Elsewhere both look for a credential of their own."""
        if self.config.options.get("anon") is True:
            return True
        if self._account_key or self._sas:
            return False
        return bool(self.config.options.get("connection_string")) or (
            self._url_host() and not self._endpoint.lower().startswith("https://")
        )

    def _endpoint_place(self) -> tuple[Any, ...]:
        return endpoint_place(self._endpoint)

    def _identity(self) -> tuple[Any, ...]:
        return (self._endpoint, self._account_key, self._sas, self.config.options.get("anon"))

    def _facts(self, path: str, props: Any) -> FileInfo:
        settings = props.content_settings
        return FileInfo(
            path,
            "file",
            props.size,
            timestamp(props.last_modified),
            unquote_etag(props.etag),
            md5_from_bytes(settings.content_md5) if settings else None,
            settings.content_type if settings else None,
            getattr(props, "version_id", None),
            dict(props.metadata or {}),
        )

    def _g_head(self, key: str) -> Logic[FileInfo | None]:
        if not key:
            return None
        props = yield self._fs_coro(_az_head, self.bucket, key)
        return None if props is None else self._facts(self.rel(key), props)

    def _g_list_page(
        self, prefix: str, limit: int, token: str | None, recursive: bool = False
    ) -> Logic[tuple[list[tuple[str, FileInfo | None]], str | None]]:
        raw, token = yield self._fs_coro(_az_list, self.bucket, prefix, limit, token, recursive)
        items: list[tuple[str, FileInfo | None]] = []
        for item in raw:
            if hasattr(item, "size"):  # BlobProperties (a BlobPrefix has no size)
                items.append((item.name, self._facts(self.rel(item.name), item)))
            else:
                items.append((item.name, None))
        return items, token

    def _read_op(self, path: str, **kwargs: Any) -> Call:
        tag = quoted_etag(kwargs.get("if_match"))
        return self._fs_coro(
            _az_get, self.bucket, self.key(path), kwargs.get("start"), kwargs.get("end"), tag
        )

    def _g_put_small(
        self, key: str, data: bytes, content_type: str, only_new: bool = False
    ) -> Logic[None]:
        md5 = yield blocking(md5_digest, data)
        yield self._fs_coro(_az_put, self.bucket, key, data, content_type, md5, only_new)

    def _g_remove_one(self, key: str) -> Logic[None]:
        yield self._fs_coro(_az_delete, self.bucket, key)

    def _g_copy_key(self, key: str, other: ObjectStoreLogic, other_key: str) -> Logic[None]:
        yield self._fs_coro(_az_copy, self.bucket, key, other.bucket, other_key)

    def _g_set_meta(self, key: str, metadata: dict[str, str], found: FileInfo) -> Logic[None]:
        yield self._fs_coro(_az_set_metadata, self.bucket, key, metadata)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """The blob's URL: with a read SAS signed locally when the account key (and name)
        is known, with the configured SAS token, or plain (public containers)."""
        blob_url = f"{self._endpoint}/{self.bucket}/{urllib.parse.quote(self.key(path))}"
        if self._account_key and self._account_name:  # a SAS signature names the account
            from azure.storage.blob import BlobSasPermissions, generate_blob_sas

            seconds = expires_in if expires_in is not None else 3600
            sas = generate_blob_sas(
                account_name=self._account_name,
                container_name=self.bucket,
                blob_name=self.key(path),
                account_key=self._account_key,
                permission=BlobSasPermissions(read=True),
                expiry=datetime.now(timezone.utc) + timedelta(seconds=seconds),
            )
            return f"{blob_url}?{sas}"
        if self._sas:
            return f"{blob_url}?{self._sas}"
        return blob_url


class AzureBackend(SyncDriver):
    """Azure Blob Storage through adlfs, sync API."""

    logic_class = AzureLogic
