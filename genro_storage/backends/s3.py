"""S3 and S3-compatible servers through s3fs: ``S3Logic``, its multipart writer
(``S3PartWriter``) and the sync ``S3Backend``.

The logic serves both APIs: ``genro_storage.async_.backends.s3`` drives the same
class asynchronously.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from .._shared import capabilities as caps
from .._shared.config import MountConfig
from .._shared.exceptions import (
    StorageBackendError,
    StorageError,
    StorageNotFoundError,
    errors_as_storage,
    not_found,
)
from .._shared.info import FileInfo, VersionInfo, md5_from_etag, quoted_etag, unquote_etag
from .._shared.metadata import HTTP_HEADERS
from .._shared.paths import mimetype
from .._shared.sansio import Call, Logic
from .drivers import SyncDriver
from .facts import timestamp
from .objectstore import ObjectStoreLogic
from .store import StoreLogic
from .streams import ChunkStream, PartWriter, ReaderLogic, one_op
from .versionread import VersionReader

if TYPE_CHECKING:
    from botocore.client import BaseClient

__all__ = ["S3Backend", "S3Logic"]

#: S3 multipart parts (>= 5 MiB for every part but the last; at most 10,000).
S3_PART_SIZE = 8 * 1024 * 1024
S3_MAX_PARTS = 10_000
DEFAULT_S3_CONCURRENCY = 32


class S3PartWriter(PartWriter):
    """S3 multipart upload: ``create_multipart_upload``, ``upload_part`` per part,
    ``complete_multipart_upload``; ``abort_multipart_upload`` on abort."""

    part_size = S3_PART_SIZE
    conditional_create = True  # If-None-Match: * on PutObject and CompleteMultipartUpload
    __slots__ = ("_upload", "_parts")
    _backend: S3Logic  # the logic that made it (``S3Logic.writer``)

    def __init__(self, backend: S3Logic, key: str, content_type: str) -> None:
        super().__init__(backend, key, content_type)
        self._upload: str | None = None
        self._parts: list[dict[str, Any]] = []

    def _g_send(self, part: list[bytes], last: bool) -> Logic[None]:
        s3 = self._backend._s3
        if self._upload is None:
            answer = yield s3(
                "create_multipart_upload", Key=self._key, ContentType=self._content_type
            )
            self._upload = answer["UploadId"]
        if last and not part:
            return  # the parts already sent are the whole file
        number = len(self._parts) + 1
        if number > S3_MAX_PARTS:
            raise StorageError(f"Too many parts for one S3 upload of '{self._key}'")
        body = ChunkStream(part)  # botocore reads (and re-reads) it: no joined copy
        answer = yield s3(
            "upload_part", Key=self._key, UploadId=self._upload, PartNumber=number, Body=body
        )
        self._parts.append({"ETag": answer["ETag"], "PartNumber": number})

    def _g_finish(self) -> Logic[None]:
        yield self._backend._s3(
            "complete_multipart_upload",
            Key=self._key,
            UploadId=self._upload,
            MultipartUpload={"Parts": self._parts},
            **({"IfNoneMatch": "*"} if self._only_new else {}),
        )

    def _g_cancel(self) -> Logic[None]:
        upload, self._upload = self._upload, None
        if upload is not None:
            with contextlib.suppress(FileNotFoundError):  # completed or aborted already
                yield self._backend._s3("abort_multipart_upload", Key=self._key, UploadId=upload)

    def _g_undo(self, before: FileInfo | None) -> Logic[None]:
        """Abort first: once aborted, a late ``complete`` cannot land. If S3 says the
        upload is gone, it completed: drop the version it made (which brings back the
        old content on a versioned bucket), or the object where there was none."""
        upload, self._upload = self._upload, None
        backend = self._backend
        if upload is None:
            return
        try:
            yield backend._s3("abort_multipart_upload", Key=self._key, UploadId=upload)
            return
        except Exception:  # noqa: BLE001 - NoSuchUpload: it completed; else: look below
            pass
        after = yield from self._g_landed(before, (0.0, 0.05, 0.1, 0.2, 0.5, 1.0))
        if after is not None and after.version_id:
            drop = backend._s3("delete_object", Key=self._key, VersionId=after.version_id)
            yield from self._g_quietly(one_op(drop))
        elif after is not None and before is None:
            yield from self._g_quietly(backend._g_remove([self._key]))


async def _s3_get_pinned(
    fs: Any, bucket: str, key: str, start: int | None, end: int | None, if_match: str
) -> bytes:
    """Bytes ``[start, end)`` by one GetObject with ``If-Match`` (s3fs's ``cat_file``
    takes no condition): a replaced object answers 412, not the new bytes."""
    span = f"bytes={start or 0}-{'' if end is None else end - 1}"
    response = await fs._call_s3("get_object", Bucket=bucket, Key=key, Range=span, IfMatch=if_match)
    body = response["Body"]
    try:
        data: bytes = await body.read()
    finally:
        body.close()
    return data


def _s3_facts(path: str, raw: dict[str, Any], size_key: str) -> FileInfo:
    etag = raw.get("ETag")
    return FileInfo(
        path,
        "file",
        raw.get(size_key),
        timestamp(raw.get("LastModified")),
        unquote_etag(etag),
        md5_from_etag(etag),
        raw.get("ContentType"),
        raw.get("VersionId"),
        dict(raw.get("Metadata") or {}),
    )


class S3Logic(ObjectStoreLogic):
    """S3 and S3-compatible servers through s3fs (version aware).

    Listing pages are ``list_objects_v2`` pages (cursor = the continuation token);
    streamed writes are native multipart uploads; ``url()`` presigns with a plain
    botocore client, which is pure computation.
    """

    type_name = "s3"
    capabilities = caps.S3
    container_field = "bucket"
    library = ("s3fs", "s3")
    writer = S3PartWriter
    metadata_rule = HTTP_HEADERS
    # One GET: s3fs's default first sends a HEAD to decide on a split download.
    whole_read: ClassVar[dict[str, Any]] = {"max_concurrency": 1}
    native_if_match = True  # GetObject with If-Match (``_s3_get_pinned``)

    def _read_op(self, path: str, **kwargs: Any) -> Call:
        tag = quoted_etag(kwargs.pop("if_match", None))
        if tag is None:
            return super()._read_op(path, **kwargs)
        start, end = kwargs.get("start"), kwargs.get("end")
        return self._fs_coro(_s3_get_pinned, self.bucket, self.key(path), start, end, tag)

    @classmethod
    def for_config(cls, config: MountConfig) -> type[StoreLogic]:
        """``S3ObstoreLogic`` when the mount's engine is obstore (the default where it
        is installed), else this class (``engine: fsspec``)."""
        from .obstoreops import chosen_engine

        if cls is S3Logic and chosen_engine(config) == "obstore":
            from .s3obstore import S3ObstoreLogic

            return S3ObstoreLogic
        return cls

    def _setup(self) -> None:
        super()._setup()
        opts = self.config.options
        self._concurrency = int(opts.get("max_concurrency") or DEFAULT_S3_CONCURRENCY)
        # None: not made yet; False: no credentials known without a network call.
        self._presigner: BaseClient | Literal[False] | None = None
        self._presign_lock = threading.Lock()

    def _fs_class(self) -> type[Any]:
        from s3fs import S3FileSystem

        fs_class: type[Any] = S3FileSystem  # s3fs ships no types
        return fs_class

    def _fs_kwargs(self) -> dict[str, Any]:
        opts = self.config.options
        extra, client_kwargs = self._user_options()
        if opts.get("region"):
            client_kwargs.setdefault("region_name", opts["region"])
        # botocore's pool defaults to 10 connections, which silently caps concurrency.
        config_kwargs = {
            "max_pool_connections": max(self._concurrency, 10),
            **(extra.pop("config_kwargs", None) or {}),
        }
        return {
            "key": opts.get("key"),
            "secret": opts.get("secret"),
            "token": opts.get("token"),
            "endpoint_url": opts.get("endpoint_url"),
            "anon": opts.get("anon") is True,  # a bool (config refuses "false")
            "version_aware": True,
            "max_concurrency": self._concurrency,
            "client_kwargs": client_kwargs,
            "config_kwargs": config_kwargs,
            "use_listings_cache": False,
            **extra,
        }

    def _identity(self) -> tuple[Any, ...]:
        opts = self.config.options
        return tuple(
            opts.get(k) for k in ("endpoint_url", "region", "key", "secret", "token", "anon")
        )

    def _s3(self, method: str, **kwargs: Any) -> Call:
        """A boto call on this mount's bucket, through s3fs (retries, error mapping)."""
        return self._fs_op("call_s3", method, Bucket=self.bucket, **kwargs)

    def _g_head(self, key: str) -> Logic[FileInfo | None]:
        if not key:
            return None
        try:
            raw = yield self._s3("head_object", Key=key)
        except FileNotFoundError:
            return None
        return _s3_facts(self.rel(key), raw, "ContentLength")

    def _g_list_page(
        self, prefix: str, limit: int, token: str | None, recursive: bool = False
    ) -> Logic[tuple[list[tuple[str, FileInfo | None]], str | None]]:
        kwargs: dict[str, Any] = {"Prefix": prefix, "MaxKeys": limit}
        if not recursive:
            kwargs["Delimiter"] = "/"
        if token:
            kwargs["ContinuationToken"] = token
        answer = yield self._s3("list_objects_v2", **kwargs)
        items: list[tuple[str, FileInfo | None]] = [
            (o["Key"], _s3_facts(self.rel(o["Key"]), o, "Size")) for o in answer.get("Contents", [])
        ]
        items += [(p["Prefix"], None) for p in answer.get("CommonPrefixes", [])]
        return items, (answer.get("NextContinuationToken") if answer.get("IsTruncated") else None)

    def _g_put_small(
        self, key: str, data: bytes, content_type: str, only_new: bool = False
    ) -> Logic[None]:
        condition = {"IfNoneMatch": "*"} if only_new else {}
        yield self._s3("put_object", Key=key, Body=data, ContentType=content_type, **condition)

    def _g_remove(self, keys: list[str]) -> Logic[None]:
        for start in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[start : start + 1000]]
            answer = yield self._s3("delete_objects", Delete={"Objects": batch, "Quiet": True})
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise StorageBackendError(
                    f"S3 refused to delete '{first.get('Key')}': {first.get('Code')}"
                )

    def _g_set_meta(self, key: str, metadata: dict[str, str], found: FileInfo) -> Logic[None]:
        yield self._s3(
            "copy_object",
            Key=key,
            CopySource={"Bucket": self.bucket, "Key": key},
            Metadata=metadata,
            MetadataDirective="REPLACE",
            ContentType=found.content_type or mimetype(key),
        )

    def _g_versions(self, path: str) -> Logic[list[VersionInfo]]:
        """Stored versions, newest first (a versioned bucket keeps one per write)."""
        key = self.key(path)
        found: list[VersionInfo] = []
        kwargs: dict[str, Any] = {"Prefix": key}
        with errors_as_storage(self.where(path)):
            while True:
                answer = yield self._s3("list_object_versions", **kwargs)
                for v in answer.get("Versions", []):
                    if v.get("Key") == key:
                        found.append(
                            VersionInfo(
                                v["VersionId"],
                                v.get("Size"),
                                timestamp(v.get("LastModified")),
                                bool(v.get("IsLatest")),
                                unquote_etag(v.get("ETag")),
                            )
                        )
                if not answer.get("IsTruncated"):
                    break
                kwargs["KeyMarker"] = answer.get("NextKeyMarker")
                kwargs["VersionIdMarker"] = answer.get("NextVersionIdMarker")
        if not found:
            raise not_found(self.where(path))
        found.sort(key=lambda v: (v.is_latest, v.mtime or 0.0), reverse=True)
        return found

    def _g_open_read_version(self, path: str, version_id: str) -> Logic[ReaderLogic]:
        """A reader over one version: ranged GETs with ``VersionId`` (one ``read(n)``
        in memory at a time). An id the file does not have: ``StorageNotFoundError``."""
        for found in (yield from self._g_versions(path)):
            if found.version_id == version_id:
                return VersionReader(self, path, version_id, found.size or 0)
        raise StorageNotFoundError(f"'{self.where(path)}' has no version with id {version_id!r}")

    def _g_read_version(self, path: str, version_id: str) -> Logic[bytes]:
        with errors_as_storage(f"{self.where(path)}@{version_id}"):
            data: bytes = yield self._fs_op(
                "cat_file", self.full(path), version_id=version_id, **self.whole_read
            )
            return data

    def _g_delete_version(self, path: str, version_id: str) -> Logic[None]:
        """Remove one version of this key (only a version the key has: S3 would answer
        a well-formed but unknown id with success, so the id is looked up first)."""
        known = yield from self._g_versions(path)
        if not any(v.version_id == version_id for v in known):
            raise not_found(f"{self.where(path)}@{version_id}")
        with errors_as_storage(f"{self.where(path)}@{version_id}"):
            yield self._s3("delete_object", Key=self.key(path), VersionId=version_id)

    def url(self, path: str, expires_in: int | None = None) -> str | None:
        """A presigned GET URL (pure computation with a local botocore client), or
        ``None`` when no credentials are known without a network call."""
        from botocore.signers import generate_presigned_url

        client = self._presign_client()
        if client is None:
            return None
        # The function botocore attaches to every client as ``generate_presigned_url``,
        # called as such: the stubs' ``BaseClient`` does not declare the attached method.
        url: str = generate_presigned_url(
            client,
            "get_object",
            Params={"Bucket": self.bucket, "Key": self.key(path)},
            ExpiresIn=int(expires_in if expires_in is not None else 3600),
        )
        return url

    def _presign_client(self) -> BaseClient | None:
        with self._presign_lock:
            if self._presigner is None:
                self._presigner = self._make_presigner() or False
            return self._presigner or None

    def _make_presigner(self) -> BaseClient | None:
        import botocore.session
        from botocore import UNSIGNED
        from botocore.config import Config

        opts = self.config.options
        session = botocore.session.get_session()
        kwargs: dict[str, Any] = {
            "endpoint_url": opts.get("endpoint_url"),
            "region_name": opts.get("region") or "us-east-1",
        }
        if opts.get("anon") is True:
            kwargs["config"] = Config(signature_version=UNSIGNED)
            return session.create_client("s3", **kwargs)
        kwargs["config"] = Config(signature_version="s3v4")
        if opts.get("key") and opts.get("secret"):
            kwargs.update(
                aws_access_key_id=opts["key"],
                aws_secret_access_key=opts["secret"],
                aws_session_token=opts.get("token"),
            )
            return session.create_client("s3", **kwargs)
        # Only the credential sources that need no network call (no instance metadata).
        resolver = session.get_component("credential_provider")
        for name in ("env", "shared-credentials-file", "config-file"):
            provider = resolver.get_provider(name)
            credentials = provider.load() if provider is not None else None
            if credentials is not None:
                frozen = credentials.get_frozen_credentials()
                kwargs.update(
                    aws_access_key_id=frozen.access_key,
                    aws_secret_access_key=frozen.secret_key,
                    aws_session_token=frozen.token,
                )
                return session.create_client("s3", **kwargs)
        return None

    def _close_local(self) -> None:
        with self._presign_lock:
            client, self._presigner = self._presigner, None
        if client:
            client.close()


class S3Backend(SyncDriver):
    """S3 through s3fs, sync API."""

    logic_class = S3Logic
